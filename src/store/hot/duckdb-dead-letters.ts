import type { DuckDBConnection } from '@duckdb/node-api';
import { deadLetterId, type DeadLetterTopicRecord, type ReplayOutcome, type StoredDeadLetter } from '../../core/dead-letter.js';
import { logPosition, splitLogPosition } from '../../core/log-position.js';
import type { DeadLetterEntry, DeadLetterQuery } from '../../core/ports/dead-letter-index.js';

// The dead-letter table in SQL: letters and replay outcomes in, entries out.

/** A dead letter's id (`partition-offset` in the dead-letter topic) as the table's key. */
export function deadLetterPos(id: string): number {
  const [partition, offset] = id.split('-').map(Number) as [number, number];
  return logPosition(partition, offset);
}

export function toDeadLetterEntry(r: Record<string, any>): DeadLetterEntry {
  const { partition, offset } = splitLogPosition(r.dlq_pos);
  const id = deadLetterId(partition, offset);
  const entry: DeadLetterEntry = {
    id,
    at: r.failed_at,
    reason: {
      code: r.code,
      stage: r.stage,
      message: r.message,
      ...(r.rule !== null && { rule: r.rule }),
      ...(r.schema_subject !== null && { schema: { subject: r.schema_subject, version: r.schema_version, id: r.schema_id } }),
      ...(r.traceparent !== null && { traceparent: r.traceparent }),
    },
    original: Buffer.from((r.original as { bytes: Uint8Array }).bytes),
  };
  if (r.event_id !== null) entry.eventId = r.event_id;
  if (r.source !== null) entry.source = r.source;
  if (r.type !== null) entry.type = r.type;
  if (r.origin !== null) entry.origin = r.origin;
  if (r.replay_of !== null) entry.replayOf = r.replay_of;
  if (r.original_size !== null) entry.originalSize = r.original_size;
  if (r.replay_outcome !== null) {
    const replay: ReplayOutcome = { entry: id, outcome: r.replay_outcome, at: r.replay_at };
    if (r.replay_code !== null) replay.code = r.replay_code;
    if (r.replay_message !== null) replay.message = r.replay_message;
    entry.replay = replay;
  }
  return entry;
}

/**
 * A dead-letter batch's letters, and the outcomes to apply in topic order (a letter that replays
 * another reports that one failed again).
 */
export function lettersAndOutcomes(records: readonly DeadLetterTopicRecord[]): { letters: StoredDeadLetter[]; outcomes: Array<ReplayOutcome & { pos: number }> } {
  const letters: StoredDeadLetter[] = [];
  const outcomes: Array<ReplayOutcome & { pos: number }> = [];
  records.forEach((record, pos) => {
    if (record.kind === 'outcome') {
      outcomes.push({ ...record.outcome, pos });
      return;
    }
    const { letter } = record;
    letters.push(letter);
    if (letter.replayOf !== undefined) outcomes.push({ entry: letter.replayOf, outcome: 'failed', at: letter.at, code: letter.reason.code, message: letter.reason.message, pos });
  });
  return { letters, outcomes };
}

export async function insertDeadLetters(conn: DuckDBConnection, letters: readonly StoredDeadLetter[]): Promise<void> {
  await conn.run('DELETE FROM sl_dlq_stage');
  const stage = await conn.createAppender('sl_dlq_stage');
  const text = (v: string | undefined): void => (v === undefined ? stage.appendNull() : stage.appendVarchar(v));
  const int = (v: number | undefined): void => (v === undefined ? stage.appendNull() : stage.appendInteger(v));
  const big = (v: number | undefined): void => (v === undefined ? stage.appendNull() : stage.appendBigInt(BigInt(v)));
  for (const l of letters) {
    big(deadLetterPos(l.id));
    big(l.at);
    text(l.reason.stage);
    text(l.reason.code);
    text(l.reason.rule);
    text(l.reason.message);
    text(l.eventId);
    text(l.source);
    text(l.type);
    text(l.reason.schema?.subject);
    int(l.reason.schema?.version);
    int(l.reason.schema?.id);
    text(l.reason.traceparent);
    text(l.origin);
    text(l.replayOf);
    stage.appendBlob(l.original);
    big(l.originalSize);
    stage.endRow();
  }
  stage.flushSync();
  stage.closeSync();
  await conn.run(`INSERT INTO dead_letters (dlq_pos, failed_at, stage, code, rule, message, event_id, source, type, schema_subject, schema_version,
      schema_id, traceparent, origin, replay_of, original, original_size)
    SELECT dlq_pos, failed_at, stage, code, rule, message, event_id, source, type, schema_subject, schema_version,
      schema_id, traceparent, origin, replay_of, original, original_size
    FROM sl_dlq_stage s
    WHERE s.origin IS NULL OR NOT EXISTS (
      SELECT 1 FROM dead_letters d WHERE d.origin = s.origin AND d.code = s.code AND d.replay_of IS NOT DISTINCT FROM s.replay_of)
    QUALIFY s.origin IS NULL OR row_number() OVER (PARTITION BY s.origin, s.code, s.replay_of ORDER BY s.dlq_pos) = 1`);
}

export async function applyOutcomes(conn: DuckDBConnection, outcomes: ReadonlyArray<ReplayOutcome & { pos: number }>): Promise<void> {
  await conn.run('DELETE FROM sl_dlq_outcome_stage');
  const stage = await conn.createAppender('sl_dlq_outcome_stage');
  for (const o of outcomes) {
    stage.appendBigInt(BigInt(deadLetterPos(o.entry)));
    stage.appendInteger(o.pos);
    stage.appendVarchar(o.outcome);
    stage.appendBigInt(BigInt(o.at));
    if (o.code === undefined) stage.appendNull();
    else stage.appendVarchar(o.code);
    if (o.message === undefined) stage.appendNull();
    else stage.appendVarchar(o.message);
    stage.endRow();
  }
  stage.flushSync();
  stage.closeSync();
  await conn.run(`UPDATE dead_letters d SET replay_outcome = s.outcome, replay_at = s.at_ms, replay_code = s.code, replay_message = s.message
    FROM (SELECT * FROM sl_dlq_outcome_stage QUALIFY row_number() OVER (PARTITION BY entry_pos ORDER BY pos DESC) = 1) s
    WHERE d.dlq_pos = s.entry_pos`);
}

export function deadLettersQuery(q: DeadLetterQuery): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const where: string[] = [];
  const eq = (column: string, value: string | undefined): void => {
    if (value !== undefined) where.push(`${column} = $${params.push(value)}`);
  };
  eq('stage', q.stage);
  eq('code', q.code);
  eq('rule', q.rule);
  eq('source', q.source);
  eq('type', q.type);
  eq('event_id', q.eventId);
  if (q.since !== undefined) where.push(`failed_at >= $${params.push(BigInt(q.since))}`);
  if (q.until !== undefined) where.push(`failed_at < $${params.push(BigInt(q.until))}`);
  if (q.replayed === true) where.push(`replay_outcome IN ('replayed', 'duplicate')`);
  if (q.replayed === false) where.push(`(replay_outcome IS NULL OR replay_outcome = 'failed')`);
  if (q.before !== undefined) where.push(`dlq_pos < $${params.push(BigInt(deadLetterPos(q.before)))}`);
  const sql = `SELECT * FROM dead_letters ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY dlq_pos DESC LIMIT $${params.push(q.limit)}`;
  return { sql, params };
}
