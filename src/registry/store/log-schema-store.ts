import type { Log } from '../../core/ports/log.js';
import { type RegistryRecord, registryRecordKey } from '../../core/ports/schema-store.js';
import type { SharedTableLog } from '../../core/ports/table-store.js';
import { LogTable, type TableCodec } from '../../table/log-table.js';

export const SCHEMAS_TOPIC = '_schemas';

const REGISTRY_KINDS = new Set(['schema', 'schema-tombstone', 'config', 'ids']);

/** The registry's records on its table: keyed by subject and version (or config, ids), as JSON. */
export const registryCodec: TableCodec<RegistryRecord> = {
  label: 'registry',
  errorCode: 'SL_REGISTRY_STORE_FAILED',
  key: registryRecordKey,
  decode: (value) => (typeof value === 'object' && value !== null && REGISTRY_KINDS.has((value as { kind?: unknown }).kind as string) ? (value as RegistryRecord) : undefined),
};

/** The registry's store on the platform's log: the `_schemas` table. */
export type LogSchemaStore = LogTable<RegistryRecord>;

export const LogSchemaStore = {
  /** Within one process (the embedded log). */
  open: (log: Log, topic = SCHEMAS_TOPIC): Promise<LogSchemaStore> => LogTable.open(log, topic, registryCodec),
  /** Shared by every node of a deployment (Kafka). */
  openShared: (log: SharedTableLog, topic = SCHEMAS_TOPIC): Promise<LogSchemaStore> => LogTable.openShared(log, topic, registryCodec),
};
