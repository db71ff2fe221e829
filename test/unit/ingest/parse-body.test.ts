import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SightlineError } from '../../../src/core/errors.js';
import { parseBody } from '../../../src/ingest/parse-body.js';

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof SightlineError);
    return err.code;
  }
  return 'no error';
};

describe('parseBody', () => {
  it('reads a JSON array, or a single object as a batch of one', () => {
    assert.deepEqual(parseBody(Buffer.from('[{"a":1},{"b":2}]'), 'json', 10), [{ value: { a: 1 } }, { value: { b: 2 } }]);
    assert.deepEqual(parseBody(Buffer.from('{"a":1}'), 'json', 10), [{ value: { a: 1 } }]);
  });

  it('fails a JSON body whole when it does not parse, is empty, or is too long', () => {
    assert.equal(codeOf(() => parseBody(Buffer.from('[{"a":1},'), 'json', 10)), 'SL_INGEST_BODY_INVALID');
    assert.equal(codeOf(() => parseBody(Buffer.from('[]'), 'json', 10)), 'SL_INGEST_BODY_INVALID');
    assert.equal(codeOf(() => parseBody(Buffer.from('[1,2,3]'), 'json', 2)), 'SL_INGEST_TOO_MANY_EVENTS');
  });

  it('reads NDJSON line by line, skipping blank lines and CRLF, failing only the bad line', () => {
    const body = Buffer.from('{"a":1}\r\n\n{oops\n{"c":3}');
    const items = parseBody(body, 'ndjson', 10);
    assert.equal(items.length, 3);
    // Each line's place in the body, without its line end, so a dead letter keeps it as sent.
    assert.deepEqual(items[0], { value: { a: 1 }, at: [0, 7] });
    assert.ok('error' in items[1]! && /line 2/.test(items[1].error));
    assert.equal('error' in items[1]! && items[1].raw, '{oops');
    assert.deepEqual(items[2], { value: { c: 3 }, at: [16, 23] });
    assert.equal(body.subarray(16, 23).toString(), '{"c":3}');
  });

  it('bounds NDJSON batches too', () => {
    assert.equal(codeOf(() => parseBody(Buffer.from('1\n2\n3\n'), 'ndjson', 2)), 'SL_INGEST_TOO_MANY_EVENTS');
    assert.equal(codeOf(() => parseBody(Buffer.from('\n\n'), 'ndjson', 2)), 'SL_INGEST_BODY_INVALID');
  });
});
