import { SightlineError } from '../core/errors.js';
import type { DataFile } from './iceberg/avro-manifests.js';
import { dayOf } from './iceberg/bounds.js';
import type { IcebergTable, LoadedTable } from './iceberg/iceberg-table.js';
import type { Snapshot } from './iceberg/table-metadata.js';

/** Which snapshot to read and which event-time range (ms, `to` exclusive) of it. */
export interface ScanRequest {
  snapshotId?: number;
  /** The snapshot current at this time (ms): time travel by timestamp. */
  asOf?: number;
  from?: number;
  to?: number;
}

/**
 * The data files a read needs: those of the chosen snapshot whose day partition can hold rows in
 * the range. An unknown snapshot id is a 404; a time before the first snapshot reads nothing.
 */
export async function planScan(table: IcebergTable, loaded: LoadedTable | undefined, request: ScanRequest): Promise<{ snapshot: Snapshot | undefined; files: DataFile[] }> {
  if (!loaded) return { snapshot: undefined, files: [] };
  const { metadata } = loaded;
  let snapshot: Snapshot | undefined;
  if (request.snapshotId !== undefined) {
    snapshot = metadata.snapshots.find((s) => s['snapshot-id'] === request.snapshotId);
    if (!snapshot) throw new SightlineError('SL_API_NOT_FOUND', `table ${table.spec.name} has no snapshot ${request.snapshotId} (expired, or never one of this table): GET its snapshots to see which it has`);
  } else if (request.asOf !== undefined) {
    // The snapshot log says which snapshot was current when; the newest at or before the time wins.
    const entry = [...metadata['snapshot-log']].reverse().find((e) => e['timestamp-ms'] <= request.asOf!);
    snapshot = entry && metadata.snapshots.find((s) => s['snapshot-id'] === entry['snapshot-id']);
  } else {
    snapshot = metadata.snapshots.find((s) => s['snapshot-id'] === metadata['current-snapshot-id']);
  }
  if (!snapshot) return { snapshot: undefined, files: [] };
  const first = request.from === undefined ? -Infinity : dayOf(request.from);
  const last = request.to === undefined ? Infinity : dayOf(request.to - 1);
  const files = (await table.liveFiles(metadata, snapshot['snapshot-id'])).filter((f) => f.partitionDay === null || (f.partitionDay >= first && f.partitionDay <= last));
  return { snapshot, files };
}
