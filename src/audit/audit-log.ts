import type { Log } from '../core/ports/log.js';
import type { SharedTableLog, TableStore } from '../core/ports/table-store.js';
import { LogTable, type TableCodec } from '../table/log-table.js';
import { type AuditEntry, type AuditFacts, type ChainCheck, chained, verifyAnchored, whyNotNext } from './audit-entry.js';

/**
 * Where a node keeps the newest head it has seen, outside the log (a file of its own; the metric
 * and the log line a deployment ships elsewhere are further copies), so a cut-off end is caught.
 */
export interface AuditAnchor {
  read(): Promise<{ seq: number; hash: string } | undefined>;
  write(head: { seq: number; hash: string }): Promise<void>;
}

export const AUDIT_TOPIC = '_audit';

/** Audit entries on their table: keyed by sequence number, so compaction never drops one. */
export const auditCodec: TableCodec<AuditEntry> = {
  label: 'audit',
  errorCode: 'SL_AUDIT_WRITE_FAILED',
  key: (entry) => `audit/${entry.seq}`,
  decode: (value) => (typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'audit' ? (value as AuditEntry) : undefined),
};

export function openAuditTable(log: Log | SharedTableLog, shared: boolean): Promise<LogTable<AuditEntry>> {
  return LogTable.openOn(log, shared, AUDIT_TOPIC, auditCodec);
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

  private anchored: { seq: number; hash: string } | null = null;
  /** Entries checked so far (each against the one before, as they arrive), and whether all held. */
  private checked = 0;
  private chainHolds = true;
  private anchoring: Promise<void> = Promise.resolve();

  private constructor(
    private readonly table: TableStore<AuditEntry>,
    private readonly clock: () => number,
    private readonly anchor: AuditAnchor | undefined,
  ) {}

  static async open(table: TableStore<AuditEntry>, clock: () => number = Date.now, anchor?: AuditAnchor): Promise<AuditLog> {
    const audit = new AuditLog(table, clock, anchor);
    audit.anchored = (await anchor?.read()) ?? null;
    await table.follow((records) => {
      audit.entries.push(...records);
      audit.moveAnchor();
    });
    return audit;
  }

  /**
   * Anchors the newest entry once the chain up to the old anchor still holds: an anchor never
   * moves past a cut, so a restart after one still reports it.
   */
  private moveAnchor(): void {
    // Each entry is checked once, as it arrives: a flood of entries costs each its own hash, not the chain's.
    for (; this.chainHolds && this.checked < this.entries.length; this.checked++) {
      if (whyNotNext(this.entries[this.checked - 1], this.entries[this.checked]!)) this.chainHolds = false;
    }
    const head = this.entries.at(-1);
    if (!this.anchor || !head || !this.chainHolds || (this.anchored && head.seq <= this.anchored.seq)) return;
    if (this.anchored && this.entries[this.anchored.seq - 1]?.hash !== this.anchored.hash) return;
    const next = { seq: head.seq, hash: head.hash };
    this.anchored = next;
    const anchor = this.anchor;
    this.anchoring = this.anchoring.then(() => anchor.write(next)).catch(() => undefined);
  }

  /** The newest entry this node anchored, for a monitor outside it. */
  get head(): { seq: number; hash: string } | null {
    return this.anchored;
  }

  /** Appends an entry, chained to the newest; resolves once it is durable. */
  async record(facts: AuditFacts): Promise<AuditEntry> {
    const entry = await this.table.exclusive(() => {
      const next = chained(this.entries.at(-1), facts, this.clock());
      return { records: [next], result: next };
    });
    // The anchor is written before the action's answer, as the entry is.
    await this.anchoring;
    return entry;
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

  /** The entries after sequence number `seq`, oldest first (entries are delivered in order, 1, 2, …). */
  after(seq: number): AuditEntry[] {
    return this.entries.slice(Math.max(0, seq));
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
    return verifyAnchored(this.entries, this.anchored);
  }

  async close(): Promise<void> {
    await this.anchoring;
    await this.table.close();
  }
}
