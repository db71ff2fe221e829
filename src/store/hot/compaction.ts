import type { DuckDBConnection } from '@duckdb/node-api';
import type { ColdStore } from '../../core/ports/cold-store.js';
import { SightlineError } from '../../core/errors.js';
import { columnsIn, type DataFile } from '../../lakehouse/iceberg/avro-manifests.js';
import type { IcebergTable } from '../../lakehouse/iceberg/iceberg-table.js';
import { type TableSpec, typedColumns } from '../../lakehouse/iceberg/table-spec.js';
import type { JobOutcome } from '../../lakehouse/table-lifecycle.js';
import { copyDataFile, sqlText } from './data-file-copy.js';
import { localCopies } from './local-copies.js';

export interface CompactionSettings {
  /** Files below this size are small. */
  belowBytes: number;
  /** A day is compacted once it has at least this many small files. */
  minFiles: number;
  /** Files under this folder (the tier) are left where they are. */
  skipPrefix: string;
}

/**
 * Compaction: each day with at least `minFiles` small files has them rewritten into one, sorted
 * as the table sorts, and one `replace` snapshot swaps them: a reader sees the old files or the
 * new one, never a row twice or missing. The rows are counted before the commit; a mismatch stops
 * it. The old files go when the snapshot before it expires.
 */
export async function compactTable(
  conn: DuckDBConnection,
  cold: ColdStore,
  table: IcebergTable,
  settings: CompactionSettings,
  encryption: { copy: string; read: string },
): Promise<JobOutcome> {
  const current = await table.load();
  if (!current) return { files: 0, rows: 0, snapshots: 0 };
  const byDay = new Map<number, DataFile[]>();
  for (const file of await table.liveFiles(current.metadata)) {
    if (file.partitionDay === null || file.fileSizeInBytes >= settings.belowBytes || table.keyOf(file.path).startsWith(settings.skipPrefix)) continue;
    byDay.set(file.partitionDay, [...(byDay.get(file.partitionDay) ?? []), file]);
  }
  const added: DataFile[] = [];
  const removed = new Set<string>();
  let rows = 0;
  for (const [day, files] of byDay) {
    if (files.length < settings.minFiles) continue;
    const merged = await mergeFiles(conn, cold, table, table.specOf(current.metadata), day, files, encryption);
    added.push(merged);
    for (const f of files) removed.add(f.path);
    rows += merged.recordCount;
  }
  if (added.length === 0) return { files: 0, rows: 0, snapshots: 0 };
  await table.commit(() => ({ operation: 'replace', added, removed, summary: { 'sightline.lifecycle': 'compaction' } }));
  return { files: removed.size, rows, snapshots: 1 };
}

async function mergeFiles(conn: DuckDBConnection, cold: ColdStore, table: IcebergTable, spec: TableSpec, day: number, files: DataFile[], encryption: { copy: string; read: string }): Promise<DataFile> {
  const { paths, sealed, release } = await localCopies(cold, table, files, 'compact');
  try {
    // Written in the current schema: a column older files lack is null in the merged file.
    const rows = `SELECT ${typedColumns(spec, columnsIn(files))} FROM read_parquet([${paths.map(sqlText).join(', ')}], hive_partitioning = false, union_by_name = true${sealed ? encryption.read : ''})`;
    const date = new Date(day * 86_400_000).toISOString().slice(0, 10);
    const key = `${table.base}/dt=${date}/part-k${Date.now()}-${files.length}.parquet`;
    const staged = cold.stagingPath(key.replaceAll('/', '__'));
    const file = await copyDataFile(conn, spec, `${rows} ORDER BY ${spec.sortBy.map((c) => `"${c}"`).join(', ')}`, staged, encryption.copy);
    const expected = files.reduce((s, f) => s + f.recordCount, 0);
    if (file.recordCount !== expected) {
      throw new SightlineError('SL_COLD_UNAVAILABLE', `compaction of ${table.base} day ${date} read ${file.recordCount} rows where the manifests count ${expected}: nothing committed`);
    }
    await cold.put(key, staged);
    return { ...file, path: cold.location(key), partitionDay: day };
  } finally {
    await release();
  }
}
