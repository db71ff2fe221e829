import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkEvent, type EventLimits } from '../../../src/core/event-check.js';

const limits: EventLimits = { maxEventBytes: 2000, maxDepth: 5, maxStringLength: 100, maxFutureSkewMs: 60_000 };
const now = 1_800_000_000_000;
const good = { id: 'e1', source: 'web', type: 'page_view', timestamp: now - 1000, payload: { user_id: 'u1', page: '/' } };

function code(raw: unknown): string {
  const r = checkEvent(raw, limits, now);
  return r.ok ? 'ok' : r.code;
}

describe('checkEvent', () => {
  it('accepts a valid event, adds empty metadata and returns the exact stored bytes', () => {
    const r = checkEvent(good, limits, now);
    assert.ok(r.ok);
    assert.deepEqual(r.event.metadata, {});
    assert.deepEqual(JSON.parse(r.bytes.toString()), { ...good, metadata: {} });
  });

  it('drops unknown top-level fields rather than storing them', () => {
    const r = checkEvent({ ...good, extra: 'x' }, limits, now);
    assert.ok(r.ok);
    assert.equal('extra' in JSON.parse(r.bytes.toString()), false);
  });

  it('rejects each envelope problem with its own code', () => {
    assert.equal(code([good]), 'SL_EVENT_NOT_OBJECT');
    assert.equal(code(null), 'SL_EVENT_NOT_OBJECT');
    for (const field of ['id', 'source', 'type', 'timestamp', 'payload']) {
      const { [field]: _, ...rest } = good as Record<string, unknown>;
      assert.equal(code(rest), 'SL_EVENT_FIELD_MISSING', field);
    }
    assert.equal(code({ ...good, id: '' }), 'SL_EVENT_FIELD_INVALID');
    assert.equal(code({ ...good, id: 7 }), 'SL_EVENT_FIELD_INVALID');
    assert.equal(code({ ...good, source: 'has space' }), 'SL_EVENT_FIELD_INVALID');
    assert.equal(code({ ...good, payload: [] }), 'SL_EVENT_FIELD_INVALID');
    assert.equal(code({ ...good, metadata: 'x' }), 'SL_EVENT_FIELD_INVALID');
    assert.equal(code({ ...good, timestamp: '2026-01-01' }), 'SL_EVENT_TIMESTAMP_INVALID');
    assert.equal(code({ ...good, timestamp: 1.5 }), 'SL_EVENT_TIMESTAMP_INVALID');
    assert.equal(code({ ...good, timestamp: -1 }), 'SL_EVENT_TIMESTAMP_INVALID');
    assert.equal(code({ ...good, timestamp: now + 60_001 }), 'SL_EVENT_TIMESTAMP_INVALID');
    assert.equal(code({ ...good, timestamp: now + 60_000 }), 'ok');
  });

  it('enforces size, depth and string length limits', () => {
    assert.equal(code({ ...good, payload: { big: 'x'.repeat(99).repeat(1) , a: 'y'.repeat(99), b: 'z'.repeat(99) } }), 'ok');
    const wide = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, 'v'.repeat(60)]));
    assert.equal(code({ ...good, payload: wide }), 'SL_EVENT_TOO_LARGE');
    assert.equal(code({ ...good, payload: { s: 'x'.repeat(101) } }), 'SL_EVENT_STRING_TOO_LONG');
    assert.equal(code({ ...good, payload: { ['k'.repeat(101)]: 1 } }), 'SL_EVENT_STRING_TOO_LONG');
    assert.equal(code({ ...good, payload: { a: { b: { c: { d: 1 } } } } }), 'ok');
    assert.equal(code({ ...good, payload: { a: { b: { c: { d: { e: 1 } } } } } }), 'SL_EVENT_TOO_DEEP');
    assert.equal(code({ ...good, payload: { a: [[[[1]]]] } }), 'SL_EVENT_TOO_DEEP');
  });

  it('refuses unpaired UTF-16 surrogates in strings and keys, which storage engines cannot hold', () => {
    assert.equal(code(JSON.parse('{"id":"x\\ud800","source":"web","type":"t","timestamp":1,"payload":{}}')), 'SL_EVENT_FIELD_INVALID');
    assert.equal(code({ ...good, payload: JSON.parse('{"a":["ok","\\udc00"]}') }), 'SL_EVENT_FIELD_INVALID');
    assert.equal(code({ ...good, payload: JSON.parse('{"\\ud800":1}') }), 'SL_EVENT_FIELD_INVALID');
    assert.equal(code({ ...good, payload: { emoji: '😀 \ud83d\ude00' } }), 'ok', 'paired surrogates are fine');
  });

  it('survives a hostile nesting depth without a stack overflow', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    assert.equal(code({ ...good, payload: { deep } }), 'SL_EVENT_TOO_DEEP');
  });
});
