import { createHash } from 'node:crypto';
import { SightlineError } from '../core/errors.js';
import type { SqlColumn, SqlEngine, SqlParam, SqlStats, SqlValue } from '../core/ports/sql-engine.js';
import { paramsOfQuery, type PipeVersion } from './pipe-definition.js';

/** One page of a pipe's rows. */
export interface PipePage {
  pipe: string;
  version: number;
  columns: SqlColumn[];
  rows: SqlValue[][];
  /** The next page's cursor; null on the last page. */
  nextCursor: string | null;
  stats: SqlStats;
}

/** A request for a page: the query string's own parameters, and paging. */
export interface PipeRequest {
  params: Record<string, string | undefined>;
  limit: number;
  cursor?: string | undefined;
  signal?: AbortSignal;
}

export const PIPE_CURSOR_PATTERN = '^v[0-9]{1,9}\\.[0-9]{1,12}\\.[0-9a-f]{8}$';
const CURSOR = new RegExp(PIPE_CURSOR_PATTERN);

/** Where a cursor points: the version it pages (so a page goes on over the version it began on), the offset, and the parameters it was given. */
export interface PipeCursor {
  version: number;
  offset: number;
  paramsHash: string;
}

export function parsePipeCursor(text: string): PipeCursor {
  if (!CURSOR.test(text)) throw new SightlineError('SL_API_CURSOR_INVALID', 'the cursor is not one this pipe issued (next_cursor of the previous page)');
  const [version, offset, paramsHash] = text.slice(1).split('.') as [string, string, string];
  return { version: Number(version), offset: Number(offset), paramsHash };
}

/** The statement that reads one page of a pipe's; the one a definition is checked as, too. */
export function pageStatement(sql: string, limit: number, offset: number): string {
  return `SELECT * FROM (\n${sql.replace(/[\s;]+$/, '')}\n) AS page LIMIT ${limit} OFFSET ${offset}`;
}

/** A short digest of the parameters' values: a cursor is refused with other parameters than its first page's. */
export function paramsHashOf(params: Record<string, SqlParam>): string {
  return createHash('sha256').update(JSON.stringify(Object.entries(params).sort(([a], [b]) => a.localeCompare(b)))).digest('hex').slice(0, 8);
}

/**
 * Runs one page of a pipe: its statement with the request's parameters (typed as declared, a
 * default or NULL where not given), `limit` rows from the cursor's offset on. The pipe reads with
 * its own rights: the views its author's key could read when it was defined.
 */
export async function runPipe(engine: SqlEngine, pipe: PipeVersion, request: PipeRequest): Promise<PipePage> {
  const params = paramsOfQuery(pipe.definition, request.params);
  const paramsHash = paramsHashOf(params);
  const cursor = request.cursor === undefined ? undefined : parsePipeCursor(request.cursor);
  if (cursor && (cursor.version !== pipe.version || cursor.paramsHash !== paramsHash)) {
    throw new SightlineError('SL_API_CURSOR_INVALID', 'the cursor belongs to another version of the pipe or to other parameters: send the first page\'s parameters with it');
  }
  const offset = cursor?.offset ?? 0;
  const datasets = new Set(pipe.reads.map((r) => r.dataset));
  // The page is cut by DuckDB (a top-N where the statement sorts), so a deep page converts no
  // row it skips; one row past the page says whether there is another.
  const sql = pageStatement(pipe.definition.sql, request.limit + 1, offset);
  let result;
  try {
    result = await engine.query({ sql, params, mayRead: (dataset) => datasets.has(dataset), ...(request.signal && { signal: request.signal }) });
  } catch (err) {
    // A value out of its type's range shows only when DuckDB binds it.
    if (err instanceof SightlineError && err.code === 'SL_SQL_PARAMS_INVALID') throw new SightlineError('SL_PIPE_PARAMS_INVALID', err.message, { cause: err });
    throw err;
  }
  const rows: SqlValue[][] = [];
  try {
    for await (const chunk of result.chunks()) rows.push(...chunk);
  } finally {
    await result.close();
  }
  const more = rows.length > request.limit;
  if (more) rows.length = request.limit;
  return {
    pipe: pipe.name,
    version: pipe.version,
    columns: result.columns,
    rows,
    nextCursor: more ? `v${pipe.version}.${offset + rows.length}.${paramsHash}` : null,
    stats: result.stats(),
  };
}
