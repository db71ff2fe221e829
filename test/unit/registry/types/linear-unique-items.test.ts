import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSchema } from '../../../../src/registry/types/parse-schema.js';

const unique = parseSchema(JSON.stringify({ type: 'array', uniqueItems: true }), 'JSON');

describe('uniqueItems in linear time', () => {
  it('equal as JSON Schema defines it: object key order does not matter, 1 and 1.0 are one number, 1 and "1" are not', () => {
    assert.equal(unique.validate([{ a: 1, b: [2, { c: null }] }, { b: [2, { c: null }], a: 1 }])?.message, 'must NOT have duplicate items (item 1 repeats an earlier one)');
    assert.ok(unique.validate(JSON.parse('[1, 1.0]')));
    assert.equal(unique.validate([1, '1', true, 'true', null, 'null', [1], { 0: 1 }]), undefined);
    assert.equal(unique.validate([{ a: 1 }, { a: 1, b: 2 }]), undefined);
    assert.equal(unique.validate([]), undefined);
  });

  it('names the path of the array and the repeated item', () => {
    const nested = parseSchema(JSON.stringify({ type: 'object', properties: { tags: { type: 'array', uniqueItems: true } } }), 'JSON');
    assert.deepEqual(nested.validate({ tags: ['a', 'b', 'a'] }), { path: '/tags', message: 'must NOT have duplicate items (item 2 repeats an earlier one)' });
  });

  it('uniqueItems: false allows repeats', () => {
    assert.equal(parseSchema(JSON.stringify({ type: 'array', uniqueItems: false }), 'JSON').validate([1, 1]), undefined);
  });
});
