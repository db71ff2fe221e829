import { createHash } from 'node:crypto';

/** What the audit log records: every sensitive action, and every refused credential. */
export const AUDIT_ACTIONS = [
  'key.create',
  'key.rotate',
  'key.revoke',
  'schema.register',
  'schema.delete',
  'compatibility.set',
  'compatibility.reset',
  'contract.deprecate',
  'contract.undeprecate',
  'dlq.replay',
  'data.erase',
  'data.erased',
  'data.backfill',
  'data.backfilled',
  'lifecycle.run',
  'sql.query',
  'pipe.define',
  'pipe.delete',
  'auth.failed',
  'auth.forbidden',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/**
 * One entry of the audit log. Never a secret or an event's values: an actor is a key id, a target
 * a subject, key id or count. Each entry carries the hash of the one before it, so changing,
 * removing or reordering any entry breaks every hash after it.
 */
export interface AuditEntry {
  kind: 'audit';
  /** 1, 2, 3, … with no gap. */
  seq: number;
  at: number;
  /** A key id, "local" (a loopback request where keys are not required), or "unknown". */
  actor: string;
  action: AuditAction;
  target: string;
  outcome: 'ok' | 'failed' | 'refused';
  /** The caller's address. */
  source: string | null;
  /** The W3C trace id of the request, to find its spans. */
  trace_id: string | null;
  /** Small facts without values: an HTTP status, an error code, a count. */
  detail: Record<string, string | number | boolean>;
  /** The previous entry's hash (GENESIS for the first). */
  prev: string;
  /** SHA-256 of `prev` and this entry's other fields, in a fixed order. */
  hash: string;
}

export const GENESIS = '0'.repeat(64);

export type AuditFacts = Pick<AuditEntry, 'actor' | 'action' | 'target' | 'outcome' | 'source' | 'trace_id' | 'detail'>;

/** The hash of an entry's fields and the one before it: fields in a fixed order, so any reader recomputes it. */
export function entryHash(entry: Omit<AuditEntry, 'hash'>): string {
  const detail = Object.keys(entry.detail)
    .sort()
    .map((k) => [k, entry.detail[k]]);
  const fields = [entry.prev, entry.seq, entry.at, entry.actor, entry.action, entry.target, entry.outcome, entry.source, entry.trace_id, detail];
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex');
}

export function chained(previous: Pick<AuditEntry, 'seq' | 'hash'> | undefined, facts: AuditFacts, at: number): AuditEntry {
  const body = { kind: 'audit' as const, seq: (previous?.seq ?? 0) + 1, at, ...facts, prev: previous?.hash ?? GENESIS };
  return { ...body, hash: entryHash(body) };
}

export interface ChainCheck {
  ok: boolean;
  entries: number;
  head: { seq: number; hash: string } | null;
  /** The newest entry this node had seen before (its anchor), which the log must still hold. */
  anchor?: { seq: number; hash: string } | null;
  /** The first entry that does not follow from the one before it (or the anchored one it lost), and why. */
  problem?: { seq: number; reason: string };
}

/**
 * The chain against an anchor, the head a node saw before: the chain alone cannot tell that its
 * last entries were cut off, but an entry that was seen and is gone (or another in its place) can.
 */
export function verifyAnchored(entries: readonly AuditEntry[], anchor: { seq: number; hash: string } | null): ChainCheck {
  const check = { ...verifyChain(entries), anchor };
  if (!check.ok || !anchor) return check;
  const held = entries[anchor.seq - 1];
  if (!held) return { ...check, ok: false, problem: { seq: anchor.seq, reason: `the log ends at entry ${check.head?.seq ?? 0}, but entry ${anchor.seq} was seen before: entries were cut off its end` } };
  if (held.hash !== anchor.hash) return { ...check, ok: false, problem: { seq: anchor.seq, reason: `entry ${anchor.seq} is not the entry seen before (another hash): the end of the log was replaced` } };
  return check;
}

/** Why `entry` does not follow `previous` in a chain (undefined when it does): its sequence, its prev, its own hash. */
export function whyNotNext(previous: AuditEntry | undefined, entry: AuditEntry): string | undefined {
  const expectedSeq = (previous?.seq ?? 0) + 1;
  if (entry.seq !== expectedSeq) return `sequence ${entry.seq} where ${expectedSeq} was expected (an entry is missing or out of order)`;
  if (entry.prev !== (previous?.hash ?? GENESIS)) return "its prev is not the previous entry's hash";
  const { hash, ...rest } = entry;
  if (entryHash(rest) !== hash) return 'its hash does not match its fields (the entry was changed)';
  return undefined;
}

/** Checks a chain from its first entry: sequence without gaps, each `prev` the hash before, each hash its fields'. */
export function verifyChain(entries: readonly AuditEntry[]): ChainCheck {
  let previous: AuditEntry | undefined;
  for (const entry of entries) {
    const reason = whyNotNext(previous, entry);
    if (reason) return { ok: false, entries: entries.length, head: previous ? { seq: previous.seq, hash: previous.hash } : null, problem: { seq: entry.seq, reason } };
    previous = entry;
  }
  return { ok: true, entries: entries.length, head: previous ? { seq: previous.seq, hash: previous.hash } : null };
}
