import { rm, stat } from 'node:fs/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ColdStore } from '../../core/ports/cold-store.js';
import type { ColdTables } from '../../lakehouse/cold-tables.js';
import type { DataFile } from '../../lakehouse/iceberg/avro-manifests.js';
import { dayOfDate } from '../../lakehouse/iceberg/bounds.js';
import type { IcebergTable } from '../../lakehouse/iceberg/iceberg-table.js';
import { sealedParquet } from './cold-erasure.js';
import { columnStats } from './column-stats.js';
import { sqlText } from './data-file-copy.js';


/**
 * Adds to the tables, once, the Parquet files this hot store exported before its cold tier was
 * Iceberg tables (a data folder from an earlier version): each file its export records up to
 * `sl_cold_adoption.through_export` name that no snapshot names yet (a crash after the commit
 * finds them named), in one `append` per table. Without this, those files would be neither in the
 * tables nor safe from the cleanup of orphan files. Their columns have no field ids; the tables'
 * name mapping lets readers find them by name.
 */
export async function adoptExportedFiles(conn: DuckDBConnection, cold: ColdStore, tables: ColdTables, encryptionRead: string): Promise<number> {
  const exported = await conn.runAndReadAll(
    `SELECT dataset, files FROM sl_cold_exports, sl_cold_adoption
     WHERE NOT sl_cold_adoption.done AND export_id <= through_export AND sl_cold_exports.done AND files IS NOT NULL AND files <> '[]'`,
  );
  const byTable = new Map<IcebergTable, string[]>();
  for (const [dataset, files] of exported.getRows()) {
    for (const key of JSON.parse(String(files)) as string[]) {
      const name = dataset === 'events' ? '' : key.split('/')[1]!;
      const table = tables.of(dataset === 'events' ? 'events' : 'aggregates', name);
      byTable.set(table, [...(byTable.get(table) ?? []), key]);
    }
  }
  let adopted = 0;
  for (const [table, keys] of byTable) {
    const current = await table.load();
    // A file any snapshot names, live or replaced since (by a compaction, an erasure), is the table's.
    const named = new Set([...(current ? await table.namedFiles(current.metadata) : [])].map((location) => table.keyOf(location)));
    const missing = keys.filter((k) => !named.has(k));
    if (missing.length === 0) continue;
    const added: DataFile[] = [];
    for (const key of missing) {
      const file = await describeFile(conn, cold, table, key, encryptionRead);
      if (file) added.push(file);
    }
    if (added.length === 0) continue;
    await table.commit(() => ({ operation: 'append', added, removed: new Set(), summary: { 'sightline.operation': 'adoption' } }));
    adopted += added.length;
  }
  await conn.run('UPDATE sl_cold_adoption SET done = true');
  return adopted;
}

async function describeFile(conn: DuckDBConnection, cold: ColdStore, table: IcebergTable, key: string, encryptionRead: string): Promise<DataFile | undefined> {
  const copy = cold.stagingPath(`adopt__${key.replaceAll('/', '__')}`);
  if (!(await cold.download(key, copy))) return undefined;
  try {
    const rows = `SELECT * FROM read_parquet(${sqlText(copy)}, hive_partitioning = false${(await sealedParquet(copy)) ? encryptionRead : ''})`;
    const count = Number((await conn.runAndReadAll(`SELECT count(*) FROM (${rows})`)).getRows()[0]![0]);
    const stats = await columnStats(conn, table.spec, rows, []);
    const day = /\/dt=(\d{4}-\d{2}-\d{2})\//.exec(key)?.[1];
    return {
      path: cold.location(key),
      recordCount: count,
      fileSizeInBytes: (await stat(copy)).size,
      partitionDay: day ? dayOfDate(day) : null,
      ...stats,
    };
  } finally {
    await rm(copy, { force: true });
  }
}
