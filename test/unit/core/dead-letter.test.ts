import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { type DeadLetter, deadLetterRecord, readDeadLetterRecord, replayOutcomeRecord } from '../../../src/core/dead-letter.js';
import type { LogRecord, LogRecordInput } from '../../../src/core/ports/log.js';

const AT = Date.UTC(2026, 10, 27, 8, 0, 0);
const stored = (input: LogRecordInput, offset = 7): LogRecord => ({ topic: 'dlq', partition: 0, offset, key: input.key, value: input.value, timestamp: input.timestamp, headers: input.headers ?? {} });

const letter: DeadLetter = {
  reason: { code: 'SL_QUALITY_FAILED', stage: 'process', message: 'amount-positive (error): payload.amount -3 is below the minimum 0', rule: 'amount-positive', schema: { subject: 'shop.order', version: 2, id: 5 }, traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
  original: Buffer.from('{"id":"o-4","payload":{"amount":-3}}'),
  eventId: 'o-4',
  source: 'shop',
  type: 'order',
  at: AT,
  origin: 'events/1/42',
  replayOf: '0-3',
};

/** The dead-letter topic's record format: the original as the value, the reason in headers, read back whole. */
describe('dead-letter records', () => {
  it('round-trips a letter and a replay outcome', () => {
    const read = readDeadLetterRecord(stored(deadLetterRecord(letter)));
    assert.deepEqual(read, { kind: 'letter', letter: { ...letter, id: '0-7' } });
    const outcome = readDeadLetterRecord(stored(replayOutcomeRecord({ entry: '0-3', outcome: 'failed', at: AT, code: 'SL_EVENT_LATE', message: 'late' })));
    assert.deepEqual(outcome, { kind: 'outcome', outcome: { entry: '0-3', outcome: 'failed', at: AT, code: 'SL_EVENT_LATE', message: 'late' } });
  });

  it('keeps the first bytes, the size and the digest of an original too large for a record', () => {
    const big = { ...letter, original: Buffer.alloc(5000, 0x61) };
    const record = deadLetterRecord(big, 1000);
    assert.equal(record.value.length, 1000);
    assert.equal(record.headers!['sl.dlq.original_sha256'], createHash('sha256').update(big.original).digest('hex'));
    const read = readDeadLetterRecord(stored(record));
    assert.equal(read?.kind === 'letter' && read.letter.originalSize, 5000);
  });

  it('reads records other tools wrote without trusting their headers', () => {
    const headers = {
      'sl.dlq.kind': 'letter',
      'sl.dlq.code': 'X',
      'sl.dlq.stage': 'nowhere',
      'sl.dlq.at': 'yesterday',
      'sl.dlq.schema.subject': 's',
      'sl.dlq.schema.version': 'two',
      'sl.dlq.schema.id': '1',
      'sl.dlq.replay_of': "0-1'; DROP TABLE dead_letters",
    };
    const read = readDeadLetterRecord({ topic: 'dlq', partition: 0, offset: 9, key: '', value: Buffer.from('x'), timestamp: AT, headers });
    assert.equal(read?.kind, 'letter');
    if (read?.kind !== 'letter') return;
    assert.equal(read.letter.at, AT, 'a time that does not parse falls back to the record time');
    assert.equal(read.letter.reason.stage, 'ingest');
    assert.equal(read.letter.reason.schema, undefined);
    assert.equal(read.letter.replayOf, undefined);
    assert.equal(readDeadLetterRecord({ topic: 'dlq', partition: 0, offset: 10, key: '', value: Buffer.alloc(0), timestamp: AT, headers: { 'sl.dlq.kind': 'outcome', 'sl.dlq.entry': 'not-an-id', 'sl.dlq.outcome': 'replayed' } }), undefined);
    assert.equal(readDeadLetterRecord({ topic: 'dlq', partition: 0, offset: 11, key: '', value: Buffer.alloc(0), timestamp: AT, headers: {} }), undefined);
  });
});
