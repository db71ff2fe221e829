import type { Log } from '../core/ports/log.js';
import type { SharedTableLog } from '../core/ports/table-store.js';
import { LogTable, type TableCodec } from '../table/log-table.js';
import type { PipeRecord } from './pipe-definition.js';

export const PIPES_TOPIC = '_pipes';

/** Pipe versions and deletions on their table, as JSON: each version under a key of its own, so a compacted topic keeps them all. */
export const pipesCodec: TableCodec<PipeRecord> = {
  label: 'pipes',
  errorCode: 'SL_PIPES_STORE_FAILED',
  key: (record) => `${record.kind}/${record.name}/${record.kind === 'pipe-deleted' ? record.through : record.version}`,
  decode: (value) => {
    const kind = typeof value === 'object' && value !== null ? (value as { kind?: unknown }).kind : undefined;
    return kind === 'pipe' || kind === 'pipe-deleted' || kind === 'pipe-version-deleted' ? (value as PipeRecord) : undefined;
  },
};

/** The `_pipes` table: within one process (the embedded log), or shared by every node (Kafka). */
export function openPipeTable(log: Log | SharedTableLog, shared: boolean): Promise<LogTable<PipeRecord>> {
  return LogTable.openOn(log, shared, PIPES_TOPIC, pipesCodec);
}
