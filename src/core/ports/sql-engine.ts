/** The types a parameter of a SQL statement may be declared as. */
export const SQL_PARAM_TYPES = ['VARCHAR', 'BIGINT', 'INTEGER', 'DOUBLE', 'BOOLEAN', 'TIMESTAMP', 'TIMESTAMPTZ', 'DATE'] as const;
export type SqlParamType = (typeof SQL_PARAM_TYPES)[number];

/**
 * One parameter's value and its type; null is SQL NULL. UNKNOWN (Postgres' `unknown`: a client
 * that sends text and no type) takes the type the statement gives the parameter, cast by DuckDB.
 */
export interface SqlParam {
  type: SqlParamType | 'UNKNOWN';
  value: string | number | boolean | null;
}

/** A value of a result row as JSON carries it: integers as numbers while exact (else text), temporal values as DuckDB writes them. */
export type SqlValue = null | boolean | number | string | SqlValue[] | { [key: string]: SqlValue };

export interface SqlColumn {
  name: string;
  /** DuckDB's name of the column's type: BIGINT, VARCHAR, TIMESTAMP, DECIMAL(18,3), … */
  type: string;
}

export interface SqlRequest {
  sql: string;
  /** `$name` parameters by name, or `$1`, `$2`, … by position. */
  params?: Record<string, SqlParam> | SqlParam[];
  /** At most this many rows (never more than the engine's own cap). */
  maxRows?: number;
  /** Whether the caller may read a dataset: `events`, `dead_letters`, `aggregates/<name>`. */
  mayRead: (dataset: string) => boolean;
  /** Told the statement's digest once it parses: its shape without its constants, for the audit log. */
  onDigest?: (digest: string) => void;
  /** Cancels the statement (a Postgres client's CancelRequest): SL_SQL_CANCELLED. */
  signal?: AbortSignal;
}

/** What a statement takes and gives, known before it runs: its parameters' and its columns' types. */
export interface SqlDescription {
  /** DuckDB's type of each parameter, in order ($1, $2, … or the names' order); VARCHAR where the statement does not say. */
  params: string[];
  /** Each parameter's name, in the same order: `from` for `$from`, `1` for `$1`. */
  paramNames: string[];
  columns: SqlColumn[];
  /** The views the statement reads, each with the dataset a key needs to read it. */
  reads: Array<{ view: string; dataset: string }>;
  /** Whether it reads the clock or chance (now(), random()), so its answer changes with no data changing. */
  volatile: boolean;
}

/** An event-time range in ms, `to` exclusive; an absent side is open. */
export interface SqlTimeRange {
  from?: number;
  to?: number;
}

/** What one statement cost, for the answer and the metrics. */
export interface SqlStats {
  rows: number;
  /** Cold data files the statement's views read, after pruning on event time. */
  coldFiles: number;
  elapsedMs: number;
  /** The views the statement read. */
  views: string[];
  /** The range of its time column each view was bounded to by the WHERE (open sides where none was). */
  bounds: Record<string, SqlTimeRange>;
}

/**
 * A running statement: its columns are known, its rows come in chunks. The connection is held
 * until the rows are read to the end, an error ends them, or `close` is called.
 */
export interface SqlResult {
  columns: SqlColumn[];
  /** Throws a SightlineError (SL_SQL_TIMEOUT, SL_SQL_TOO_MANY_ROWS, …) when the statement fails while rows stream. */
  chunks(): AsyncIterable<SqlValue[][]>;
  stats(): SqlStats;
  close(): Promise<void>;
}

/** A view of the SQL surface: its name, the dataset a key needs, its columns. */
export interface SqlView {
  name: string;
  dataset: string;
  columns: SqlColumn[];
}

/**
 * SQL on read: one read-only SELECT over views that span the hot store and the cold tables
 * (`events`, `dead_letters`, one per aggregation), each row once.
 */
export interface SqlEngine {
  query(request: SqlRequest): Promise<SqlResult>;
  /**
   * The statement checked and planned without reading a row or a cold file. `paramTypes`, where
   * the caller declares them, type the parameters the statement leaves open.
   */
  describe(request: Pick<SqlRequest, 'sql' | 'mayRead'> & { paramTypes?: Record<string, SqlParamType> }): Promise<SqlDescription>;
  /** The views there are now (those a caller may read are for it to filter). */
  views(): Promise<SqlView[]>;
}
