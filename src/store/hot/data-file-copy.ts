import { stat } from 'node:fs/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ColdStore } from '../../core/ports/cold-store.js';
import type { DataFile } from '../../lakehouse/iceberg/avro-manifests.js';
import { parquetFieldIds, type TableSpec } from '../../lakehouse/iceberg/table-spec.js';
import { columnStatsFromCopy } from './column-stats.js';

/** A column of epoch milliseconds as the UTC day it falls on (`YYYY-MM-DD`): a data file's folder. */
export const dayText = (column: string): string => `strftime(make_timestamp(${column} * 1000), '%Y-%m-%d')`;

/** A text as a SQL string literal (paths in COPY and read_parquet, which take no parameters). */
export const sqlText = (text: string): string => `'${text.replaceAll("'", "''")}'`;

/**
 * Writes the rows of `query` as one data file of `spec`'s table: zstd Parquet with the table's
 * field ids, encrypted like the other cold files (`encryptionCopy`), and answers what its manifest
 * entry needs. The statistics are those DuckDB's writer gathered while it wrote (`RETURN_STATS`),
 * not a second pass over the rows; the size is measured, since readers seek to the footer by it.
 */
export async function copyDataFile(
  conn: DuckDBConnection,
  spec: TableSpec,
  query: string,
  path: string,
  encryptionCopy: string,
  params?: Parameters<DuckDBConnection['runAndReadAll']>[1],
): Promise<Pick<DataFile, 'recordCount' | 'fileSizeInBytes' | 'valueCounts' | 'nullValueCounts' | 'lowerBounds' | 'upperBounds'>> {
  const written = await conn.runAndReadAll(
    `COPY (${query}) TO ${sqlText(path)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880, RETURN_STATS true, ${parquetFieldIds(spec)}${encryptionCopy})`,
    params,
  );
  const [, count, , , columnStatistics] = written.getRows()[0] ?? [];
  const recordCount = Number(count ?? 0);
  return { recordCount, fileSizeInBytes: (await stat(path)).size, ...columnStatsFromCopy(spec, recordCount, columnStatistics) };
}

/**
 * Writes the rows of `query` as a data file of `spec`'s table under `key`: staged, then published
 * whole. Answers its manifest entry, in the partition of `partitionDay`.
 */
export async function publishDataFile(
  conn: DuckDBConnection,
  cold: ColdStore,
  spec: TableSpec,
  key: string,
  partitionDay: number | null,
  query: string,
  encryptionCopy: string,
  params?: Parameters<DuckDBConnection['runAndReadAll']>[1],
): Promise<DataFile> {
  const staged = cold.stagingPath(key.replaceAll('/', '__'));
  const file = await copyDataFile(conn, spec, query, staged, encryptionCopy, params);
  await cold.put(key, staged);
  return { ...file, path: cold.location(key), partitionDay };
}
