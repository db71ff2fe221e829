import type { DuckDBConnection, DuckDBType, DuckDBValue } from '@duckdb/node-api';
import { VARCHAR } from '@duckdb/node-api';
import { SightlineError } from '../core/errors.js';
import type { ColdStore } from '../core/ports/cold-store.js';
import { planScan } from '../lakehouse/table-scan.js';
import { columnsIn } from '../lakehouse/iceberg/avro-manifests.js';
import { localCopies } from '../store/hot/local-copies.js';
import type { ViewReference } from './statement-check.js';
import { type ColdPart, type ViewSource } from './sql-views.js';
import { type BoundTerm, hullOf, rangeOf, type SqlNode, type TimeRange } from './time-bounds.js';

/** Bound parameters as node-api takes them: by name or by position, with their types. */
export interface BoundParams {
  values: DuckDBValue[] | Record<string, DuckDBValue>;
  types: DuckDBType[] | Record<string, DuckDBType>;
  /** `($a, $b)` or `($1, $2)`: a statement naming every parameter, so binding all of them to it is valid. */
  tuple: string;
}

/** Statement start to file planning is short, but now() moves in between: bounds keep this margin. */
const NOW_MARGIN_MS = 60_000;

const withoutLocations = (node: unknown): unknown => JSON.parse(JSON.stringify(node, (key, value: unknown) => (key === 'query_location' ? undefined : value)));

/** A statement's parse tree back to SQL text, through DuckDB's own deserializer. */
export async function deserialized(conn: DuckDBConnection, template: SqlNode, node: SqlNode): Promise<string> {
  const statement = structuredClone(template) as { statements: Array<{ node: unknown }> };
  statement.statements[0]!.node = node;
  // DuckDB writes unknown positions as 2^64-1, which JSON numbers cannot carry back: leave them out.
  return String((await conn.runAndReadAll('SELECT json_deserialize_sql($1::VARCHAR)', [JSON.stringify(withoutLocations(statement))], [VARCHAR])).getRows()[0]![0]);
}

/** An expression of the parse tree back to SQL text. */
async function expressionText(conn: DuckDBConnection, template: SqlNode, expr: SqlNode): Promise<string> {
  const select = structuredClone((template as { statements: Array<{ node: SqlNode }> }).statements[0]!.node);
  select.select_list = [expr];
  return (await deserialized(conn, template, select)).replace(/^SELECT /, '');
}

/**
 * The event-time range each referenced view is read in: every reference's bounds evaluated by
 * DuckDB on the statement's own connection and parameters, and the hull over the references. A
 * bound DuckDB cannot evaluate leaves its side open, so pruning never drops a row the statement reads.
 */
export async function viewRanges(conn: DuckDBConnection, template: SqlNode, references: readonly ViewReference[], params: BoundParams | undefined): Promise<Map<string, TimeRange>> {
  const terms: BoundTerm[] = references.flatMap((r) => r.bounds);
  const values: Array<number | undefined> = [];
  if (terms.length > 0) {
    try {
      const exprs: string[] = [];
      for (const term of terms) {
        const text = await expressionText(conn, template, term.expr);
        // Fractional milliseconds are kept (µs / 1000): rangeOf rounds each side outward.
        exprs.push(term.column === 'ms' ? `CAST((${text}) AS DOUBLE)` : `CAST(epoch_us(CAST((${text}) AS TIMESTAMP)) AS DOUBLE) / 1000`);
      }
      const sql = `SELECT ${exprs.join(', ')}${params ? `, ${params.tuple} IS NULL` : ''}`;
      const row = (await conn.runAndReadAll(sql, params?.values, params?.types)).getRows()[0] ?? [];
      for (let i = 0; i < terms.length; i++) values.push(typeof row[i] === 'number' ? (row[i] as number) : undefined);
    } catch {
      values.length = 0;
    }
  }
  const byView = new Map<string, TimeRange[]>();
  let at = 0;
  for (const reference of references) {
    const own = values.length === 0 ? [] : values.slice(at, at + reference.bounds.length);
    at += reference.bounds.length;
    const range = rangeOf(reference.bounds, own, NOW_MARGIN_MS);
    byView.set(reference.view, [...(byView.get(reference.view) ?? []), range]);
  }
  const out = new Map<string, TimeRange>();
  for (const [view, ranges] of byView) out.set(view, hullOf(ranges));
  return out;
}

/**
 * The cold files of a view's table a statement reads: those of the current snapshot whose day can
 * hold rows in `range`, made local (fetched from an object store) until `release`.
 */
export async function planColdPart(
  source: ViewSource,
  cold: ColdStore,
  range: TimeRange,
  encryptionRead: string,
  maxFiles: number,
): Promise<{ part: ColdPart | undefined; release: () => Promise<void> }> {
  const loaded = await source.table.load();
  const { files } = await planScan(source.table, loaded, range);
  if (files.length === 0) return { part: undefined, release: async () => undefined };
  if (files.length > maxFiles) {
    throw new SightlineError('SL_SQL_TOO_MANY_FILES', `${source.name} would read ${files.length} cold data files (sql.maxColdFiles is ${maxFiles}): bound ${source.time.ms} or ${source.time.time} to fewer days`);
  }
  const { paths, sealed, release } = await localCopies(cold, source.table, files, 'sql');
  const days = files.map((f) => f.partitionDay);
  const partitioned = days.every((d): d is number => d !== null);
  return {
    part: {
      spec: source.table.specOf(loaded?.metadata),
      paths,
      present: columnsIn(files),
      encryptionRead: sealed ? encryptionRead : '',
      ...(partitioned && { days: { first: Math.min(...days), last: Math.max(...days) } }),
    },
    release,
  };
}
