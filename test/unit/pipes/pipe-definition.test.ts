import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SightlineError } from '../../../src/core/errors.js';
import { checkDefinition, incompatibilities, paramOfText, paramsOfQuery, type PipeVersion } from '../../../src/pipes/pipe-definition.js';
import { paramsHashOf, parsePipeCursor } from '../../../src/pipes/pipe-runner.js';

const refusedWith = (code: string, message: RegExp) => (err: unknown) => err instanceof SightlineError && err.code === code && message.test(err.message);

const version = (params: PipeVersion['definition']['params'], columns: Array<[string, string]>): PipeVersion => ({
  kind: 'pipe',
  name: 'p',
  version: 1,
  definition: { sql: 'SELECT 1', params, compatibility: 'BACKWARD' },
  columns: columns.map(([name, type]) => ({ name, type })),
  reads: [{ view: 'page_views', dataset: 'aggregates/page-views' }],
  volatile: false,
  createdAt: 0,
  createdBy: 'config',
});

describe('a pipe definition', () => {
  it('is checked and written one way: parameters sorted, defaults kept, BACKWARD unless said', () => {
    const a = checkDefinition('top', { sql: 'S', params: { to: { type: 'TIMESTAMP', default: 0 }, from: { type: 'TIMESTAMP', required: true, description: 'd' } } });
    assert.deepEqual(Object.keys(a.params), ['from', 'to']);
    assert.deepEqual(a, { sql: 'S', params: { from: { type: 'TIMESTAMP', required: true, description: 'd' }, to: { type: 'TIMESTAMP', default: 0 } }, compatibility: 'BACKWARD' });
    assert.throws(() => checkDefinition('Top', { sql: 'S' }), refusedWith('SL_PIPE_INVALID', /lower-case/));
    assert.throws(() => checkDefinition('t', { sql: 'S', params: { cursor: { type: 'VARCHAR' } } }), refusedWith('SL_PIPE_INVALID', /every pipe's own/));
    assert.throws(() => checkDefinition('t', { sql: 'S', params: { a: { type: 'BIGINT', required: true, default: 1 } } }), refusedWith('SL_PIPE_INVALID', /one or the other/));
    assert.throws(() => checkDefinition('t', { sql: 'S', params: { a: { type: 'DATE', default: '2026-13-45' } } }), refusedWith('SL_PIPE_INVALID', /a date/));
  });

  it('types each query-string value as declared, or refuses it naming the parameter', () => {
    assert.deepEqual(paramOfText('n', 'BIGINT', '-12'), { type: 'BIGINT', value: '-12' });
    assert.deepEqual(paramOfText('x', 'DOUBLE', '1.5e3'), { type: 'DOUBLE', value: 1500 });
    assert.deepEqual(paramOfText('b', 'BOOLEAN', 'false'), { type: 'BOOLEAN', value: false });
    assert.deepEqual(paramOfText('t', 'TIMESTAMP', '1700000000000'), { type: 'TIMESTAMP', value: 1_700_000_000_000 });
    assert.deepEqual(paramOfText('t', 'TIMESTAMPTZ', '2026-12-07T10:00:00Z'), { type: 'TIMESTAMPTZ', value: '2026-12-07T10:00:00Z' });
    for (const [type, text] of [['BIGINT', '1.5'], ['DOUBLE', ''], ['DOUBLE', 'Infinity'], ['BOOLEAN', 'yes'], ['TIMESTAMP', 'soon'], ['DATE', '2026-1-1']] as const) {
      assert.throws(() => paramOfText('p', type, text), refusedWith('SL_PIPE_PARAMS_INVALID', new RegExp(`^parameter p \\(${type}\\)`)), `${type} ${text}`);
    }
  });

  it('fills a request: given, default, or NULL; required ones and unknown names refused', () => {
    const def = checkDefinition('t', { sql: 'S', params: { from: { type: 'TIMESTAMP', required: true }, page: { type: 'VARCHAR' }, n: { type: 'INTEGER', default: 10 } } });
    assert.deepEqual(paramsOfQuery(def, { from: '5' }), { from: { type: 'TIMESTAMP', value: 5 }, n: { type: 'INTEGER', value: '10' }, page: { type: 'VARCHAR', value: null } });
    assert.throws(() => paramsOfQuery(def, {}), refusedWith('SL_PIPE_PARAMS_INVALID', /from \(TIMESTAMP\) is required/));
    assert.throws(() => paramsOfQuery(def, { from: '5', pgae: 'x' }), refusedWith('SL_PIPE_PARAMS_INVALID', /unknown parameter pgae/));
  });

  it('lists what a new version breaks for the callers of the last', () => {
    const last = version({ from: { type: 'TIMESTAMP', required: true }, page: { type: 'VARCHAR' } }, [['page', 'VARCHAR'], ['views', 'BIGINT']]);
    const next = (params: PipeVersion['definition']['params'], columns: Array<[string, string]>) =>
      incompatibilities(last, { definition: { sql: 'S', params, compatibility: 'BACKWARD' }, columns: columns.map(([name, type]) => ({ name, type })) });
    // More optional parameters, more columns, a required one made optional: nothing breaks.
    assert.deepEqual(next({ from: { type: 'TIMESTAMP' }, page: { type: 'VARCHAR' }, n: { type: 'BIGINT', default: 5 } }, [['page', 'VARCHAR'], ['views', 'BIGINT'], ['share', 'DOUBLE']]), []);
    assert.deepEqual(next({ from: { type: 'DATE', required: true }, page: { type: 'VARCHAR', required: true }, n: { type: 'BIGINT', required: true } }, [['views', 'DOUBLE']]), [
      'parameter from changes type from TIMESTAMP to DATE',
      'parameter page becomes required',
      'new parameter n is required (give it a default, or make it optional)',
      'column page is removed',
      'column views changes type from BIGINT to DOUBLE',
    ]);
    // CSV and Arrow readers take columns by position: a new one goes after the old ones.
    assert.deepEqual(next(last.definition.params, [['share', 'DOUBLE'], ['page', 'VARCHAR'], ['views', 'BIGINT']]), ['columns page, views must stay first and in this order (new ones go after them)']);
    assert.deepEqual(next(last.definition.params, [['views', 'BIGINT'], ['page', 'VARCHAR']]), ['columns page, views must stay first and in this order (new ones go after them)']);
  });

  it('pages with a cursor bound to its version and its parameters', () => {
    const hash = paramsHashOf({ a: { type: 'VARCHAR', value: 'x' }, b: { type: 'BIGINT', value: '1' } });
    assert.equal(hash, paramsHashOf({ b: { type: 'BIGINT', value: '1' }, a: { type: 'VARCHAR', value: 'x' } }), 'whatever their order');
    assert.notEqual(hash, paramsHashOf({ a: { type: 'VARCHAR', value: 'y' }, b: { type: 'BIGINT', value: '1' } }));
    assert.deepEqual(parsePipeCursor(`v3.200.${hash}`), { version: 3, offset: 200, paramsHash: hash });
    for (const bad of ['v3.200', '3.200.abcdef12', 'v3.-1.abcdef12', `v3.200.${hash}x`]) assert.throws(() => parsePipeCursor(bad), refusedWith('SL_API_CURSOR_INVALID', /cursor/), bad);
  });
});
