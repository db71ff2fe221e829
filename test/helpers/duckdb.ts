import { DuckDBInstance } from '@duckdb/node-api';

/** Runs queries on a DuckDB file (or :memory: for Parquet) and returns rows as plain objects. */
export async function queryDuckDb(file: string, sql: string): Promise<Array<Record<string, unknown>>> {
  const instance = await DuckDBInstance.create(file, file === ':memory:' ? {} : { access_mode: 'READ_ONLY' });
  const conn = await instance.connect();
  try {
    const reader = await conn.runAndReadAll(sql);
    return reader.getRowObjects().map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}
