import type { DuckDBConnection } from '@duckdb/node-api';
import { SightlineError } from '../../core/errors.js';
import { inPasses } from './table-passes.js';
import type { ColdStore } from '../../core/ports/cold-store.js';
import type { StoredEventRow, WindowRange } from '../../core/backfill.js';
import type { WindowCount } from '../../core/ports/processed-batch.js';
import type { ColdTables } from '../../lakehouse/cold-tables.js';
import { columnsIn, type DataFile } from '../../lakehouse/iceberg/avro-manifests.js';
import { dayOf } from '../../lakehouse/iceberg/bounds.js';
import type { IcebergTable } from '../../lakehouse/iceberg/iceberg-table.js';
import { typedColumns } from '../../lakehouse/iceberg/table-spec.js';
import { publishDataFile, sqlText } from './data-file-copy.js';
import { localCopies } from './local-copies.js';
import { commitWritten } from './table-commit.js';

export interface WindowRecount {
  conn: DuckDBConnection;
  cold: ColdStore;
  tables: ColdTables;
  encryption: { copy: string; read: string };
  /** Counts stored events into windows as processing does; `touched` accumulates. */
  count(rows: readonly StoredEventRow[], touched: Map<string, WindowCount>): void;
  /** Replaces the hot store's counts of the ranges with those staged in `sl_backfill_windows`. */
  replaceInHot(ranges: readonly WindowRange[]): Promise<void>;
}

const DAY_MS = 86_400_000;
const CHUNK_ROWS = 50_000;

/**
 * Counts the windows of the ranges again, from the events of `read` (the ranges' whole windows) in
 * the `events` table as it now is (the backfilled days, and the events around them that the windows
 * at their edges also hold), and
 * replaces them in each aggregation's table (one `overwrite` snapshot per table) and in the hot
 * store. A window the range no longer fills is removed. Running it again writes the same counts.
 */
export async function recountWindows(x: WindowRecount, ranges: readonly WindowRange[], read: { from: number; to: number }): Promise<{ windows: number }> {
  if (ranges.length === 0) return { windows: 0 };
  const touched = new Map<string, WindowCount>();
  await countFromTable(x, read.from, read.to, touched);
  const inRange = (w: WindowCount): boolean => ranges.some((r) => r.name === w.name && r.window === w.window && w.windowStart >= r.from && w.windowStart < r.to);
  const counted = [...touched.values()].filter(inRange);
  await stageWindows(x.conn, counted);
  for (const name of new Set(ranges.map((r) => r.name))) {
    await replaceInTable(x, x.tables.of('aggregates', name), ranges.filter((r) => r.name === name));
  }
  await x.replaceInHot(ranges);
  return { windows: counted.length };
}

async function countFromTable(x: WindowRecount, from: number, to: number, touched: Map<string, WindowCount>): Promise<void> {
  const table = x.tables.of('events');
  const current = await table.load();
  if (!current) return;
  const [first, last] = [dayOf(from), dayOf(to - 1)];
  const files = (await table.liveFiles(current.metadata)).filter((f) => f.partitionDay === null || (f.partitionDay >= first && f.partitionDay <= last));
  if (files.length === 0) return;
  const copies = await localCopies(x.cold, table, files, 'recount');
  try {
    const read = `read_parquet([${copies.paths.map(sqlText).join(', ')}], hive_partitioning = false, union_by_name = true${copies.sealed ? x.encryption.read : ''})`;
    const columns = typedColumns(table.specOf(current.metadata), columnsIn(files));
    await x.conn.run(`CREATE OR REPLACE TEMP TABLE sl_bf_recount AS SELECT * FROM (SELECT ${columns} FROM ${read}) WHERE timestamp >= ${from} AND timestamp < ${to} AND NOT late`);
  } finally {
    await copies.release();
  }
  try {
    for (let after = Number.MIN_SAFE_INTEGER; ; ) {
      const rows = (await x.conn.runAndReadAll(`SELECT log_pos, id, source, type, timestamp, payload, metadata, late FROM sl_bf_recount WHERE log_pos > $1 ORDER BY log_pos LIMIT ${CHUNK_ROWS}`, [BigInt(after)])).getRowObjects();
      if (rows.length === 0) break;
      after = Number(rows[rows.length - 1]!.log_pos);
      x.count(
        rows.map((r) => ({ logPos: Number(r.log_pos), id: String(r.id), source: String(r.source), type: String(r.type), timestamp: Number(r.timestamp), payload: (r.payload as string | null) ?? '{}', metadata: (r.metadata as string | null) ?? '{}', late: false })),
        touched,
      );
    }
  } finally {
    await x.conn.run('DROP TABLE IF EXISTS sl_bf_recount');
  }
}

async function stageWindows(conn: DuckDBConnection, windows: readonly WindowCount[]): Promise<void> {
  await conn.run('DELETE FROM sl_backfill_windows');
  const stage = await conn.createAppender('sl_backfill_windows');
  for (const w of windows) {
    stage.appendVarchar(w.name);
    stage.appendVarchar(w.window);
    stage.appendBigInt(BigInt(w.windowStart));
    stage.appendBigInt(BigInt(w.windowEnd));
    stage.appendVarchar(w.group);
    stage.appendVarchar(w.stream);
    stage.appendBigInt(BigInt(w.count));
    stage.endRow();
  }
  stage.flushSync();
  stage.closeSync();
}

/** A SQL condition: the row's window is one of the ranges. */
function inRanges(ranges: readonly WindowRange[], alias: string): string {
  return `(${ranges.map((r) => `(${alias}.name = ${sqlText(r.name)} AND ${alias}.window_size = ${sqlText(r.window)} AND ${alias}.window_start >= ${r.from} AND ${alias}.window_start < ${r.to})`).join(' OR ')})`;
}

/**
 * Rewrites the files of an aggregation's table that hold windows of the ranges, or the days new
 * ones start on: each such day becomes one file of its windows outside the ranges and the counts
 * staged for it, swapped in one `overwrite` snapshot.
 */
function replaceInTable(x: WindowRecount, table: IcebergTable, ranges: readonly WindowRange[]): Promise<void> {
  return inPasses(() => replacePass(x, table, ranges));
}

async function replacePass(x: WindowRecount, table: IcebergTable, ranges: readonly WindowRange[]): Promise<void> {
  const name = ranges[0]!.name;
  const [first, last] = [dayOf(Math.min(...ranges.map((r) => r.from))), dayOf(Math.max(...ranges.map((r) => r.to)) - 1)];
  const current = await table.load();
  const files = current ? (await table.liveFiles(current.metadata)).filter((f) => f.partitionDay !== null && f.partitionDay >= first && f.partitionDay <= last) : [];
  const copies = await localCopies(x.cold, table, files, 'rewindow');
  const keys: string[] = [];
  const added: DataFile[] = [];
  let committing = false;
  try {
    const spec = current ? table.specOf(current.metadata) : table.spec;
    const held = copies.paths.length === 0
      ? `SELECT ${typedColumns(spec, new Set())} WHERE false`
      : `SELECT ${typedColumns(spec, columnsIn(files))} FROM read_parquet([${copies.paths.map(sqlText).join(', ')}], hive_partitioning = false, union_by_name = true${copies.sealed ? x.encryption.read : ''})`;
    const staged = `SELECT name, window_size, window_start, any_value(window_end) AS window_end, make_timestamp(window_start * 1000) AS window_start_time, group_key, sum(count)::BIGINT AS count
      FROM sl_backfill_windows WHERE name = ${sqlText(name)} GROUP BY name, window_size, window_start, group_key`;
    const days = new Set<number>([...files.map((f) => f.partitionDay!)]);
    const newDays = await x.conn.runAndReadAll(`SELECT DISTINCT window_start // ${DAY_MS} FROM sl_backfill_windows WHERE name = ${sqlText(name)}`);
    for (const [d] of newDays.getRows()) days.add(Number(d));
    for (const day of [...days].sort((a, b) => a - b)) {
      const onDay = (alias: string): string => `${alias}.window_start >= ${day * DAY_MS} AND ${alias}.window_start < ${(day + 1) * DAY_MS}`;
      const columns = spec.fields.map((f) => `"${f.name}"`).join(', ');
      const query = `SELECT ${columns} FROM (
          SELECT ${columns} FROM (${held}) h WHERE ${onDay('h')} AND NOT ${inRanges(ranges, 'h')}
          UNION ALL SELECT ${columns} FROM (${staged}) s WHERE ${onDay('s')}
        ) ORDER BY ${spec.sortBy.join(', ')}`;
      const key = `${table.base}/dt=${new Date(day * DAY_MS).toISOString().slice(0, 10)}/part-b${Date.now()}.parquet`;
      keys.push(key);
      added.push(await publishDataFile(x.conn, x.cold, spec, key, day, query, x.encryption.copy));
    }
    if (added.length === 0) return;
    const read = new Set(files.map((f) => f.path));
    committing = true;
    await commitWritten(table, x.cold, keys, async (latest) => {
      const live = latest ? await table.liveFiles(latest.metadata) : [];
      const livePaths = new Set(live.map((f) => f.path));
      const addedSince = live.some((f) => !read.has(f.path) && f.partitionDay !== null && f.partitionDay >= first && f.partitionDay <= last);
      if ([...read].some((path) => !livePaths.has(path)) || addedSince) {
        throw new SightlineError('SL_COLD_UNAVAILABLE', `table ${table.base}: windows of the backfilled days changed meanwhile; they are counted into the table again`, { retryable: true });
      }
      return { operation: read.size > 0 ? 'overwrite' : 'append', added, removed: read, summary: { 'sightline.operation': 'backfill' } };
    });
  } catch (err) {
    if (!committing) await x.cold.remove(keys).catch(() => undefined);
    throw err;
  } finally {
    await copies.release();
  }
}
