import type { DuckDBConnection } from '@duckdb/node-api';
import { SightlineError } from '../../core/errors.js';
import type { ColdStore } from '../../core/ports/cold-store.js';
import type { ColdTables } from '../../lakehouse/cold-tables.js';
import type { DataFile } from '../../lakehouse/iceberg/avro-manifests.js';
import type { IcebergTable } from '../../lakehouse/iceberg/iceberg-table.js';
import { BACKFILL_MARK, markedBy } from './backfill-mark.js';
import { publishDataFile, sqlText } from './data-file-copy.js';
import { localCopies } from './local-copies.js';
import { commitWritten } from './table-commit.js';
import { inPasses } from './table-passes.js';

interface WindowSubtraction {
  conn: DuckDBConnection;
  cold: ColdStore;
  tables: ColdTables;
  encryption: { copy: string; read: string };
}

const DAY_MS = 86_400_000;
const SAME_WINDOW = ['window_size', 'window_start', 'group_key'].map((c) => `t.${c} = d.${c}`).join(' AND ');

/**
 * Lowers the windows of each aggregation's table by what a backfilled day's refused events had
 * added to them ($1 job, $2 day in `sl_backfill_plan_windows`): each file holding such a window is
 * written again with the lower count (a window left with none is gone), in one `overwrite`
 * snapshot per table marked with the job and day; each table done leaves the plan at once, and a
 * commit that landed just before a crash is found by its mark. A window the table does not hold
 * (past its cold retention) is left alone.
 */
export async function subtractWindows(x: WindowSubtraction, job: string, day: string, mark: string): Promise<void> {
  const names = (await x.conn.runAndReadAll('SELECT DISTINCT name FROM sl_backfill_plan_windows WHERE job = $1 AND day = $2 ORDER BY name', [job, day])).getRows().map(([n]) => String(n));
  for (const name of names) {
    await inPasses(() => subtractPass(x, x.tables.of('aggregates', name), name, job, day, mark));
    // Done for this table: recorded at once, so a retry never depends on the marked snapshot
    // outliving snapshot expiry.
    await x.conn.run('DELETE FROM sl_backfill_plan_windows WHERE job = $1 AND day = $2 AND name = $3', [job, day, name]);
  }
}

async function subtractPass(x: WindowSubtraction, table: IcebergTable, name: string, job: string, day: string, mark: string): Promise<void> {
  const current = await table.load();
  if (!current || markedBy(current, mark)) return;
  const planned = `(SELECT window_size, window_start, group_key, sum(count) AS count FROM sl_backfill_plan_windows WHERE job = $1 AND day = $2 AND name = $3 GROUP BY ALL)`;
  const days = new Set((await x.conn.runAndReadAll(`SELECT DISTINCT window_start // ${DAY_MS} FROM ${planned}`, [job, day, name])).getRows().map(([d]) => Number(d)));
  const files = (await table.liveFiles(current.metadata)).filter((f) => f.partitionDay !== null && days.has(f.partitionDay));
  const spec = table.specOf(current.metadata);
  const copies = await localCopies(x.cold, table, files, 'rewindow');
  const keys: string[] = [];
  const added: DataFile[] = [];
  const removed = new Set<string>();
  let committing = false;
  try {
    for (const [i, file] of files.entries()) {
      const one = `read_parquet(${sqlText(copies.paths[i]!)}, hive_partitioning = false${copies.sealed ? x.encryption.read : ''})`;
      const touched = Number((await x.conn.runAndReadAll(`SELECT count(*) FROM ${one} t JOIN ${planned} d ON ${SAME_WINDOW}`, [job, day, name])).getRows()[0]![0]);
      if (touched === 0) continue;
      const key = table.keyOf(file.path).replace(/(-b\d+)?\.parquet$/, `-b${Date.now()}.parquet`);
      const lowered = '(t.count - coalesce(d.count, 0))::BIGINT';
      const columns = spec.fields.map((f) => (f.name === 'count' ? `${lowered} AS count` : `t."${f.name}"`)).join(', ');
      const query = `SELECT ${columns} FROM ${one} t LEFT JOIN ${planned} d ON ${SAME_WINDOW} WHERE ${lowered} > 0 ORDER BY ${spec.sortBy.map((c) => `t.${c}`).join(', ')}`;
      keys.push(key);
      added.push(await publishDataFile(x.conn, x.cold, spec, key, file.partitionDay, query, x.encryption.copy, [job, day, name]));
      removed.add(file.path);
    }
    if (added.length === 0) return;
    committing = true;
    await commitWritten(table, x.cold, keys, async (latest) => {
      if (markedBy(latest, mark)) return null;
      const live = new Set(latest ? (await table.liveFiles(latest.metadata)).map((f) => f.path) : []);
      if ([...removed].some((path) => !live.has(path))) {
        throw new SightlineError('SL_COLD_UNAVAILABLE', `table ${table.base}: windows of a backfilled day changed meanwhile; they are lowered again`, { retryable: true });
      }
      return { operation: 'overwrite', added, removed, summary: { 'sightline.operation': 'backfill', [BACKFILL_MARK]: mark } };
    });
  } catch (err) {
    if (!committing) await x.cold.remove(keys).catch(() => undefined);
    throw err;
  } finally {
    await copies.release();
  }
}
