import { type DeadLetter, REPLAY_OF_HEADER } from '../../core/dead-letter.js';
import { isPlainObject, type SightlineEvent } from '../../core/envelope.js';
import type { LogRecord } from '../../core/ports/log.js';

/** A dead letter for an event refused in processing: the log's bytes, and where in the log it sat. */
export function processDeadLetter(record: LogRecord, event: SightlineEvent, now: number, code: string, message: string, rule?: string): DeadLetter {
  const contract = isPlainObject(event.metadata) ? event.metadata.contract : undefined;
  const schema =
    isPlainObject(contract) && typeof contract.subject === 'string' && typeof contract.version === 'number' && typeof contract.id === 'number'
      ? { subject: contract.subject, version: contract.version, id: contract.id }
      : undefined;
  const traceparent = record.headers.traceparent;
  const replayOf = record.headers[REPLAY_OF_HEADER];
  return {
    reason: { code, stage: 'process', message, ...(rule !== undefined && { rule }), ...(schema && { schema }), ...(traceparent !== undefined && { traceparent }) },
    // A copy with a buffer of its own: a view into the batch's buffer would drag all of it along
    // when the plan is posted back from the planner thread.
    original: Buffer.from(Uint8Array.from(record.value).buffer),
    eventId: event.id,
    source: event.source,
    type: event.type,
    at: now,
    origin: `${record.topic}/${record.partition}/${record.offset}`,
    ...(replayOf !== undefined && { replayOf }),
  };
}
