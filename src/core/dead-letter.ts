import { createHash } from 'node:crypto';
import type { LogRecord, LogRecordInput } from './ports/log.js';

export const DLQ_TOPIC = 'dlq';

/** The header a record replayed from the dead-letter queue carries: the dead letter's id. */
export const REPLAY_OF_HEADER = 'sl.replay_of';

/** Where in the platform an event failed. */
export type DeadLetterStage = 'ingest' | 'process' | 'sink';
export const DEAD_LETTER_STAGES: readonly DeadLetterStage[] = ['ingest', 'process', 'sink'];

/** Why an event failed: typed, so the dead letters can be filtered, counted and replayed by reason. */
export interface DeadLetterReason {
  code: string;
  stage: DeadLetterStage;
  message: string;
  /** The quality rule that failed, for SL_QUALITY_FAILED. */
  rule?: string;
  /** The contract the event was checked against, when one was found. */
  schema?: { subject: string; version: number; id: number };
  /** The W3C traceparent the event was ingested under. */
  traceparent?: string;
}

/** A failed event as it goes into the dead-letter topic. */
export interface DeadLetter {
  reason: DeadLetterReason;
  /** The event's bytes as the platform received them (or as the log held them, for later stages). */
  original: Buffer;
  eventId?: string;
  source?: string;
  type?: string;
  /** Milliseconds since the epoch. */
  at: number;
  /**
   * Where the event sat in the log when it failed (`events/2/1234`), for stages after ingest.
   * A batch replayed after a crash dead-letters its events again; the origin makes that a repeat.
   */
  origin?: string;
  /** The dead letter this one came from, when a replay failed again in processing. */
  replayOf?: string;
  /** Set when `original` holds only the first bytes of an event too large for the topic: its full size. */
  originalSize?: number;
}

/**
 * The outcome of replaying a dead letter, written to the dead-letter topic after the letter
 * itself, so the topic alone tells what was replayed and how it went.
 */
export interface ReplayOutcome {
  entry: string;
  outcome: 'replayed' | 'duplicate' | 'failed';
  at: number;
  code?: string;
  message?: string;
}

const H = {
  kind: 'sl.dlq.kind',
  code: 'sl.dlq.code',
  stage: 'sl.dlq.stage',
  message: 'sl.dlq.message',
  rule: 'sl.dlq.rule',
  subject: 'sl.dlq.schema.subject',
  version: 'sl.dlq.schema.version',
  schemaId: 'sl.dlq.schema.id',
  eventId: 'sl.dlq.event.id',
  source: 'sl.dlq.event.source',
  type: 'sl.dlq.event.type',
  at: 'sl.dlq.at',
  origin: 'sl.dlq.origin',
  replayOf: 'sl.dlq.replay_of',
  originalSize: 'sl.dlq.original_size',
  originalSha256: 'sl.dlq.original_sha256',
  entry: 'sl.dlq.entry',
  outcome: 'sl.dlq.outcome',
} as const;

/** Header values are bounded so one huge message cannot blow up a record. */
const MAX_HEADER_CHARS = 2000;

function bounded(value: string): string {
  return value.length <= MAX_HEADER_CHARS ? value : `${value.slice(0, MAX_HEADER_CHARS - 1)}…`;
}

/**
 * The record keeps the original bytes as its value and the reason in headers, as Kafka Connect's
 * dead-letter topics do: any Kafka tool can read the event as it came, and filter by reason.
 */
export function deadLetterRecord(letter: DeadLetter, maxOriginalBytes = Number.POSITIVE_INFINITY): LogRecordInput {
  const { reason } = letter;
  // An event larger than a record may be (a refused 5 MB line) keeps its first bytes, its size and
  // its digest: the reason is never lost for want of room.
  let original = letter.original;
  let truncated: Record<string, string> = {};
  if (original.length > maxOriginalBytes) {
    truncated = { [H.originalSize]: String(original.length), [H.originalSha256]: createHash('sha256').update(original).digest('hex') };
    original = original.subarray(0, maxOriginalBytes);
  }
  const headers: Record<string, string> = {
    ...truncated,
    [H.kind]: 'letter',
    [H.code]: reason.code,
    [H.stage]: reason.stage,
    [H.message]: bounded(reason.message),
    [H.at]: String(letter.at),
  };
  if (reason.rule !== undefined) headers[H.rule] = reason.rule;
  if (reason.schema) {
    headers[H.subject] = reason.schema.subject;
    headers[H.version] = String(reason.schema.version);
    headers[H.schemaId] = String(reason.schema.id);
  }
  if (reason.traceparent !== undefined) headers.traceparent = reason.traceparent;
  if (letter.eventId !== undefined) headers[H.eventId] = bounded(letter.eventId);
  if (letter.source !== undefined) headers[H.source] = bounded(letter.source);
  if (letter.type !== undefined) headers[H.type] = bounded(letter.type);
  if (letter.origin !== undefined) headers[H.origin] = letter.origin;
  if (letter.replayOf !== undefined) headers[H.replayOf] = letter.replayOf;
  // The key is bounded like the headers: an id refused for its length (say 70,000 characters) must
  // not make the letter itself unwritable (a record key is at most 64 KiB).
  return { key: bounded(letter.eventId ?? letter.origin ?? ''), value: original, timestamp: letter.at, headers };
}

export function replayOutcomeRecord(outcome: ReplayOutcome): LogRecordInput {
  const headers: Record<string, string> = { [H.kind]: 'outcome', [H.entry]: outcome.entry, [H.outcome]: outcome.outcome, [H.at]: String(outcome.at) };
  if (outcome.code !== undefined) headers[H.code] = outcome.code;
  if (outcome.message !== undefined) headers[H.message] = bounded(outcome.message);
  return { key: outcome.entry, value: Buffer.alloc(0), timestamp: outcome.at, headers };
}

/** A dead letter as read back from the topic, with its id: the topic position `partition-offset`. */
export interface StoredDeadLetter extends DeadLetter {
  id: string;
}

export type DeadLetterTopicRecord = { kind: 'letter'; letter: StoredDeadLetter } | { kind: 'outcome'; outcome: ReplayOutcome };

export function deadLetterId(partition: number, offset: number): string {
  return `${partition}-${offset}`;
}

export const DEAD_LETTER_ID_PATTERN = '^[0-9]{1,4}-[0-9]{1,15}$';

const ID = new RegExp(DEAD_LETTER_ID_PATTERN);

/** The id as the store gives it back: the numbers without leading zeros ("0-05" is "0-5"). */
export function canonicalDeadLetterId(id: string): string {
  if (!ID.test(id)) return id;
  const [partition, offset] = id.split('-').map(Number) as [number, number];
  return deadLetterId(partition, offset);
}
const INTEGER = /^-?[0-9]{1,15}$/;

/**
 * Reads a record of the dead-letter topic. Anything the topic holds may be read back, including
 * records other tools wrote: a header that does not parse is dropped (a bad time falls back to
 * the record's), and a record this version cannot use is skipped (undefined).
 */
export function readDeadLetterRecord(record: LogRecord): DeadLetterTopicRecord | undefined {
  const h = record.headers;
  const at = INTEGER.test(h[H.at] ?? '') ? Number(h[H.at]) : record.timestamp;
  if (h[H.kind] === 'outcome') {
    const outcome = h[H.outcome];
    const entry = h[H.entry];
    if (entry === undefined || !ID.test(entry) || (outcome !== 'replayed' && outcome !== 'duplicate' && outcome !== 'failed')) return undefined;
    return {
      kind: 'outcome',
      outcome: { entry, outcome, at, ...(h[H.code] !== undefined && { code: h[H.code] }), ...(h[H.message] !== undefined && { message: h[H.message] }) },
    };
  }
  const code = h[H.code];
  if (h[H.kind] !== 'letter' || code === undefined) return undefined;
  const stage = DEAD_LETTER_STAGES.includes(h[H.stage] as DeadLetterStage) ? (h[H.stage] as DeadLetterStage) : 'ingest';
  const reason: DeadLetterReason = { code, stage, message: h[H.message] ?? '' };
  const subject = h[H.subject];
  if (h[H.rule] !== undefined) reason.rule = h[H.rule];
  if (subject !== undefined && INTEGER.test(h[H.version] ?? '') && INTEGER.test(h[H.schemaId] ?? '')) {
    reason.schema = { subject, version: Number(h[H.version]), id: Number(h[H.schemaId]) };
  }
  if (h.traceparent !== undefined) reason.traceparent = h.traceparent;
  const letter: StoredDeadLetter = { id: deadLetterId(record.partition, record.offset), reason, original: record.value, at };
  if (h[H.eventId] !== undefined) letter.eventId = h[H.eventId];
  if (h[H.source] !== undefined) letter.source = h[H.source];
  if (h[H.type] !== undefined) letter.type = h[H.type];
  if (h[H.origin] !== undefined) letter.origin = h[H.origin];
  if (INTEGER.test(h[H.originalSize] ?? '')) letter.originalSize = Number(h[H.originalSize]);
  const replayOf = h[H.replayOf];
  if (replayOf !== undefined && ID.test(replayOf)) letter.replayOf = replayOf;
  return { kind: 'letter', letter };
}
