import { apiRequest } from '../client/api-client.js';

interface TableView {
  name: string;
  dataset: string;
  metadata_location: string;
  snapshots: number;
  current_snapshot_id: number | null;
  records: number;
  data_files: number;
  bytes: number;
}
interface SnapshotView {
  snapshot_id: number;
  timestamp: string;
  operation: string;
  summary: Record<string, string>;
}

const print = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/**
 * `sightline tables`: the cold tier's Iceberg tables; with a table name, its rows (as of a
 * snapshot with --snapshot-id or --as-of) as NDJSON, or its snapshots with --snapshots.
 */
export async function tablesCommand(table: string | undefined, options: { url: string; snapshots: boolean; snapshotId?: string; asOf?: string; from?: string; to?: string; limit: string }): Promise<void> {
  if (table === undefined) {
    const { tables } = await apiRequest<{ tables: TableView[] }>(options.url, 'GET', '/v1/tables');
    if (tables.length === 0) print('no tables yet: the first export creates them (cold.rollInterval after the first events)');
    for (const t of tables) {
      print(`sightline.${t.name}  ${t.records} rows in ${t.data_files} files (${t.bytes} bytes), ${t.snapshots} snapshots, current ${t.current_snapshot_id ?? 'none'}`);
      print(`  ${t.metadata_location}`);
    }
    return;
  }
  const path = `/v1/tables/${encodeURIComponent(table)}`;
  if (options.snapshots) {
    const { snapshots } = await apiRequest<{ snapshots: SnapshotView[] }>(options.url, 'GET', `${path}/snapshots`);
    for (const s of snapshots) {
      print(`${s.snapshot_id}  ${s.timestamp}  ${s.operation.padEnd(9)}  +${s.summary['added-records'] ?? 0} -${s.summary['deleted-records'] ?? 0} rows, ${s.summary['total-records'] ?? '?'} in all`);
    }
    return;
  }
  const query = new URLSearchParams({ limit: options.limit });
  if (options.snapshotId !== undefined) query.set('snapshot_id', options.snapshotId);
  if (options.asOf !== undefined) query.set('as_of', options.asOf);
  if (options.from !== undefined) query.set('from', options.from);
  if (options.to !== undefined) query.set('to', options.to);
  const { snapshot_id, rows } = await apiRequest<{ snapshot_id: number | null; rows: unknown[] }>(options.url, 'GET', `${path}/rows?${query}`);
  for (const row of rows) print(JSON.stringify(row));
  process.stderr.write(snapshot_id === null ? 'the table had no snapshot then\n' : `${rows.length} rows of snapshot ${snapshot_id}\n`);
}
