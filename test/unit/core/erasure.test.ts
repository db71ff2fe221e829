import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytesInScope, erasedValue, isErasedValue, subjectOf, userIdOf } from '../../../src/core/erasure.js';

const event = (userId: unknown, timestamp?: unknown) => Buffer.from(JSON.stringify({ id: 'e', ...(timestamp !== undefined && { timestamp }), payload: { user_id: userId } }));

describe('deletion scope', () => {
  const scope = { subject: subjectOf('u42'), from: 1000, to: 2000 };

  it('matches the user by the hash of payload.user_id, a string or a number, within the event-time range', () => {
    assert.equal(bytesInScope(event('u42', 1500), scope, 0), true);
    assert.equal(bytesInScope(event('u42', 999), scope, 0), false);
    assert.equal(bytesInScope(event('u42', 2001), scope, 0), false);
    assert.equal(bytesInScope(event('u43', 1500), scope, 0), false);
    assert.equal(bytesInScope(event(42, 1500), { ...scope, subject: subjectOf('42') }, 0), true);
    assert.equal(bytesInScope(event('u42', 1500), { ...scope, from: null }, 0), true);
  });

  it('judges an event without a usable timestamp by when the log took it, and never matches what is not an event', () => {
    assert.equal(bytesInScope(event('u42'), scope, 1500), true);
    assert.equal(bytesInScope(event('u42', 'soon'), scope, 3000), false);
    assert.equal(bytesInScope(Buffer.from('not json'), scope, 1500), false);
    assert.equal(bytesInScope(Buffer.from('{"payload":null}'), scope, 1500), false);
    assert.equal(userIdOf({ payload: { user_id: { nested: 1 } } }), undefined);
  });

  it('erases to a marker of the same length that readers recognise', () => {
    for (const length of [3, 25, 200]) {
      const value = erasedValue(length);
      assert.equal(value.length, length);
      assert.equal(isErasedValue(value), true);
    }
    assert.equal(isErasedValue(Buffer.from('{"id":"e"}')), false);
    assert.equal(isErasedValue(Buffer.alloc(0)), false);
  });
});
