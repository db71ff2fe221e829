import type { BackfillCounts } from '../core/backfill.js';
import type { Log } from '../core/ports/log.js';
import type { SharedTableLog } from '../core/ports/table-store.js';
import { LogTable, type TableCodec } from '../table/log-table.js';

export const BACKFILLS_TOPIC = '_backfills';

/** A backfill as asked for: which days of event time (UTC, both included), who asked, when. */
export interface BackfillRequest {
  kind: 'backfill';
  id: string;
  from: string;
  to: string;
  /** Count what it would change, change nothing. */
  dryRun?: boolean;
  requestedAt: number;
  requestedBy: string;
}

/** How far a backfill got: the days done in order, then the windows. Each record replaces the one before. */
export interface BackfillProgress {
  kind: 'backfill-progress';
  id: string;
  node: string;
  at: number;
  state: 'running' | 'done' | 'failed';
  daysDone: number;
  counts: BackfillCounts;
  error?: { code: string; message: string };
}

export type BackfillRecord = BackfillRequest | BackfillProgress;

export const backfillsCodec: TableCodec<BackfillRecord> = {
  label: 'backfills',
  errorCode: 'SL_TABLE_STORE_FAILED',
  key: (record) => (record.kind === 'backfill' ? `backfill/${record.id}` : `progress/${record.id}`),
  decode: (value) => {
    const kind = (value as { kind?: unknown } | null)?.kind;
    return typeof value === 'object' && value !== null && (kind === 'backfill' || kind === 'backfill-progress') ? (value as BackfillRecord) : undefined;
  },
};

/** The `_backfills` table, kept in the log like the other platform tables. */
export function openBackfillTable(log: Log | SharedTableLog, shared: boolean): Promise<LogTable<BackfillRecord>> {
  return LogTable.openOn(log, shared, BACKFILLS_TOPIC, backfillsCodec);
}
