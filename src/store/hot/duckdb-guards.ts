/** Guards of the hot store's DuckDB: what its files may be, and whether it still takes writes. */
import type { DuckDBConnection } from '@duckdb/node-api';
import { sqlText } from './data-file-copy.js';

/**
 * Confines a DuckDB instance, for every connection: files only under `dirs`, no network, no
 * extension installed or loaded from elsewhere. SQL on read shares the hot store's instance, so
 * this is what keeps a statement that got past its checks from reading the log, the keys or a URL.
 * DuckDB refuses to turn external access back on while the instance is open.
 */
export async function confineFiles(conn: DuckDBConnection, dirs: readonly string[]): Promise<void> {
  const list = dirs.map((d) => sqlText(d.endsWith('/') ? d : `${d}/`)).join(', ');
  await conn.run(`SET allowed_directories = [${list}]`);
  await conn.run('SET enable_external_access = false');
}

/** Whether the store takes writes: a one-row transaction, rolled back on failure; answers the failure. */
export async function probeWrite(writer: DuckDBConnection): Promise<string | undefined> {
  try {
    await writer.run('BEGIN TRANSACTION');
    await writer.run('CREATE TABLE IF NOT EXISTS sl_write_probe (written_at BIGINT)');
    await writer.run('DELETE FROM sl_write_probe');
    await writer.run('INSERT INTO sl_write_probe VALUES ($1)', [BigInt(Date.now())]);
    await writer.run('COMMIT');
    return undefined;
  } catch (err) {
    await writer.run('ROLLBACK').catch(() => undefined);
    return (err as Error).message;
  }
}
