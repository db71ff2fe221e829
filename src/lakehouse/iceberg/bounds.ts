/**
 * Iceberg's binary single-value serialization (Appendix D of the spec), used for the column
 * bounds in manifests and the partition bounds in manifest lists.
 */
export function longBytes(value: bigint | number): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigInt64LE(BigInt(value));
  return out;
}

export function intBytes(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeInt32LE(value);
  return out;
}

export const booleanBytes = (value: boolean): Buffer => Buffer.from([value ? 1 : 0]);
export const stringBytes = (value: string): Buffer => Buffer.from(value, 'utf8');

/** Days since 1970-01-01 of a time in ms: the `day` transform. */
export const dayOf = (ms: number): number => Math.floor(ms / 86_400_000);

/** The day partition value of a date as the data folders name it (`2026-11-26`). */
export const dayOfDate = (date: string): number => dayOf(Date.parse(`${date}T00:00:00Z`));
