/**
 * Postgres' types as the Postgres wire protocol names them (by OID), for the DuckDB types SQL on
 * read answers: what a RowDescription says, and what the catalog's pg_type and pg_attribute say,
 * so a client sees one type for a column whichever way it asks.
 */
export interface PgType {
  oid: number;
  /** Its pg_type.typname. */
  name: string;
  /** Its name in SQL, as format_type() and psql's \d write it. */
  sqlName: string;
  /** Bytes, or -1 for a variable length. */
  size: number;
  /** pg_type.typcategory: B boolean, N numeric, S string, D date/time, T timespan, U user, … */
  category: string;
}

export const PG_TYPES = {
  bool: { oid: 16, name: 'bool', sqlName: 'boolean', size: 1, category: 'B' },
  bytea: { oid: 17, name: 'bytea', sqlName: 'bytea', size: -1, category: 'U' },
  int8: { oid: 20, name: 'int8', sqlName: 'bigint', size: 8, category: 'N' },
  int2: { oid: 21, name: 'int2', sqlName: 'smallint', size: 2, category: 'N' },
  int4: { oid: 23, name: 'int4', sqlName: 'integer', size: 4, category: 'N' },
  text: { oid: 25, name: 'text', sqlName: 'text', size: -1, category: 'S' },
  json: { oid: 114, name: 'json', sqlName: 'json', size: -1, category: 'U' },
  float4: { oid: 700, name: 'float4', sqlName: 'real', size: 4, category: 'N' },
  float8: { oid: 701, name: 'float8', sqlName: 'double precision', size: 8, category: 'N' },
  varchar: { oid: 1043, name: 'varchar', sqlName: 'character varying', size: -1, category: 'S' },
  date: { oid: 1082, name: 'date', sqlName: 'date', size: 4, category: 'D' },
  time: { oid: 1083, name: 'time', sqlName: 'time without time zone', size: 8, category: 'D' },
  timestamp: { oid: 1114, name: 'timestamp', sqlName: 'timestamp without time zone', size: 8, category: 'D' },
  timestamptz: { oid: 1184, name: 'timestamptz', sqlName: 'timestamp with time zone', size: 8, category: 'D' },
  interval: { oid: 1186, name: 'interval', sqlName: 'interval', size: 16, category: 'T' },
  numeric: { oid: 1700, name: 'numeric', sqlName: 'numeric', size: -1, category: 'N' },
  uuid: { oid: 2950, name: 'uuid', sqlName: 'uuid', size: 16, category: 'U' },
} as const satisfies Record<string, PgType>;

/** The Postgres type a DuckDB type is sent as; types Postgres has no match for are text (lists and structs as JSON). */
export function pgTypeOf(duckType: string): PgType {
  const t = duckType.toUpperCase();
  if (t === 'BOOLEAN') return PG_TYPES.bool;
  if (t === 'TINYINT' || t === 'SMALLINT' || t === 'UTINYINT') return PG_TYPES.int2;
  if (t === 'INTEGER' || t === 'USMALLINT') return PG_TYPES.int4;
  if (t === 'BIGINT' || t === 'UINTEGER') return PG_TYPES.int8;
  if (t === 'UBIGINT' || t === 'HUGEINT' || t === 'UHUGEINT' || t.startsWith('DECIMAL')) return PG_TYPES.numeric;
  if (t === 'FLOAT') return PG_TYPES.float4;
  if (t === 'DOUBLE') return PG_TYPES.float8;
  if (t === 'JSON') return PG_TYPES.json;
  if (t === 'DATE') return PG_TYPES.date;
  if (t === 'TIME') return PG_TYPES.time;
  if (t === 'TIMESTAMP' || t === 'TIMESTAMP_MS' || t === 'TIMESTAMP_NS' || t === 'TIMESTAMP_S') return PG_TYPES.timestamp;
  if (t === 'TIMESTAMP WITH TIME ZONE') return PG_TYPES.timestamptz;
  if (t === 'INTERVAL') return PG_TYPES.interval;
  if (t === 'BLOB') return PG_TYPES.bytea;
  if (t === 'UUID') return PG_TYPES.uuid;
  return PG_TYPES.text;
}
