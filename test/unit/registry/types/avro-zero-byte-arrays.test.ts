import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSchema } from '../../../../src/registry/types/parse-schema.js';

const refusal = (schema: object): string | undefined => {
  try {
    parseSchema(JSON.stringify(schema), 'AVRO');
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
};

describe('Avro arrays whose items take no bytes (decompression bombs)', () => {
  it('are refused wherever they are: a field, a map value, a union branch, the top level', () => {
    const empty = { type: 'record', name: 'empty', fields: [] };
    const cases: Array<[object, string]> = [
      [{ type: 'record', name: 'r', fields: [{ name: 'a', type: { type: 'array', items: 'null' } }] }, '/a'],
      [{ type: 'record', name: 'r', fields: [{ name: 'm', type: { type: 'map', values: { type: 'array', items: empty } } }] }, '/m{}'],
      [{ type: 'record', name: 'r', fields: [{ name: 'u', type: ['null', { type: 'array', items: { type: 'record', name: 'z', fields: [{ name: 'n', type: 'null' }] } }] }] }, '/u'],
      [{ type: 'array', items: { type: 'fixed', name: 'f', size: 0 } }, '/'],
    ];
    for (const [schema, path] of cases) {
      const message = refusal(schema);
      assert.ok(message?.includes(`the array at ${path} has items that take no bytes`), `${JSON.stringify(schema)}: ${message}`);
    }
  });

  it('arrays of items that take a byte or more, and recursive records, are registered', () => {
    assert.equal(refusal({ type: 'record', name: 'r', fields: [{ name: 'a', type: { type: 'array', items: ['null', 'string'] } }, { name: 'b', type: { type: 'array', items: 'int' } }] }), undefined);
    assert.equal(refusal({ type: 'record', name: 'node', fields: [{ name: 'v', type: 'int' }, { name: 'next', type: ['null', 'node'] }, { name: 'kids', type: { type: 'array', items: 'node' } }] }), undefined);
    assert.equal(refusal({ type: 'array', items: { type: 'array', items: 'null' } }) !== undefined, true, 'the inner array is the bomb');
  });
});
