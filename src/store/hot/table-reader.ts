import type { DuckDBConnection } from '@duckdb/node-api';
import { SightlineError } from '../../core/errors.js';
import type { ColdStore, TableRead, TableRows } from '../../core/ports/cold-store.js';
import type { ColdTables } from '../../lakehouse/cold-tables.js';
import { planScan } from '../../lakehouse/table-scan.js';
import { typedColumns } from '../../lakehouse/iceberg/table-spec.js';
import { columnsIn } from '../../lakehouse/iceberg/avro-manifests.js';
import { localCopies } from './local-copies.js';
import { sqlText } from './data-file-copy.js';

/** Data files one read may open (and fetch, from an object store). */
const MAX_FILES_PER_READ = 200;

/** A DuckDB value as JSON has it: integers as numbers, timestamps as ISO strings. */
function plain(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (value !== null && typeof value === 'object' && 'micros' in value) return new Date(Number((value as { micros: bigint }).micros / 1000n)).toISOString();
  return value;
}

/**
 * Rows of one table as of a snapshot, read from the data files the snapshot names (pruned to the
 * days of the range) with DuckDB: what `sightline tables … --as-of` shows. Files on an object store
 * are fetched to the staging folder for the read and removed after.
 */
export async function readTableRows(conn: DuckDBConnection, cold: ColdStore, tables: ColdTables, read: TableRead, encryptionRead: string): Promise<TableRows> {
  const table = (await tables.list()).get(read.table);
  if (!table) throw new SightlineError('SL_API_NOT_FOUND', `no table ${read.table} in the cold tier (yet)`);
  const loaded = await table.load();
  const { snapshot, files } = await planScan(table, loaded, read);
  if (!snapshot || files.length === 0) return { snapshotId: snapshot?.['snapshot-id'] ?? null, rows: [] };
  // One request reads a bounded part of the table: the day files of a narrower range, not all.
  if (files.length > MAX_FILES_PER_READ) {
    throw new SightlineError('SL_API_BAD_REQUEST', `the read spans ${files.length} data files of ${read.table} (at most ${MAX_FILES_PER_READ}): narrow it with from and to`);
  }
  const time = table.spec.timeColumn;
  const { paths, sealed, release } = await localCopies(cold, table, files, 'read');
  try {
    const where = [read.from !== undefined && `${time} >= ${Math.trunc(read.from)}`, read.to !== undefined && `${time} < ${Math.trunc(read.to)}`].filter(Boolean).join(' AND ') || 'true';
    const result = await conn.runAndReadAll(
      `SELECT ${typedColumns(table.specOf(loaded?.metadata), columnsIn(files))} FROM read_parquet([${paths.map(sqlText).join(', ')}], hive_partitioning = false, union_by_name = true${sealed ? encryptionRead : ''}) WHERE ${where} ORDER BY ${time} LIMIT ${Math.trunc(read.limit)}`,
    );
    const names = result.columnNames();
    return { snapshotId: snapshot['snapshot-id'], rows: result.getRows().map((row) => Object.fromEntries(row.map((v, i) => [names[i]!, plain(v)]))) };
  } finally {
    await release();
  }
}
