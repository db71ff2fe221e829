import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parseDateTime, parseTimeParam, TIME_PARAM_SCHEMA } from '../../../src/serve/time-param.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const documented = addFormats(new Ajv()).compile(TIME_PARAM_SCHEMA);

it('reads every RFC 3339 form the document allows, as the instant it names', () => {
  const cases: Array<[string, string]> = [
    ['2026-11-26T09:00:00Z', '2026-11-26T09:00:00.000Z'],
    ['2026-11-26t09:00:00z', '2026-11-26T09:00:00.000Z'],
    ['2026-11-26 09:00:00Z', '2026-11-26T09:00:00.000Z'],
    ['2026-11-26T09:00:00.1234567Z', '2026-11-26T09:00:00.123Z'],
    ['2026-11-26T10:30:00+01:30', '2026-11-26T09:00:00.000Z'],
    ['2026-11-26T10:30:00+0130', '2026-11-26T09:00:00.000Z'],
    ['2026-11-26T04:00:00-05', '2026-11-26T09:00:00.000Z'],
    // A leap second, which Date.parse refuses: the next minute's first instant.
    ['2016-12-31T23:59:60Z', '2017-01-01T00:00:00.000Z'],
    ['2017-01-01T05:29:60+05:30', '2017-01-01T00:00:00.000Z'],
    ['0099-01-01T00:00:00Z', '0099-01-01T00:00:00.000Z'],
    ['2026-11-26', '2026-11-26T00:00:00.000Z'],
    ['2024-02-29', '2024-02-29T00:00:00.000Z'],
  ];
  for (const [text, iso] of cases) {
    assert.ok(documented(text), `the document allows ${text}`);
    assert.equal(new Date(parseTimeParam('from', text)!).toISOString(), iso, text);
  }
  assert.equal(parseTimeParam('from', '1795683600000'), 1795683600000);
  assert.equal(parseTimeParam('from', ''), undefined, 'empty: no bound');
});

it('the document refuses what is not a time, and the parser agrees', () => {
  for (const text of ['2021-02-31', '2021-02-29T00:00:00Z', '2026-11-26T09:00:00', '2026-11-26T24:00:00Z', 'yesterday', '1e3', '-5']) {
    assert.ok(!documented(text), `the document refuses ${text}`);
    assert.throws(() => parseTimeParam('from', text), (err: Error & { code?: string }) => err.code === 'SL_API_BAD_REQUEST', text);
  }
  // Epoch milliseconds have at most 15 digits: more would not fit a double exactly.
  assert.ok(!documented('9'.repeat(16)));
  assert.ok(Number.isNaN(parseDateTime('2021-02-31')));
});
