import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stringifyAnyDepth, stringifyWithoutRecursion } from '../../../src/core/deep-json.js';

describe('JSON without recursion', () => {
  it('writes what JSON.stringify writes, for the values JSON.parse makes', () => {
    for (const value of [null, 0, -1.5e-7, 'a"\\\u2028\ud800', true, [], {}, [1, [2, [3]], { a: [] }], { a: 1, b: { c: [null, 'x'] }, '': { '\u0000': false } }, { u: undefined, v: 1 }, [undefined, 1]]) {
      assert.equal(stringifyWithoutRecursion(value), JSON.stringify(value), JSON.stringify(value));
    }
  });

  it('writes nesting deeper than the call stack allows', () => {
    const text = `${'{"a":['.repeat(50_000)}1${']}'.repeat(50_000)}`;
    const value: unknown = JSON.parse(text);
    assert.throws(() => JSON.stringify(value), RangeError);
    assert.equal(stringifyAnyDepth(value), text);
  });
});
