import type { DuckDBConnection, DuckDBPreparedStatement, DuckDBType, DuckDBValue } from '@duckdb/node-api';
import { VARCHAR } from '@duckdb/node-api';
import { SightlineError } from '../core/errors.js';
import type { ColdStore } from '../core/ports/cold-store.js';
import type { SqlColumn, SqlDescription, SqlEngine, SqlParam, SqlParamType, SqlRequest, SqlResult, SqlValue, SqlView } from '../core/ports/sql-engine.js';
import type { ColdTables } from '../lakehouse/cold-tables.js';
import type { ReadGate } from '../store/hot/read-gate.js';
import { rewriteCatalogStatement, withoutPgQualifiers } from './catalog-rewrite.js';
import { SqlCatalog } from './sql-catalog.js';
import { SqlConnections } from './sql-connections.js';
import { type SqlMetrics } from './sql-metrics.js';
import { type BoundParams, deserialized, planColdPart, viewRanges } from './sql-plan.js';
import { duckType, duckValue, jsonValue } from './sql-values.js';
import { aggregationView, type ColdPart, deadLettersView, eventsView, viewColumns, viewSql, type ViewSource } from './sql-views.js';
import { checkStatement, statementDigest, statementsOf } from './statement-check.js';
import type { SqlNode, TimeColumns, TimeRange } from './time-bounds.js';

export interface SqlLimits {
  statementTimeoutMs: number;
  maxRows: number;
  maxConcurrent: number;
  queueTimeoutMs: number;
  maxColdFiles: number;
}

export interface SqlEngineOptions {
  /** A new connection to the hot store's DuckDB (its session prepared: catalog, Parquet key). */
  connect: () => Promise<DuckDBConnection>;
  readGate: ReadGate;
  cold: ColdStore;
  tables: ColdTables;
  /** read_parquet's parameters for encrypted cold files. */
  encryptionRead: string;
  /** The configured aggregations' names. */
  aggregations: readonly string[];
  limits: SqlLimits;
  metrics?: SqlMetrics;
}

/** After its timeout interrupted a statement, how long its reader has to notice before its holds are taken back. */
const TIMEOUT_GRACE_MS = 5_000;

/** What a statement holds while it runs: its views, fetched files, the read gate. */
interface Held {
  releases: Array<() => Promise<void>>;
  madeViews: string[];
  views: string[];
  /** Each view's time range, as its bounds reached. */
  ranges: Map<string, TimeRange>;
  /** Whether the statement reads the clock or chance. */
  volatile?: boolean;
  coldFiles: number;
  timedOut: boolean;
  /** When its statement timeout ends (ms since the epoch). */
  deadline: number;
  leave?: () => void;
  /** The catalog's connection, for a statement that reads no view. */
  catalog?: DuckDBConnection;
}

interface Prepared {
  prepared: DuckDBPreparedStatement;
  params: BoundParams | undefined;
  /** Where it is prepared: the statement's own connection, or the catalog's. */
  conn: DuckDBConnection;
}

/** DuckDB's type of a parameter; VARCHAR where the statement leaves it open (`SELECT $1`). */
function parameterTypeText(prepared: DuckDBPreparedStatement, index: number): string {
  try {
    return prepared.parameterType(index).toString();
  } catch {
    return 'VARCHAR';
  }
}

/**
 * Gives each UNKNOWN parameter the type the statement gives it: its text cast by DuckDB, which
 * reads every form Postgres clients write (timestamps with offsets, numerics, booleans as t/f).
 */
async function castUnknownParams(conn: DuckDBConnection, prepared: DuckDBPreparedStatement, given: NonNullable<SqlRequest['params']>, bound: BoundParams): Promise<void> {
  const entries: Array<[string | number, SqlParam]> = Array.isArray(given) ? given.map((p, i) => [i, p]) : Object.entries(given);
  for (const [key, param] of entries) {
    if (param.type !== 'UNKNOWN' || param.value === null) continue;
    const index = typeof key === 'number' ? key + 1 : prepared.parameterIndex(key);
    const type = parameterTypeText(prepared, index);
    if (type === 'VARCHAR') continue;
    let value: DuckDBValue;
    let duckType: DuckDBType;
    try {
      const cast = await conn.runAndReadAll(`SELECT CAST($1::VARCHAR AS ${type})`, [String(param.value)], [VARCHAR]);
      value = cast.getRows()[0]![0]!;
      duckType = cast.columnType(0);
    } catch (err) {
      throw new SightlineError('SL_SQL_PARAMS_INVALID', `parameter ${typeof key === 'number' ? `$${key + 1}` : `$${key}`} is not a ${type}: ${(err as Error).message.split('\n')[0]}`);
    }
    if (Array.isArray(bound.values)) {
      bound.values[key as number] = value;
      (bound.types as DuckDBType[])[key as number] = duckType;
    } else {
      bound.values[key as string] = value;
      (bound.types as Record<string, DuckDBType>)[key as string] = duckType;
    }
  }
}

/**
 * The columns of a statement whose parameters' types it does not say itself (`$page IS NULL OR
 * group_key = $page`), which DuckDB binds only once values come: it runs with each parameter a
 * NULL of its declared type, under a LIMIT 0 that reads no row.
 */
async function typedColumns(conn: DuckDBConnection, sql: string, types: Record<string, SqlParamType>, timeoutMs: number): Promise<SqlColumn[]> {
  const prepared = await conn.prepare(`SELECT * FROM (\n${sql.replace(/[\s;]+$/, '')}\n) AS described LIMIT 0`);
  const bound = bindParams(Object.fromEntries(Object.entries(types).map(([name, type]) => [name, { type, value: null }])));
  if (bound) prepared.bind(bound.values, bound.types);
  // LIMIT 0 should read nothing; the statement timeout holds should DuckDB not see it so.
  const timer = setTimeout(() => conn.interrupt(), timeoutMs);
  try {
    const result = await prepared.run();
    return result.columnNames().map((name, i) => ({ name, type: result.columnType(i).toString() }));
  } finally {
    clearTimeout(timer);
  }
}

/** DuckDB's error, as the SQL surface answers it. */
function sqlError(err: unknown, timedOut: boolean, cancelled: boolean): SightlineError {
  if (err instanceof SightlineError) return err;
  const message = (err as Error).message ?? String(err);
  if (cancelled) return new SightlineError('SL_SQL_CANCELLED', 'the statement was cancelled by its client', { cause: err });
  if (timedOut || /^INTERRUPT Error|Interrupted/i.test(message)) return new SightlineError('SL_SQL_TIMEOUT', 'the statement ran past sql.statementTimeout and was cancelled', { cause: err });
  // DuckDB's advice after the first line (more threads, a higher limit) is for its operator, not the caller.
  if (/^Out of Memory Error/i.test(message)) return new SightlineError('SL_SQL_MEMORY_LIMIT', `the statement needs more memory than the query engine may use (hot.memoryLimit): ${message.replace(/^Out of Memory Error: /, '').split('\n')[0]}`, { cause: err });
  if (/^Permission Error/i.test(message)) return new SightlineError('SL_SQL_NOT_ALLOWED', message.replace(/^Permission Error: /, ''), { cause: err });
  if (/^IO Error/i.test(message)) return new SightlineError('SL_COLD_UNAVAILABLE', `a cold file changed while the statement read it: try again (${message})`, { cause: err });
  return new SightlineError('SL_SQL_INVALID', message, { cause: err });
}

/** The request's parameters bound as node-api takes them; `$name` by name, `$1` by position. */
function bindParams(params: SqlRequest['params']): BoundParams | undefined {
  if (params === undefined) return undefined;
  if (Array.isArray(params)) {
    if (params.length === 0) return undefined;
    return { values: params.map((p, i) => duckValue(`$${i + 1}`, p)), types: params.map((p) => duckType(p.type)), tuple: `(${params.map((_, i) => `$${i + 1}`).join(', ')})` };
  }
  const entries = Object.entries(params) as Array<[string, SqlParam]>;
  if (entries.length === 0) return undefined;
  for (const [name] of entries) {
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name)) throw new SightlineError('SL_SQL_PARAMS_INVALID', `parameter name ${JSON.stringify(name)}: letters, digits and _ (not first a digit)`);
  }
  const values: Record<string, DuckDBValue> = {};
  const types: Record<string, DuckDBType> = {};
  for (const [name, p] of entries) {
    values[name] = duckValue(`$${name}`, p);
    types[name] = duckType(p.type);
  }
  return { values, types, tuple: `(${entries.map(([name]) => `$${name}`).join(', ')})` };
}

/**
 * SQL on read on the hot store's DuckDB: each statement runs on a connection of its own pool, over
 * temporary views made for it (the hot rows and the cold files its time bounds reach), within the
 * limits: a timeout that interrupts it, a row cap, a cap on cold files, DuckDB's memory limit. The
 * instance reads no file outside the data folder and reaches no network (the hot store confines
 * it at open), and the statement check lets only SELECTs over the views through.
 */
export class DuckDbSqlEngine implements SqlEngine {
  private readonly connections: SqlConnections;
  private readonly catalog = new SqlCatalog();
  /** The hot store's database name, which the views' definitions name. */
  private hotCatalog: string | undefined;
  private template: SqlNode | undefined;

  constructor(private readonly options: SqlEngineOptions) {
    this.connections = new SqlConnections(() => this.open(), options.limits.maxConcurrent, options.limits.queueTimeoutMs);
  }

  private async open(): Promise<DuckDBConnection> {
    const conn = await this.options.connect();
    try {
      if (!this.hotCatalog) this.hotCatalog = String((await conn.runAndReadAll('SELECT current_database()')).getRows()[0]![0]);
      if (!this.template) this.template = JSON.parse(String((await conn.runAndReadAll("SELECT json_serialize_sql('SELECT 1')")).getRows()[0]![0])) as SqlNode;
      // Names resolve among the statement's temporary views only: the hot store's own tables
      // (bookkeeping included) are not reachable by name.
      await conn.run("SET search_path = 'temp.main'");
      // Times are UTC throughout (what the Postgres port reports, what event_time means): not the host's zone.
      await conn.run("SET TimeZone = 'UTC'");
      return conn;
    } catch (err) {
      conn.closeSync();
      throw err;
    }
  }

  /** The views there are now: events, dead letters, each aggregation configured or with a table. */
  private async sources(): Promise<Map<string, ViewSource>> {
    const { tables } = this.options;
    const out = new Map<string, ViewSource>();
    for (const source of [eventsView(tables), deadLettersView(tables)]) out.set(source.name, source);
    const names = new Set(this.options.aggregations);
    for (const table of await tables.all()) if (table.base.startsWith('aggregates/')) names.add(table.spec.name);
    for (const name of names) {
      const source = aggregationView(tables, name);
      if (!out.has(source.name.toLowerCase())) out.set(source.name.toLowerCase(), source);
    }
    return out;
  }

  async views(): Promise<SqlView[]> {
    return [...(await this.sources()).values()].map((s) => ({ name: s.name, dataset: s.dataset, columns: viewColumns(s) }));
  }

  /**
   * Checks the statement, makes its views (with the cold files its bounds reach, or none to only
   * describe it) and prepares it on `conn`. What it holds (views, fetched files, the read gate) is
   * recorded in `held` for the caller to let go.
   */
  private async prepare(conn: DuckDBConnection, request: Pick<SqlRequest, 'sql' | 'mayRead' | 'onDigest' | 'params'>, held: Held, describeOnly: boolean): Promise<Prepared> {
    const { limits } = this.options;
    const parse = async (sql: string): Promise<SqlNode[]> => statementsOf(String((await conn.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR)', [sql], [VARCHAR])).getRows()[0]![0]));
    let statements: SqlNode[];
    try {
      statements = await parse(request.sql);
    } catch (err) {
      // psql's catalog queries qualify casts and operators (`::pg_catalog.text`,
      // `OPERATOR(pg_catalog.~)`), which DuckDB's parser does not take; unqualified, they parse.
      const plain = withoutPgQualifiers(request.sql);
      if (plain === request.sql || !(err instanceof SightlineError) || err.code !== 'SL_SQL_INVALID') throw err;
      statements = await parse(plain).catch(() => Promise.reject(err));
    }
    if (statements.length !== 1) throw new SightlineError('SL_SQL_NOT_ALLOWED', `send one statement (this holds ${statements.length})`);
    request.onDigest?.(statementDigest(statements[0]!));
    const sources = await this.sources();
    const time = new Map<string, TimeColumns>([...sources].map(([name, s]) => [name, s.time]));
    // A statement that reads no view (a client's pg_catalog or information_schema questions,
    // SELECT version()) runs on the catalog, which holds the views' names and types and no row.
    if (checkStatement(statements[0]!, time, { lenient: true }).references.length === 0) {
      held.catalog = await this.catalog.connect([...sources.values()].map((s) => ({ name: s.name, dataset: s.dataset, columns: viewColumns(s) })));
      const sql = await deserialized(conn, this.template!, rewriteCatalogStatement(statements[0]!));
      return { prepared: await held.catalog.prepare(sql), params: bindParams(request.params), conn: held.catalog };
    }
    const { references, volatile } = checkStatement(statements[0]!, time);
    held.volatile = volatile;
    held.views = [...new Set(references.map((r) => r.view))];
    for (const name of held.views) {
      const { dataset } = sources.get(name)!;
      if (!request.mayRead(dataset)) throw new SightlineError('SL_AUTH_FORBIDDEN', `the key may not read ${name}: it needs query:read on ${dataset}${dataset === 'dead_letters' ? ' and dlq:read' : ''}`);
    }
    const params = bindParams(request.params);
    const ranges = describeOnly ? new Map<string, TimeRange>() : await viewRanges(conn, this.template!, references, params);
    held.ranges = ranges;
    if (!describeOnly) held.leave = await this.options.readGate.enter(Math.max(0, held.deadline - Date.now()));
    for (const name of held.views) {
      const source = sources.get(name)!;
      let part: ColdPart | undefined;
      if (!describeOnly) {
        const planned = await planColdPart(source, this.options.cold, ranges.get(name) ?? {}, this.options.encryptionRead, limits.maxColdFiles - held.coldFiles);
        held.releases.push(planned.release);
        part = planned.part;
        held.coldFiles += part?.paths.length ?? 0;
      }
      if (held.timedOut) throw new SightlineError('SL_SQL_TIMEOUT', 'the statement ran past sql.statementTimeout while its cold files were fetched');
      held.madeViews.push(name);
      await conn.run(`CREATE OR REPLACE TEMP VIEW "${name}" AS ${viewSql(source, this.hotCatalog!, part)}`);
    }
    const prepared = await conn.prepare(request.sql);
    return { prepared, params, conn };
  }

  async describe(request: Pick<SqlRequest, 'sql' | 'mayRead'> & { paramTypes?: Record<string, SqlParamType> }): Promise<SqlDescription> {
    const conn = await this.connections.acquire();
    const held: Held = { releases: [], madeViews: [], views: [], ranges: new Map(), coldFiles: 0, timedOut: false, deadline: Date.now() + this.options.limits.statementTimeoutMs };
    try {
      const { prepared, conn: preparedOn } = await this.prepare(conn, request, held, true);
      const paramNames = Array.from({ length: prepared.parameterCount }, (_, i) => prepared.parameterName(i + 1));
      const params = paramNames.map((name, i) => request.paramTypes?.[name] ?? parameterTypeText(prepared, i + 1));
      const types = request.paramTypes;
      // Typed only where every parameter is declared; the caller refuses the others.
      const columns = types && paramNames.length > 0 && paramNames.every((n) => n in types) ? await typedColumns(preparedOn, request.sql, Object.fromEntries(paramNames.map((n) => [n, types[n]!])), this.options.limits.statementTimeoutMs) : Array.from({ length: prepared.columnCount }, (_, i) => ({ name: prepared.columnName(i), type: prepared.columnType(i).toString() }));
      const sources = await this.sources();
      return { params, paramNames, columns, reads: held.views.map((view) => ({ view, dataset: sources.get(view)!.dataset })), volatile: held.volatile ?? false };
    } catch (err) {
      throw sqlError(err, false, false);
    } finally {
      await this.letGo(conn, held);
    }
  }

  /** Drops the statement's views, removes fetched files, leaves the gate, gives the connection back. */
  private async letGo(conn: DuckDBConnection, held: Held, discard = false): Promise<void> {
    let broken = discard;
    if (!discard) for (const name of held.madeViews) await conn.run(`DROP VIEW IF EXISTS temp.main."${name}"`).catch(() => (broken = true));
    for (const release of held.releases) await release().catch(() => undefined);
    held.leave?.();
    held.catalog?.closeSync();
    this.connections.release(conn, broken);
  }

  async query(request: SqlRequest): Promise<SqlResult> {
    const started = performance.now();
    const { limits } = this.options;
    const maxRows = Math.min(request.maxRows ?? limits.maxRows, limits.maxRows);
    const conn = await this.connections.acquire();
    const held: Held = { releases: [], madeViews: [], views: [], ranges: new Map(), coldFiles: 0, timedOut: false, deadline: Date.now() + limits.statementTimeoutMs };
    let cancelled = false;
    const interrupt = (): void => (held.catalog ?? conn).interrupt();
    let forced: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      held.timedOut = true;
      interrupt();
      // A reader that stopped reading (a client that does not read its socket, a portal left
      // suspended) would hold the connection, the read gate and the client's slot for ever: a
      // moment after the timeout they are taken back, and the connection closed, not reused.
      forced = setTimeout(() => void finish(new SightlineError('SL_SQL_TIMEOUT', 'the statement ran past sql.statementTimeout and was cancelled'), true), TIMEOUT_GRACE_MS);
      forced.unref();
    }, limits.statementTimeoutMs);
    const cancel = (): void => {
      cancelled = true;
      interrupt();
    };
    request.signal?.addEventListener('abort', cancel);
    let rows = 0;
    let finished = false;
    const finish = async (failed: SightlineError | undefined, discard = false): Promise<void> => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      clearTimeout(forced);
      request.signal?.removeEventListener('abort', cancel);
      await this.letGo(conn, held, discard);
      this.options.metrics?.finished(failed?.code ?? 'ok', (performance.now() - started) / 1000, rows, held.coldFiles);
    };
    try {
      if (request.signal?.aborted) throw new SightlineError('SL_SQL_CANCELLED', 'the statement was cancelled before it ran');
      const { prepared, params } = await this.prepare(conn, request, held, false);
      const expected = prepared.parameterCount;
      const given = params ? (Array.isArray(params.values) ? params.values.length : Object.keys(params.values).length) : 0;
      if (expected !== given) throw new SightlineError('SL_SQL_PARAMS_INVALID', `the statement takes ${expected} parameter(s) and ${given} were given`);
      if (params) {
        await castUnknownParams(held.catalog ?? conn, prepared, request.params!, params);
        prepared.bind(params.values, params.types);
      }
      const result = await prepared.stream();
      const columns = result.columnNames().map((name, i) => ({ name, type: result.columnType(i).toString() }));
      return {
        columns,
        async *chunks(): AsyncGenerator<SqlValue[][]> {
          try {
            for (;;) {
              if (finished) throw new SightlineError('SL_SQL_TIMEOUT', 'the statement ran past sql.statementTimeout and was cancelled');
              const chunk = await result.fetchChunk();
              if (!chunk || chunk.rowCount === 0) break;
              if (rows + chunk.rowCount > maxRows) throw new SightlineError('SL_SQL_TOO_MANY_ROWS', `the result has more than ${maxRows} rows (sql.maxRows, or max_rows): aggregate, or page with LIMIT and OFFSET`);
              rows += chunk.rowCount;
              yield chunk.convertRows(jsonValue) as SqlValue[][];
            }
            await finish(undefined);
          } catch (err) {
            const failure = sqlError(err, held.timedOut, cancelled);
            await finish(failure);
            throw failure;
          } finally {
            // A reader that stops early (a client gone) leaves the statement: interrupt it.
            if (!finished) {
              interrupt();
              await finish(undefined);
            }
          }
        },
        stats: () => ({
          rows,
          coldFiles: held.coldFiles,
          elapsedMs: Math.round(performance.now() - started),
          views: held.views,
          bounds: Object.fromEntries(held.views.map((view) => [view, held.ranges.get(view) ?? {}])),
        }),
        close: async () => {
          if (!finished) interrupt();
          await finish(undefined);
        },
      };
    } catch (err) {
      const failure = sqlError(err, held.timedOut, cancelled);
      await finish(failure);
      throw failure;
    }
  }

  close(): void {
    this.connections.close();
    this.catalog.close();
  }
}
