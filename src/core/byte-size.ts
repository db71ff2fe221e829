const UNITS: Record<string, number> = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, KIB: 1024, MIB: 1024 ** 2, GIB: 1024 ** 3 };

/** "32MiB", "1.5 GB", "512B" in bytes (the config's sizes; its schema checks the form). */
export function parseByteSize(text: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]+)$/.exec(text.trim());
  const unit = m && UNITS[m[2]!.toUpperCase()];
  if (!m || unit === undefined || unit === null) throw new Error(`not a size: ${text}`);
  return Math.round(Number(m[1]) * unit);
}
