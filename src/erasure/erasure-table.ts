import type { ErasureCounts } from '../core/erasure.js';
import type { Log } from '../core/ports/log.js';
import type { SharedTableLog } from '../core/ports/table-store.js';
import { LogTable, type TableCodec } from '../table/log-table.js';

export const ERASURES_TOPIC = '_erasures';

/** A deletion request as kept: whose events (a hash, never the id), which times, who asked. */
export interface ErasureRequest {
  kind: 'erasure';
  id: string;
  subject: string;
  from: number | null;
  to: number;
  requestedAt: number;
  requestedBy: string;
}

/** What one node did for one request. */
export interface ErasureResult {
  kind: 'erasure-result';
  id: string;
  node: string;
  at: number;
  counts?: ErasureCounts;
  error?: { code: string; message: string };
}

export type ErasureRecord = ErasureRequest | ErasureResult;

export const erasuresCodec: TableCodec<ErasureRecord> = {
  label: 'erasures',
  errorCode: 'SL_TABLE_STORE_FAILED',
  key: (record) => (record.kind === 'erasure' ? `erasure/${record.id}` : `result/${record.id}/${record.node}`),
  decode: (value) => {
    const kind = (value as { kind?: unknown } | null)?.kind;
    return typeof value === 'object' && value !== null && (kind === 'erasure' || kind === 'erasure-result') ? (value as ErasureRecord) : undefined;
  },
};

/** The `_erasures` table: within one process (the embedded log), or shared by every node (Kafka). */
export function openErasureTable(log: Log | SharedTableLog, shared: boolean): Promise<LogTable<ErasureRecord>> {
  return LogTable.openOn(log, shared, ERASURES_TOPIC, erasuresCodec);
}
