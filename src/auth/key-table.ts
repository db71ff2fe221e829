import type { Log } from '../core/ports/log.js';
import type { SharedTableLog } from '../core/ports/table-store.js';
import { LogTable, type TableCodec } from '../table/log-table.js';
import type { ApiKeyRecord } from './api-key.js';

export const KEYS_TOPIC = '_keys';

/** API keys on their table: one record per key id, its latest state, as JSON. */
export const keysCodec: TableCodec<ApiKeyRecord> = {
  label: 'keys',
  errorCode: 'SL_KEYS_STORE_FAILED',
  key: (record) => `key/${record.id}`,
  decode: (value) => (typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'key' ? (value as ApiKeyRecord) : undefined),
};

/** The `_keys` table: within one process (the embedded log), or shared by every node (Kafka). */
export function openKeyTable(log: Log | SharedTableLog, shared: boolean): Promise<LogTable<ApiKeyRecord>> {
  return LogTable.openOn(log, shared, KEYS_TOPIC, keysCodec);
}
