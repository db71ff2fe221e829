import type { AuditEntry } from '../audit/audit-entry.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { ColdStore } from '../core/ports/cold-store.js';

const PART = /\/part-s(\d{12})-s(\d{12})\.parquet$/;
const COLUMNS = {
  seq: 'BIGINT',
  at: 'BIGINT',
  time: 'TIMESTAMP',
  actor: 'VARCHAR',
  action: 'VARCHAR',
  target: 'VARCHAR',
  outcome: 'VARCHAR',
  source: 'VARCHAR',
  trace_id: 'VARCHAR',
  detail: 'JSON',
  prev: 'VARCHAR',
  hash: 'VARCHAR',
};
const dayOf = (at: number): string => new Date(at).toISOString().slice(0, 10);
const padded = (seq: number): string => String(seq).padStart(12, '0');

/**
 * Exports the audit log with the rest of the cold data: `audit/dt=YYYY-MM-DD/part-s<first>-s<last>.parquet`,
 * each file a run of consecutive entries of one day (by `at`), hashes and all, so the chain can be
 * checked from the files alone. Where it left off is in the file names: a file is published whole,
 * so after a crash the export goes on after the last one published.
 */
export async function exportAudit(audit: AuditLog, cold: ColdStore, writeRows: (key: string, rows: readonly object[], columns: Record<string, string>) => Promise<void>): Promise<number> {
  let done = 0;
  for (const { key } of await cold.list('audit/')) done = Math.max(done, Number(PART.exec(key)?.[2] ?? 0));
  const pending = audit.after(done);
  let written = 0;
  while (written < pending.length) {
    const day = dayOf(pending[written]!.at);
    let end = written;
    while (end < pending.length && dayOf(pending[end]!.at) === day) end++;
    const run = pending.slice(written, end);
    const key = `audit/dt=${day}/part-s${padded(run[0]!.seq)}-s${padded(run.at(-1)!.seq)}.parquet`;
    await writeRows(key, run.map(row), COLUMNS);
    written = end;
  }
  return written;
}

function row(entry: AuditEntry): object {
  const { kind: _kind, at, ...rest } = entry;
  return { ...rest, at, time: new Date(at).toISOString() };
}
