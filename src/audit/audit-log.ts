import type { Log } from '../core/ports/log.js';
import type { SharedTableLog, TableStore } from '../core/ports/table-store.js';
import { LogTable, type TableCodec } from '../table/log-table.js';
import { type AuditEntry, type AuditFacts, type ChainCheck, chained, verifyChain } from './audit-entry.js';

export const AUDIT_TOPIC = '_audit';

/** Audit entries on their table: keyed by sequence number, so compaction never drops one. */
export const auditCodec: TableCodec<AuditEntry> = {
  label: 'audit',
  errorCode: 'SL_AUDIT_WRITE_FAILED',
  key: (entry) => `audit/${entry.seq}`,
  decode: (value) => (typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'audit' ? (value as AuditEntry) : undefined),
};

export function openAuditTable(log: Log | SharedTableLog, shared: boolean): Promise<LogTable<AuditEntry>> {
  return shared ? LogTable.openShared(log as SharedTableLog, AUDIT_TOPIC, auditCodec) : LogTable.open(log, AUDIT_TOPIC, auditCodec);
}

export interface AuditFilter {
  actor?: string;
  action?: string;
  outcome?: string;
  since?: number;
  until?: number;
  limit: number;
}

/** Refused credentials from one address with one code are written at most this often; the rest are counted into the next. */
const REFUSAL_EVERY_MS = 10_000;

/**
 * The audit log: append-only, one hash chain across every node of a deployment (entries are
 * appended under the table's lock, each after the newest any node wrote), durable as the log is
 * (fsync on the embedded log, acks=all on Kafka) before `record` resolves. Every node follows it
 * and keeps the entries in memory for queries and verification.
 */
export class AuditLog {
  private readonly entries: AuditEntry[] = [];
  private readonly refusals = new Map<string, { lastAt: number; suppressed: number }>();

  private constructor(private readonly table: TableStore<AuditEntry>, private readonly clock: () => number) {}

  static async open(table: TableStore<AuditEntry>, clock: () => number = Date.now): Promise<AuditLog> {
    const audit = new AuditLog(table, clock);
    await table.follow((records) => audit.entries.push(...records));
    return audit;
  }

  /** Appends an entry, chained to the newest; resolves once it is durable. */
  record(facts: AuditFacts): Promise<AuditEntry> {
    return this.table.exclusive(() => {
      const entry = chained(this.entries.at(-1), facts, this.clock());
      return { records: [entry], result: entry };
    });
  }

  /**
   * A refused credential. An address that keeps failing (a scanner, a misconfigured producer)
   * gets one entry per code every 10 s, with how many were folded into it, so it cannot flood
   * the log.
   */
  async recordRefusal(facts: AuditFacts): Promise<void> {
    const key = `${facts.source}|${facts.action}|${String(facts.detail.code)}`;
    const now = this.clock();
    const seen = this.refusals.get(key);
    if (seen && now - seen.lastAt < REFUSAL_EVERY_MS) {
      seen.suppressed++;
      return;
    }
    if (this.refusals.size > 10_000) this.refusals.clear();
    this.refusals.set(key, { lastAt: now, suppressed: 0 });
    await this.record({ ...facts, detail: { ...facts.detail, ...(seen?.suppressed ? { folded: seen.suppressed } : {}) } });
  }

  /** Newest first. */
  list(filter: AuditFilter): AuditEntry[] {
    const out: AuditEntry[] = [];
    for (let i = this.entries.length - 1; i >= 0 && out.length < filter.limit; i--) {
      const e = this.entries[i]!;
      if (filter.actor !== undefined && e.actor !== filter.actor) continue;
      if (filter.action !== undefined && e.action !== filter.action && !e.action.startsWith(`${filter.action}.`)) continue;
      if (filter.outcome !== undefined && e.outcome !== filter.outcome) continue;
      if (filter.since !== undefined && e.at < filter.since) continue;
      if (filter.until !== undefined && e.at >= filter.until) continue;
      out.push(e);
    }
    return out;
  }

  /** The chain as this node read it from the log, checked from its first entry. */
  verify(): ChainCheck {
    return verifyChain(this.entries);
  }

  async close(): Promise<void> {
    await this.table.close();
  }
}
