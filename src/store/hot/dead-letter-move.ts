import type { DuckDBConnection } from '@duckdb/node-api';
import { SightlineError } from '../../core/errors.js';
import { inPasses } from './table-passes.js';
import type { ColdStore } from '../../core/ports/cold-store.js';
import type { DataFile } from '../../lakehouse/iceberg/avro-manifests.js';
import { dayOfDate } from '../../lakehouse/iceberg/bounds.js';
import type { IcebergTable } from '../../lakehouse/iceberg/iceberg-table.js';
import { dayText, publishDataFile, sqlText } from './data-file-copy.js';
import { localCopies } from './local-copies.js';
import { commitWritten } from './table-commit.js';
import { ensureBackfillTables } from './duckdb-backfill.js';
import { DEAD_LETTER_COLUMNS } from './cold-columns.js';

export interface DeadLetterMove {
  conn: DuckDBConnection;
  cold: ColdStore;
  table: IcebergTable;
  encryption: { copy: string; read: string };
  /** Deletes from the hot store the letters staged in `sl_dead_letters_moved`. */
  dropMoved(): Promise<number>;
}

const COLUMNS = DEAD_LETTER_COLUMNS;
const day = dayText('failed_at');

/**
 * Hot retention of dead letters: the letters that failed before `before` go to the `dead_letters`
 * table (one file per day, one snapshot), then leave the hot store; a letter is written only if the
 * table does not hold its position yet, so a run after a crash between the two steps (or another
 * serving node moving the same letters from its own hot store) writes none twice, and the hot
 * store drops a letter only once the table holds it. Answers the letters dropped.
 */
export async function moveDeadLetters(x: DeadLetterMove, before: number): Promise<{ rows: number; files: number; snapshots: number }> {
  try {
    return await inPasses(() => movePass(x, before));
  } finally {
    await x.conn.run('DROP TABLE IF EXISTS sl_dl_move').catch(() => undefined);
  }
}

async function movePass(x: DeadLetterMove, before: number): Promise<{ rows: number; files: number; snapshots: number }> {
  const out = { rows: 0, files: 0, snapshots: 0 };
  // What the letters are now, replay outcomes included: the rows the table gets.
  await x.conn.run(`CREATE OR REPLACE TEMP TABLE sl_dl_move AS SELECT ${COLUMNS} FROM dead_letters WHERE failed_at < ${before}`);
  const days = (await x.conn.runAndReadAll(`SELECT DISTINCT ${day} FROM sl_dl_move ORDER BY 1`)).getRows().map(([d]) => String(d));
  if (days.length === 0) return out;
  const dayNumbers = new Set(days.map(dayOfDate));
  const onDays = async (metadata: Parameters<IcebergTable['liveFiles']>[0] | undefined): Promise<DataFile[]> =>
    metadata ? (await x.table.liveFiles(metadata)).filter((f) => f.partitionDay !== null && dayNumbers.has(f.partitionDay)) : [];
  const current = await x.table.load();
  const held = await onDays(current?.metadata);
  const copies = await localCopies(x.cold, x.table, held, 'dead-letters');
  const keys: string[] = [];
  let committing = false;
  try {
    const notHeld =
      copies.paths.length === 0
        ? 'true'
        : `dlq_pos NOT IN (SELECT dlq_pos FROM read_parquet([${copies.paths.map(sqlText).join(', ')}], hive_partitioning = false, union_by_name = true${copies.sealed ? x.encryption.read : ''}))`;
    const added: DataFile[] = [];
    for (const d of days) {
      const fresh = Number((await x.conn.runAndReadAll(`SELECT count(*) FROM sl_dl_move WHERE ${day} = $1 AND ${notHeld}`, [d])).getRows()[0]![0]);
      if (fresh === 0) continue;
      const key = `${x.table.base}/dt=${d}/part-m${before}-${Date.now()}.parquet`;
      keys.push(key);
      added.push(await publishDataFile(x.conn, x.cold, x.table.spec, key, dayOfDate(d), `SELECT * FROM sl_dl_move WHERE ${day} = $1 AND ${notHeld} ORDER BY failed_at, dlq_pos`, x.encryption.copy, [d]));
    }
    if (added.length > 0) {
      const read = new Set(held.map((f) => f.path));
      committing = true;
      await commitWritten(x.table, x.cold, keys, async (latest) => {
        if ((await onDays(latest?.metadata)).some((f) => !read.has(f.path))) {
          throw new SightlineError('SL_COLD_UNAVAILABLE', `table ${x.table.base}: another writer moved dead letters of these days meanwhile; the move is planned again`, { retryable: true });
        }
        return { operation: 'append', added, removed: new Set(), summary: { 'sightline.operation': 'dead-letter-retention' } };
      });
      out.files = added.length;
      out.snapshots = 1;
    }
  } catch (err) {
    if (!committing) await x.cold.remove(keys).catch(() => undefined);
    throw err;
  } finally {
    await copies.release();
  }
  // Every letter staged is in the table now (written here, or held before): it may leave.
  await ensureBackfillTables(x.conn);
  await x.conn.run('DELETE FROM sl_dead_letters_moved');
  await x.conn.run('INSERT INTO sl_dead_letters_moved SELECT dlq_pos FROM sl_dl_move');
  out.rows = await x.dropMoved();
  return out;
}
