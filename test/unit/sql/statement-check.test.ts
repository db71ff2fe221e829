import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type DuckDBConnection, DuckDBInstance, VARCHAR } from '@duckdb/node-api';
import { SightlineError } from '../../../src/core/errors.js';
import { checkStatement, statementDigest, statementsOf } from '../../../src/sql/statement-check.js';
import { hullOf, rangeOf, type SqlNode, type TimeColumns } from '../../../src/sql/time-bounds.js';

const VIEWS = new Map<string, TimeColumns>([
  ['events', { ms: 'timestamp', time: 'event_time' }],
  ['page_views', { ms: 'window_start', time: 'window_start_time' }],
]);

/**
 * The statement check on parse trees DuckDB itself makes: which views a statement reads, the
 * time bounds that certainly hold for each place it reads one (and none where they might not),
 * what it refuses, and the digest that leaves every constant out.
 */
describe('SQL on read: the statement check', () => {
  let instance: DuckDBInstance;
  let conn: DuckDBConnection;
  const parse = async (sql: string): Promise<SqlNode> => {
    const serialized = (await conn.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR)', [sql], [VARCHAR])).getRows()[0]![0] as string;
    const statements = statementsOf(serialized);
    assert.equal(statements.length, 1);
    return statements[0]!;
  };
  const check = async (sql: string) => checkStatement(await parse(sql), VIEWS);
  /** Each reference's bounds, as `side column op` text. */
  const bounds = async (sql: string): Promise<string[][]> =>
    (await check(sql)).references.map((r) => r.bounds.map((b) => `${b.side} ${b.column}${b.inclusive ? ' incl' : ''}${b.clock ? ' clock' : ''}`));
  const refusal = async (sql: string): Promise<string> => {
    try {
      await check(sql);
    } catch (err) {
      assert.ok(err instanceof SightlineError);
      return err.code;
    }
    return 'accepted';
  };

  before(async () => {
    instance = await DuckDBInstance.create(':memory:');
    conn = await instance.connect();
  });
  after(() => {
    conn.closeSync();
    instance.closeSync();
  });

  it('takes the AND terms comparing a time column with a constant, either way round', async () => {
    assert.deepEqual(await bounds('SELECT * FROM events WHERE timestamp >= 5 AND timestamp < 10 AND source = $s'), [['lower ms incl', 'upper ms']]);
    assert.deepEqual(await bounds("SELECT * FROM events WHERE TIMESTAMP '2026-12-01' <= event_time"), [['lower time incl']]);
    assert.deepEqual(await bounds('SELECT * FROM events WHERE timestamp BETWEEN $1 AND $2'), [['lower ms incl', 'upper ms incl']]);
    assert.deepEqual(await bounds('SELECT * FROM events WHERE timestamp = 7'), [['lower ms incl', 'upper ms incl']]);
    assert.deepEqual(await bounds("SELECT * FROM page_views WHERE window_start_time > now() - INTERVAL 1 DAY"), [['lower time clock']]);
  });

  it('takes no bound that might not hold for every row read', async () => {
    assert.deepEqual(await bounds('SELECT * FROM events WHERE timestamp >= 5 OR id = $x'), [[]], 'under OR');
    assert.deepEqual(await bounds('SELECT * FROM events WHERE NOT (timestamp < 5 AND id = $x)'), [[]], 'under NOT');
    assert.deepEqual(await bounds('SELECT * FROM events WHERE timestamp > random()'), [[]], 'a volatile value');
    assert.deepEqual(await bounds('SELECT * FROM events WHERE timestamp > (SELECT 1)'), [[]], 'a subquery');
    assert.deepEqual(await bounds('SELECT * FROM events WHERE timestamp > log_pos'), [[]], 'another column');
    assert.deepEqual(await bounds('SELECT * FROM (SELECT * FROM events) t WHERE t.timestamp > 5'), [[]], 'a filter outside the subquery');
    // In a join, an unqualified column could be either table's; a qualified one is certain.
    assert.deepEqual(await bounds('SELECT * FROM events e JOIN page_views p ON true WHERE timestamp > 5 AND p.window_start > 6'), [[], ['lower ms']]);
    assert.deepEqual(await bounds('SELECT * FROM events e WHERE other.timestamp > 5'), [[]], 'another qualifier');
  });

  it('finds the views wherever they are read, and not where a CTE of the same name shadows them', async () => {
    assert.deepEqual(await bounds('WITH x AS (SELECT * FROM events WHERE timestamp >= 1) SELECT * FROM x, page_views'), [[], ['lower ms incl']], 'page_views in the FROM first, then events in the CTE');
    assert.deepEqual((await check('WITH events AS (SELECT 1 AS timestamp) SELECT * FROM events')).references, []);
    // A CTE's body does not see itself: `events` in it is the view (DuckDB binds it so).
    assert.deepEqual(await bounds("WITH events AS (SELECT * FROM events WHERE timestamp > 5) SELECT count(*) FROM events"), [['lower ms']]);
    // Nor the CTEs after it.
    assert.deepEqual((await check('WITH a AS (SELECT * FROM page_views), page_views AS (SELECT 1) SELECT * FROM a')).references.map((r) => r.view), ['page_views']);
    assert.deepEqual((await check('SELECT * FROM EVENTS WHERE id IN (SELECT id FROM Events)')).references.map((r) => r.view), ['events', 'events']);
    assert.deepEqual((await check('SELECT 1 UNION ALL SELECT count(*) FROM page_views')).references.map((r) => r.view), ['page_views']);
  });

  it('refuses table functions that read, qualified names, state-changing functions and more than a SELECT', async () => {
    for (const sql of ["SELECT * FROM read_csv('x')", "SELECT * FROM read_parquet('x')", "SELECT * FROM glob('*')", "SELECT * FROM query('SELECT 1')", 'SELECT * FROM main.events', 'SELECT * FROM memory.main.events', "SELECT nextval('s')", "SELECT current_setting('threads')"]) {
      assert.equal(await refusal(sql), 'SL_SQL_NOT_ALLOWED', sql);
    }
    assert.equal(await refusal('SELECT * FROM events, (DESCRIBE sl_offsets)'), 'SL_SQL_NOT_ALLOWED');
    for (const sql of ['SELECT * FROM range(3)', 'SELECT * FROM generate_series(1, 3)', 'SELECT unnest([1, 2])']) assert.equal(await refusal(sql), 'accepted', sql);
    assert.equal(await refusal('SELECT * FROM sl_offsets'), 'SL_SQL_INVALID');
    const serialized = (await conn.runAndReadAll("SELECT json_serialize_sql('DROP TABLE events')")).getRows()[0]![0] as string;
    assert.throws(() => statementsOf(serialized), (err: SightlineError) => err.code === 'SL_SQL_NOT_ALLOWED');
  });

  it('digests a statement by its shape: its constants and their positions left out', async () => {
    const a = statementDigest(await parse("SELECT count(*) FROM events WHERE user_id = 'alice'"));
    const b = statementDigest(await parse("SELECT count(*)   FROM events WHERE user_id = 'bob'"));
    const c = statementDigest(await parse("SELECT count(*) FROM events WHERE source = 'alice'"));
    assert.match(a, /^[0-9a-f]{16}$/);
    assert.equal(a, b);
    assert.notEqual(a, c);
  });

  it('ranges: the tightest bounds of a reference, widened where they read the clock; the hull over references', () => {
    const term = (side: 'lower' | 'upper', inclusive: boolean, clock = false) => ({ column: 'ms' as const, side, inclusive, expr: {}, clock });
    assert.deepEqual(rangeOf([term('lower', true), term('lower', false), term('upper', false), term('upper', true)], [10, 20, 100, 50], 0), { from: 20, to: 51 });
    assert.deepEqual(rangeOf([term('lower', true, true), term('upper', false, true)], [1000, 2000], 60), { from: 940, to: 2060 });
    assert.deepEqual(rangeOf([term('lower', true)], [undefined], 0), {}, 'a value not known leaves the side open');
    // Fractions of a millisecond round outward: < x.0005 keeps x.000; >= x.9 keeps x.9.
    assert.deepEqual(rangeOf([term('lower', true), term('upper', false)], [999.9, 1000.0005], 0), { from: 999, to: 1001 });
    assert.deepEqual(hullOf([{ from: 5, to: 10 }, { from: 1, to: 7 }]), { from: 1, to: 10 });
    assert.deepEqual(hullOf([{ from: 5, to: 10 }, { to: 7 }]), { to: 10 });
  });
});
