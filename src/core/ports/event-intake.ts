import type { ErrorCode } from '../errors.js';

/**
 * One element of a batch before the envelope check: the decoded value, or why a line failed.
 * `at` is where an NDJSON line lies in the body ([start, end) bytes), so a refused event's dead
 * letter can keep the line exactly as sent (two numbers per event, not a copy of every line).
 */
export type BatchItem = { value: unknown; at?: [number, number] } | { error: string; raw: string; at?: [number, number] };

export interface IngestResult {
  accepted: number;
  rejected: Array<{ index: number; code: ErrorCode; message: string }>;
  /** Accepted events with something to fix, such as a deprecated schema version; absent when none. */
  warnings?: Array<{ index: number; code: string; message: string }>;
}

export interface IngestCallOptions {
  traceparent?: string;
  /** False for a replay from the dead-letter queue: a refusal is reported, the letter stays where it is. */
  deadLetter?: boolean;
  /** The request body the items were parsed from (NDJSON items point into it). */
  body?: Buffer;
  /** Headers added to the record of the event at each index (a replay names the dead letter it came from). */
  recordHeaders?: ReadonlyArray<Record<string, string> | undefined>;
}

/**
 * Where events enter the platform: each is checked and the good ones are appended, durable before
 * the promise resolves; refused ones are reported (and dead-lettered unless the call says not to).
 * HTTP ingest is one caller; a dead-letter replay sends letters back through it.
 */
export interface EventIntake {
  ingest(items: BatchItem[], bytes: number, options?: IngestCallOptions): Promise<IngestResult>;
}
