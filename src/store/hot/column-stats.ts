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
