import type { DuckDBConnection } from '@duckdb/node-api';
import type { DataFile } from '../../lakehouse/iceberg/avro-manifests.js';
import { booleanBytes, longBytes, stringBytes } from '../../lakehouse/iceberg/bounds.js';
import type { IcebergField, TableSpec } from '../../lakehouse/iceberg/table-spec.js';

/** Strings longer than this get no bounds: a bound is a copy, and a long one prunes nothing more. */
const MAX_BOUND_BYTES = 64;

/** The value of a column as the bound compares it: a timestamp's microseconds. */
const boundExpr = (f: IcebergField): string => (f.type === 'timestamp' ? `epoch_us("${f.name}")` : `"${f.name}"`);
const bounded = (f: IcebergField): boolean => !(f.type === 'string' && (f.name === 'payload' || f.name === 'metadata'));

function boundBytes(field: IcebergField, value: unknown): Buffer | undefined {
  if (value === null || value === undefined) return undefined;
  switch (field.type) {
    case 'long':
    case 'timestamp':
      return longBytes(value as bigint);
    case 'boolean':
      return booleanBytes(Boolean(value));
    case 'string': {
      const bytes = stringBytes(String(value));
      return bytes.length <= MAX_BOUND_BYTES ? bytes : undefined;
    }
    default:
      return undefined;
  }
}

/**
 * The column statistics a manifest keeps for one data file (value and null counts, lower and upper
 * bounds by field id), computed by DuckDB over the rows the file was written from, so readers can
 * skip files a filter rules out.
 */
export async function columnStats(conn: DuckDBConnection, spec: TableSpec, rowsSql: string, params: Parameters<DuckDBConnection['runAndReadAll']>[1]): Promise<Pick<DataFile, 'valueCounts' | 'nullValueCounts' | 'lowerBounds' | 'upperBounds'>> {
  const parts = ['count(*)'];
  for (const f of spec.fields) {
    parts.push(`count("${f.name}")`);
    if (bounded(f)) parts.push(`min(${boundExpr(f)})`, `max(${boundExpr(f)})`);
  }
  const row = (await conn.runAndReadAll(`SELECT ${parts.join(', ')} FROM (${rowsSql})`, params)).getRows()[0]!;
  const total = Number(row[0]);
  const out = { valueCounts: new Map<number, number>(), nullValueCounts: new Map<number, number>(), lowerBounds: new Map<number, Buffer>(), upperBounds: new Map<number, Buffer>() };
  let i = 1;
  for (const f of spec.fields) {
    const nonNull = Number(row[i++]);
    out.valueCounts.set(f.id, total);
    out.nullValueCounts.set(f.id, total - nonNull);
    if (!bounded(f)) continue;
    const lower = boundBytes(f, row[i++]);
    const upper = boundBytes(f, row[i++]);
    if (lower) out.lowerBounds.set(f.id, lower);
    if (upper) out.upperBounds.set(f.id, upper);
  }
  return out;
}

/** `2026-11-26 09:40:00.123456` (DuckDB's text of a TIMESTAMP) in microseconds since the epoch. */
function timestampMicros(text: string): bigint | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/.exec(text);
  if (!m) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  return BigInt(ms) * 1000n + BigInt((m[7] ?? '').padEnd(6, '0'));
}

/** A statistic's text as the value its bound serialises. */
function statValue(field: IcebergField, text: string): unknown {
  switch (field.type) {
    case 'long':
      return /^-?\d+$/.test(text) ? BigInt(text) : undefined;
    case 'timestamp':
      return timestampMicros(text);
    case 'boolean':
      return text === '1' || text === 'true';
    default:
      return text;
  }
}

type CopyStats = { entries: Array<{ key: string; value: { entries: Array<{ key: string; value: unknown }> } }> };

/**
 * The same statistics from what DuckDB's Parquet writer gathered while it wrote the file (`COPY …
 * RETURN_STATS`): no second pass over the rows. Its string statistics are cut at 256 characters,
 * below which they are exact; bounds are kept only up to 64 bytes anyway.
 */
export function columnStatsFromCopy(spec: TableSpec, rows: number, stats: unknown): Pick<DataFile, 'valueCounts' | 'nullValueCounts' | 'lowerBounds' | 'upperBounds'> {
  const byColumn = new Map<string, Map<string, string>>();
  for (const column of (stats as CopyStats | null)?.entries ?? []) {
    byColumn.set(column.key.replace(/^"|"$/g, ''), new Map(column.value.entries.map((e) => [e.key, String(e.value)])));
  }
  const out = { valueCounts: new Map<number, number>(), nullValueCounts: new Map<number, number>(), lowerBounds: new Map<number, Buffer>(), upperBounds: new Map<number, Buffer>() };
  for (const f of spec.fields) {
    const column = byColumn.get(f.name);
    out.valueCounts.set(f.id, rows);
    // A column with no statistics (none written) is counted as all there; its nulls unknown are not claimed.
    if (!column) continue;
    out.nullValueCounts.set(f.id, Number(column.get('null_count') ?? 0));
    if (!bounded(f)) continue;
    const min = column.get('min');
    const max = column.get('max');
    const lower = min === undefined ? undefined : boundBytes(f, statValue(f, min));
    const upper = max === undefined ? undefined : boundBytes(f, statValue(f, max));
    if (lower) out.lowerBounds.set(f.id, lower);
    if (upper) out.upperBounds.set(f.id, upper);
  }
  return out;
}
