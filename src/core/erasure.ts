import { createHash } from 'node:crypto';

/**
 * Whose events a deletion request removes: the SHA-256 of the user id (what `payload.user_id`
 * holds), so the request can be kept and applied again (a restarted or new serving node) without
 * keeping the id itself; and the event-time range, `from` null for "since the beginning".
 */
export interface ErasureScope {
  subject: string;
  from: number | null;
  to: number;
}

/** What one node removed for one request, per place. */
export interface ErasureCounts {
  hot: { events: number; deadLetters: number };
  cold: { files: number; rows: number };
  /**
   * Records overwritten in the log's retained segments, and those left where a segment cannot be
   * rewritten yet (still open for appends, or not processed) or at all (Kafka): they go with retention.
   */
  log: { records: number; segments: number; left: number; note?: string };
}

export const subjectOf = (userId: string): string => createHash('sha256').update(userId).digest('hex');

/** The user id of an event as the stores keep it (`payload.user_id`, a string or a number), or undefined. */
export function userIdOf(event: unknown): string | undefined {
  if (typeof event !== 'object' || event === null) return undefined;
  const payload = (event as { payload?: unknown }).payload;
  if (typeof payload !== 'object' || payload === null) return undefined;
  const userId = (payload as { user_id?: unknown }).user_id;
  return typeof userId === 'string' || typeof userId === 'number' ? String(userId) : undefined;
}

/**
 * Whether an event's bytes (as the log and the dead letters hold them) fall in the scope. An event
 * without a usable timestamp is judged by `fallbackTime`, when the log took it.
 */
export function bytesInScope(value: Buffer, scope: ErasureScope, fallbackTime: number): boolean {
  let event: unknown;
  try {
    event = JSON.parse(value.toString('utf8'));
  } catch {
    return false;
  }
  const userId = userIdOf(event);
  if (userId === undefined || subjectOf(userId) !== scope.subject) return false;
  const timestamp = (event as { timestamp?: unknown }).timestamp;
  const time = typeof timestamp === 'number' && Number.isFinite(timestamp) ? timestamp : fallbackTime;
  return (scope.from === null || time >= scope.from) && time <= scope.to;
}

/** What an erased record's value becomes: a marker readers skip, padded to the same length. */
export const ERASED_MARKER = '{"sightline_erased":true}';

export function erasedValue(length: number): Buffer {
  const value = Buffer.alloc(length, 0x20);
  if (length >= ERASED_MARKER.length) value.write(ERASED_MARKER, 0, 'utf8');
  return value;
}

/** Whether a log record's value is one an erasure overwrote. */
export function isErasedValue(value: Buffer): boolean {
  if (value.length === 0) return false;
  return value.length >= ERASED_MARKER.length ? value.subarray(0, ERASED_MARKER.length).toString('latin1') === ERASED_MARKER : value.every((b) => b === 0x20);
}
