import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evolvedColumns, payloadColumnsOf } from '../../../src/lakehouse/contract-table.js';
import { AvroSchema } from '../../../src/registry/types/avro-schema.js';
import { JsonSchema } from '../../../src/registry/types/json-schema.js';

describe('contract fields', () => {
  it('types the top-level properties of a JSON Schema, anything a column cannot type as json', () => {
    const schema = JsonSchema.parse(
      JSON.stringify({
        type: 'object',
        properties: {
          s: { type: 'string', format: 'uri' },
          n: { type: ['integer', 'null'] },
          d: { type: 'number' },
          b: { type: 'boolean' },
          e: { enum: ['a', 'b'] },
          o: { type: 'object' },
          a: { type: 'array' },
          u: { type: ['string', 'integer'] },
          r: { $ref: '#/definitions/x' },
        },
        definitions: { x: { type: 'string' } },
      }),
    );
    assert.deepEqual(schema.fields(), [
      { name: 's', type: 'string' },
      { name: 'n', type: 'long' },
      { name: 'd', type: 'double' },
      { name: 'b', type: 'boolean' },
      { name: 'e', type: 'string' },
      { name: 'o', type: 'json' },
      { name: 'a', type: 'json' },
      { name: 'u', type: 'json' },
      { name: 'r', type: 'json' },
    ]);
    assert.deepEqual(JsonSchema.parse('true').fields(), []);
    assert.deepEqual(JsonSchema.parse('{"type":"object"}').fields(), []);
  });

  it('types the fields of an Avro record, a union with null as its one branch', () => {
    const schema = AvroSchema.parse(
      JSON.stringify({
        type: 'record',
        name: 'PageView',
        fields: [
          { name: 'url', type: 'string' },
          { name: 'ms', type: ['null', 'int'], default: null },
          { name: 'ratio', type: 'float' },
          { name: 'kind', type: { type: 'enum', name: 'Kind', symbols: ['A', 'B'] } },
          { name: 'tags', type: { type: 'array', items: 'string' } },
          { name: 'either', type: ['string', 'long'] },
        ],
      }),
    );
    assert.deepEqual(schema.fields(), [
      { name: 'url', type: 'string' },
      { name: 'ms', type: 'long' },
      { name: 'ratio', type: 'double' },
      { name: 'kind', type: 'string' },
      { name: 'tags', type: 'json' },
      { name: 'either', type: 'json' },
    ]);
    assert.deepEqual(AvroSchema.parse('"string"').fields(), []);
  });
});

describe('contract table columns', () => {
  const start = payloadColumnsOf(undefined);

  it('adds a column per new field with the next ids, renaming one that meets an envelope column or a non-identifier', () => {
    const evolved = evolvedColumns(start, [
      { name: 'user_id', type: 'string' },
      { name: 'page url', type: 'string' },
      { name: '1st', type: 'long' },
    ])!;
    assert.deepEqual(
      evolved.fields.slice(start.fields.length).map((f) => [f.id, f.name, f.type, f.required]),
      [
        [10, 'payload_user_id', 'string', false],
        [11, 'page_url', 'string', false],
        [12, '_1st', 'long', false],
      ],
    );
    assert.deepEqual(evolved.payload, { 10: 'user_id', 11: 'page url', 12: '1st' });
    assert.equal(evolved.lastColumnId, 12);
    assert.equal(evolvedColumns(evolved, [{ name: 'page url', type: 'string' }]), undefined, 'nothing new, no change');
  });

  it('tells names apart without regard to case, as DuckDB and many engines do', () => {
    const evolved = evolvedColumns(start, [
      { name: 'ID', type: 'string' },
      { name: 'page', type: 'string' },
      { name: 'Page', type: 'string' },
    ])!;
    assert.deepEqual(evolved.fields.slice(start.fields.length).map((f) => f.name), ['payload_ID', 'page', 'payload_Page']);
  });

  it('never removes a column, and gives a field whose type changed a new one', () => {
    const v1 = evolvedColumns(start, [{ name: 'ms', type: 'long' }, { name: 'gone', type: 'string' }])!;
    const v2 = evolvedColumns(v1, [{ name: 'ms', type: 'double' }])!;
    assert.deepEqual(
      v2.fields.slice(start.fields.length).map((f) => [f.id, f.name, f.type]),
      [
        [10, 'ms', 'long'],
        [11, 'gone', 'string'],
        [12, 'ms_double', 'double'],
      ],
    );
    assert.deepEqual(v2.payload, { 10: 'ms', 11: 'gone', 12: 'ms' });
    // Back to long: the newest column for the field is a double, so a third one.
    const v3 = evolvedColumns(v2, [{ name: 'ms', type: 'long' }])!;
    assert.deepEqual(v3.fields.at(-1), { id: 13, name: 'ms_long', required: false, type: 'long' });
  });
});
