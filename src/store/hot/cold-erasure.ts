import { open, rm } from 'node:fs/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ErasureScope } from '../../core/erasure.js';
import type { ColdStore } from '../../core/ports/cold-store.js';

const DAY_MS = 86_400_000;

/** Whether a Parquet file is encrypted: it ends with the magic `PARE` (Parquet modular encryption), not `PAR1`. */
async function sealedParquet(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const tail = Buffer.alloc(4);
    await handle.read(tail, 0, 4, Math.max(0, size - 4));
    return tail.toString('latin1') === 'PARE';
  } finally {
    await handle.close();
  }
}
const quoted = (path: string): string => `'${path.replaceAll("'", "''")}'`;

/**
 * Rewrites each events file of the days in scope that holds the user's rows, without them: the
 * same columns, order and compression, staged and then published whole over the old file, so a
 * reader sees the old file or the new one. A file of that user's rows alone stays, empty.
 */
export async function eraseFromFiles(conn: DuckDBConnection, cold: ColdStore, scope: ErasureScope, encryption: { copy: string; read: string }): Promise<{ files: number; rows: number }> {
  const firstDay = scope.from === null ? '' : new Date(Math.floor(scope.from / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
  const lastDay = new Date(scope.to).toISOString().slice(0, 10);
  const match = 'user_id IS NOT NULL AND sha256(user_id) = $1 AND timestamp BETWEEN $2 AND $3';
  const params = [scope.subject, BigInt(scope.from ?? Number.MIN_SAFE_INTEGER), BigInt(scope.to)];
  let files = 0;
  let rows = 0;
  for (const { key } of await cold.list('events/')) {
    const day = /\/dt=(\d{4}-\d{2}-\d{2})\//.exec(key)?.[1];
    if (!day || day < firstDay || day > lastDay || !key.endsWith('.parquet')) continue;
    // A local copy: the store may be an object store, and DuckDB then reads a plain file.
    const copy = cold.stagingPath(`erase-read__${key.replaceAll('/', '__')}`);
    if (!(await cold.download(key, copy))) continue;
    try {
      const source = quoted(copy);
      // A file written before encryption was turned on is read as it is (and written back encrypted).
      const read = (await sealedParquet(copy)) ? encryption.read : '';
      const found = Number((await conn.runAndReadAll(`SELECT count(*) FROM read_parquet(${source}, hive_partitioning = false${read}) WHERE ${match}`, params)).getRows()[0]![0]);
      if (found === 0) continue;
      const staged = cold.stagingPath(`erase__${key.replaceAll('/', '__')}`);
      await conn.run(
        `COPY (SELECT * FROM read_parquet(${source}, hive_partitioning = false${read}) WHERE NOT coalesce(${match}, false) ORDER BY timestamp, log_pos)
         TO ${quoted(staged)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880${encryption.copy})`,
        params,
      );
      await cold.put(key, staged);
      files++;
      rows += found;
    } finally {
      await rm(copy, { force: true });
    }
  }
  return { files, rows };
}
