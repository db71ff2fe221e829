/** JSON of `value` with every lone UTF-16 surrogate replaced by U+FFFD (DuckDB's reader rejects one). */
export function wellFormedJson(value: unknown): string {
  return JSON.stringify(toWellFormedDeep(value));
}

function toWellFormedDeep(value: unknown): unknown {
  if (typeof value === 'string') return value.toWellFormed();
  if (Array.isArray(value)) return value.map(toWellFormedDeep);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k.toWellFormed()] = toWellFormedDeep(v);
    return out;
  }
  return value;
}

export function hasOwnKeys(value: Record<string, unknown>): boolean {
  for (const key in value) if (Object.hasOwn(value, key)) return true;
  return false;
}
