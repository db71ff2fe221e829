import type { DuckDBConnection } from '@duckdb/node-api';
import { SightlineError } from '../../core/errors.js';
import type { ColdStore } from '../../core/ports/cold-store.js';
import { exportedThrough, exportedThroughKey } from '../../lakehouse/cold-tables.js';
import type { DataFile } from '../../lakehouse/iceberg/avro-manifests.js';
import { dayOfDate } from '../../lakehouse/iceberg/bounds.js';
import type { IcebergTable } from '../../lakehouse/iceberg/iceberg-table.js';
import { dayText, publishDataFile, sqlText } from './data-file-copy.js';
import { localCopies } from './local-copies.js';
import { commitWritten } from './table-commit.js';

export interface WindowExport {
  conn: DuckDBConnection;
  cold: ColdStore;
  table: IcebergTable;
  writer: string;
  /** The aggregation's final windows of the export, in the hot store's `aggregates`. */
  where: string;
  name: string;
  toNo: number;
  fileName: string;
  encryption: { copy: string; read: string };
  select: string;
  orderBy: string;
}

const day = dayText('window_start');

/**
 * Exports an aggregation's final windows to its table, one file per day of window start and one
 * snapshot, leaving out the windows the table already holds (a window is one row: its size, start
 * and group), and rewriting the files of a window it holds with another count (a correction).
 * Every serving node of a deployment closes the same windows, so any of them may
 * export them: the files of the days concerned are read first, and a commit that finds another
 * writer added files to those days meanwhile fails with a retryable error, to be planned again.
 */
export async function exportWindows(x: WindowExport): Promise<{ keys: string[]; rows: number; bytes: number }> {
  const out = { keys: [] as string[], rows: 0, bytes: 0 };
  const current = await x.table.load();
  if (exportedThrough(current, x.writer) >= x.toNo) return out;
  const days = (await x.conn.runAndReadAll(`SELECT DISTINCT ${day} AS d FROM aggregates WHERE ${x.where} ORDER BY d`, [x.name])).getRows().map(([d]) => String(d));
  const dayNumbers = new Set(days.map(dayOfDate));
  const onDays = async (table: typeof current): Promise<DataFile[]> => (table ? (await x.table.liveFiles(table.metadata)).filter((f) => f.partitionDay !== null && dayNumbers.has(f.partitionDay)) : []);
  const heldFiles = await onDays(current);
  const copies = await localCopies(x.cold, x.table, heldFiles, 'windows');
  const keys: string[] = [];
  // Once committing, a failure may follow a write that landed: commitWritten decides what to delete.
  let committing = false;
  try {
    const files = copies.paths.map(sqlText).join(', ');
    const readHeld = `read_parquet([${files}], hive_partitioning = false, union_by_name = true${copies.sealed ? x.encryption.read : ''})`;
    const sameWindow = (a: string, b: string): string => ['window_size', 'window_start', 'group_key'].map((c) => `${a}.${c} = ${b}.${c}`).join(' AND ');
    const held = copies.paths.length === 0 ? 'true' : `NOT EXISTS (SELECT 1 FROM ${readHeld} t WHERE ${sameWindow('t', 'aggregates')})`;
    const where = `${x.where} AND ${held}`;
    const toWrite = (await x.conn.runAndReadAll(`SELECT DISTINCT ${day} AS d FROM aggregates WHERE ${where} ORDER BY d`, [x.name])).getRows().map(([d]) => String(d));
    const added: DataFile[] = [];
    const written = async (key: string, query: string, params: unknown[], partitionDay: number): Promise<void> => {
      keys.push(key);
      const file = await publishDataFile(x.conn, x.cold, x.table.spec, key, partitionDay, query, x.encryption.copy, params as Parameters<DuckDBConnection['runAndReadAll']>[1]);
      added.push(file);
      out.rows += file.recordCount;
      out.bytes += file.fileSizeInBytes;
    };
    for (const d of toWrite) {
      const query = `SELECT ${x.select} FROM aggregates WHERE ${where} AND ${day} = $2 ORDER BY ${x.orderBy}`;
      await written(`${x.table.base}/dt=${d}/${x.fileName}`, query, [x.name, d], dayOfDate(d));
    }
    // A window the table holds with a lower count was corrected after it closed (a share came in
    // late): the files that hold it are written again with the new count, and replace the old.
    // Counts only grow (a share replaces the same stream's earlier share), so a lower count here is
    // a node that has not caught up, or lost the window's earlier shares to hot retention: never
    // written over a higher one.
    const removed = new Set<string>();
    const exported = `(SELECT window_size, window_start, group_key, count FROM aggregates WHERE ${x.where})`;
    for (const [i, file] of heldFiles.entries()) {
      const one = `read_parquet(${sqlText(copies.paths[i]!)}, hive_partitioning = false${copies.sealed ? x.encryption.read : ''})`;
      const stale = await x.conn.runAndReadAll(`SELECT count(*) FROM ${one} t JOIN ${exported} c ON ${sameWindow('t', 'c')} WHERE c.count > t.count`, [x.name]);
      if (Number(stale.getRows()[0]![0]) === 0) continue;
      // Named after this export and writer: never the name of a file another writer's rewrite made.
      const key = x.table.keyOf(file.path).replace(/(-r\d+w[0-9a-f]+)?\.parquet$/, `-r${x.toNo}w${x.writer.slice(0, 8)}.parquet`);
      const columns = x.table.spec.fields.map((f) => (f.name === 'count' ? 'greatest(t.count, coalesce(c.count, t.count)) AS count' : `t.${f.name}`)).join(', ');
      await written(key, `SELECT ${columns} FROM ${one} t LEFT JOIN ${exported} c ON ${sameWindow('t', 'c')} ORDER BY ${x.orderBy}`, [x.name], file.partitionDay!);
      removed.add(file.path);
    }
    if (added.length === 0) return out;
    const before = new Set(heldFiles.map((f) => f.path));
    committing = true;
    const committed = await commitWritten(x.table, x.cold, keys, async (latest) => {
      if (exportedThrough(latest, x.writer) >= x.toNo) return null;
      if ((await onDays(latest)).some((f) => !before.has(f.path))) {
        throw new SightlineError('SL_COLD_UNAVAILABLE', `table ${x.table.base}: another writer added windows of these days meanwhile; the export is planned again`, { retryable: true });
      }
      const summary = { [exportedThroughKey(x.writer)]: String(x.toNo), ...(removed.size > 0 && { 'sightline.operation': 'window-correction' }) };
      return { operation: removed.size > 0 ? 'overwrite' : 'append', added, removed, summary };
    });
    return committed ? { ...out, keys } : { keys: [], rows: 0, bytes: 0 };
  } catch (err) {
    if (!committing) await x.cold.remove(keys).catch(() => undefined);
    throw err;
  } finally {
    await copies.release();
  }
}
