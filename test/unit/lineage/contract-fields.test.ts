import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { contractFields } from '../../../src/lineage/contract-fields.js';

it('lists the top-level fields of a JSON Schema contract', () => {
  const schema = readFileSync(new URL('../../../../examples/contracts/web.page_view.json', import.meta.url), 'utf8');
  assert.deepEqual(contractFields('JSON', schema), [
    { name: 'user_id', type: 'string' },
    { name: 'page', type: 'string' },
    { name: 'referrer', type: 'string' },
    { name: 'session_id', type: 'string' },
  ]);
  assert.deepEqual(contractFields('JSON', JSON.stringify({ properties: { n: { type: ['integer', 'null'], description: 'count' }, k: { enum: ['a'] } } })), [
    { name: 'n', type: 'integer|null', description: 'count' },
    { name: 'k', type: 'enum' },
  ]);
});

it('lists the fields of an Avro record, and nothing for what does not parse', () => {
  const avro = {
    type: 'record',
    name: 'click',
    fields: [
      { name: 'x', type: 'int', doc: 'pixels' },
      { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
      { name: 'ref', type: ['null', 'string'] },
      { name: 'geo', type: { type: 'record', name: 'geo', fields: [] } },
    ],
  };
  assert.deepEqual(contractFields('AVRO', JSON.stringify(avro)), [
    { name: 'x', type: 'int', description: 'pixels' },
    { name: 'at', type: 'timestamp-millis' },
    { name: 'ref', type: 'null|string' },
    { name: 'geo', type: 'record' },
  ]);
  assert.deepEqual(contractFields('AVRO', '"string"'), []);
  assert.deepEqual(contractFields('JSON', '{not json'), []);
});
