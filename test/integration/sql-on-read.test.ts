import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { buildConfig } from '../../src/config/config.js';
import { type RunningPlatform, startPlatform } from '../../src/platform/start-platform.js';
import { getJson, pageView, postEvents, waitForBacklogZero } from '../helpers/events.js';
import { runLifecycle } from '../helpers/iceberg.js';
import { pyarrowSkipReason } from '../helpers/pyarrow.js';
import { tempDir } from '../helpers/tmp.js';
import { eventually } from '../helpers/wait.js';

const DAY = 86_400_000;
const TODAY = Math.floor(Date.now() / DAY) * DAY;
/** Three old days of ten events each, past the hot retention; ten fresh events within it. */
const OLD_DAYS = [TODAY - 5 * DAY, TODAY - 4 * DAY, TODAY - 3 * DAY];
const iso = (ms: number): string => new Date(ms).toISOString();

interface SqlAnswer {
  status: number;
  body: any;
  headers: Headers;
  text: string;
}

/**
 * SQL on read (POST /v1/sql) over a platform whose old days left the hot store: every view spans
 * the hot store and the cold tables with each row once, a statement over one day reads that
 * day's files only, statements cannot write or read files, and the limits answer with their codes.
 */
describe('SQL on read', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let platform: RunningPlatform;
  const now = Date.now();

  const sql = async (body: object, headers: Record<string, string> = {}): Promise<SqlAnswer> => {
    const response = await fetch(`${platform.url}/v1/sql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: response.status, body: parsed, headers: response.headers, text };
  };
  const rows = async (statement: string, params?: object): Promise<unknown[][]> => {
    const answer = await sql({ sql: statement, ...(params && { params }) });
    assert.equal(answer.status, 200, answer.text);
    return answer.body.rows;
  };

  before(async () => {
    tmp = await tempDir();
    const config = buildConfig({
      dataDir: join(tmp.dir, 'data'),
      server: { port: 0 },
      cold: { rollRows: 1000, rollInterval: '1s' },
      contracts: { unknown: 'accept' },
      probe: { interval: '0s' },
      aggregations: [{ name: 'page-views', match: { type: 'page_view' }, groupBy: 'payload.page', windows: ['1h'] }],
      quality: { rules: [{ name: 'known-pages', match: { type: 'page_view' }, severity: 'error', check: 'regex', field: 'payload.page', pattern: '^/[ab]$' }] },
      lifecycle: { interval: '1h', tables: { events: { hotRetention: '2d' }, 'page-views': { hotRetention: '2d' }, dead_letters: { hotRetention: '2d' } } },
      sql: { statementTimeout: '5s', maxRows: 1000 },
      // This test sends statements faster than the default limit of POST /v1/sql (50 a second).
      rateLimits: { routes: { 'POST /v1/sql': 0 } },
    });
    platform = await startPlatform(config, pino({ level: 'silent' }), { clock: () => now });
    const old = OLD_DAYS.flatMap((day, d) => Array.from({ length: 10 }, (_, i) => pageView(`d${d}-${i}`, day + 3_600_000 + i * 60_000, i === 9 ? '/nope' : i % 2 ? '/a' : '/b', `u${i % 2}`)));
    const fresh = Array.from({ length: 10 }, (_, i) => pageView(`f${i}`, now - 600_000 + i * 1000, i === 9 ? '/nope' : i % 2 ? '/a' : '/b', `u${i % 2}`));
    assert.equal((await postEvents(platform.url, [...old, ...fresh])).body.accepted, 40);
    await waitForBacklogZero(platform.url);
    // The old days' events and windows are in the tables; then they leave the hot store.
    await eventually(async () => {
      const tables = (await getJson(`${platform.url}/v1/tables`)).body.tables as Array<{ name: string; records: number }>;
      return tables.find((t) => t.name === 'events')?.records === 36 && (tables.find((t) => t.name === 'page_views')?.records ?? 0) > 0;
    }, 'the events and the closed windows exported');
    const report = await runLifecycle(platform.url);
    assert.ok(report.jobs['hot-retention'].rows > 0, JSON.stringify(report));
  });
  after(async () => {
    await platform?.stop();
    await tmp?.cleanup();
  });

  it('reads each event once across the hot store and the cold tables', async () => {
    const recent = await getJson(`${platform.url}/v1/events/recent?limit=100`);
    assert.equal(recent.status, 200, JSON.stringify(recent.body));
    const hot = recent.body.events as unknown[];
    assert.equal(hot.length, 9, 'only the fresh events are still hot');
    // The fresh events are in the table too (exported), and count once.
    assert.deepEqual(await rows('SELECT count(*), count(DISTINCT id), count(DISTINCT log_pos) FROM events'), [[36, 36, 36]]);
    const perDay = await rows("SELECT strftime(event_time, '%Y-%m-%d') AS day, count(*) FROM events GROUP BY day ORDER BY day");
    assert.deepEqual(perDay, [...OLD_DAYS.map((d) => [iso(d).slice(0, 10), 9]), [iso(now - 600_000).slice(0, 10), 9]]);
  });

  it('reads the windows of an aggregation once, the hot ones as the REST API has them', async () => {
    assert.deepEqual(await rows('SELECT sum(count)::BIGINT, count(*), count(DISTINCT (window_size, window_start, group_key)) FROM page_views'), [[36, 8, 8]]);
    const rest = (await getJson(`${platform.url}/v1/aggregates/page-views?limit=1000`)).body.windows as Array<{ window_start: number; page: string; count: number; final: boolean }>;
    const fromSql = await rows('SELECT window_start, group_key, count, final FROM page_views WHERE window_start >= $since ORDER BY window_start, group_key', { since: now - DAY });
    assert.deepEqual(fromSql, rest.map((w) => [w.window_start, w.page, w.count, w.final]).sort((a, b) => Number(a[0]) - Number(b[0]) || String(a[1]).localeCompare(String(b[1]))));
  });

  it('reads the dead letters once, those moved to the table included', async () => {
    assert.deepEqual(await rows("SELECT count(*), count(DISTINCT dlq_pos), count(*) FILTER (WHERE code = 'SL_QUALITY_FAILED') FROM dead_letters"), [[4, 4, 4]]);
  });

  it('opens only the files of the days a statement bounds its time column to', async () => {
    const all = await sql({ sql: 'SELECT count(*) FROM events' });
    const files = all.body.stats.cold_files as number;
    assert.ok(files >= 4, `every day's file: ${files}`);
    const oneDay = await sql({ sql: `SELECT count(*) FROM events WHERE event_time >= TIMESTAMP '${iso(OLD_DAYS[1]!).slice(0, 10)}' AND event_time < TIMESTAMP '${iso(OLD_DAYS[2]!).slice(0, 10)}'` });
    assert.deepEqual(oneDay.body.rows, [[9]]);
    assert.equal(oneDay.body.stats.cold_files, 1, 'one day, one file');
    // The same bounds as typed parameters on the millisecond column, and with BETWEEN.
    const byParams = await sql({ sql: 'SELECT count(*) FROM events e WHERE e.timestamp >= $1 AND $2 > e.timestamp', params: [{ type: 'BIGINT', value: OLD_DAYS[1] }, { type: 'BIGINT', value: OLD_DAYS[2] }] });
    assert.deepEqual(byParams.body.rows, [[9]]);
    assert.equal(byParams.body.stats.cold_files, 1);
    const between = await sql({ sql: 'SELECT count(*) FROM events WHERE event_time BETWEEN $from AND $to', params: { from: { type: 'TIMESTAMP', value: iso(OLD_DAYS[1]!) }, to: { type: 'TIMESTAMP', value: iso(OLD_DAYS[2]! - 1) } } });
    assert.deepEqual(between.body.rows, [[9]]);
    assert.equal(between.body.stats.cold_files, 1);
    // A bound under OR says nothing certain: every file is read, and the answer is still right.
    const either = await sql({ sql: `SELECT count(*) FROM events WHERE event_time >= TIMESTAMP '${iso(OLD_DAYS[2]!).slice(0, 10)}' OR id = 'd0-1'` });
    assert.deepEqual(either.body.rows, [[19]]);
    assert.equal(either.body.stats.cold_files, files);
    const metrics = await (await fetch(`${platform.url}/metrics`)).text();
    assert.match(metrics, /^sightline_sql_cold_files_read_total [1-9]/m);
  });

  it('refuses anything but a SELECT over the views, with SL_SQL_NOT_ALLOWED', async () => {
    const refused = [
      'DELETE FROM events',
      "INSERT INTO events SELECT * FROM events",
      'UPDATE events SET late = true',
      'CREATE TABLE x AS SELECT 1',
      'DROP VIEW events',
      "ATTACH '/tmp/x.duckdb' AS x",
      "COPY (SELECT 1) TO '/tmp/x.csv'",
      "SET enable_external_access = true",
      'PRAGMA database_list',
      'INSTALL httpfs',
      'LOAD httpfs',
      'CHECKPOINT',
      "SELECT * FROM read_text('/etc/passwd')",
      "SELECT * FROM read_csv('/etc/passwd')",
      "SELECT * FROM read_parquet('x.parquet')",
      "SELECT * FROM glob('/*')",
      "SELECT * FROM query('SELECT 1')",
      'SELECT * FROM duckdb_settings()',
      "SELECT current_setting('temp_directory')",
      "SELECT nextval('s')",
      'SELECT 1; SELECT 2',
    ];
    for (const statement of refused) {
      const answer = await sql({ sql: statement });
      assert.equal(answer.status, 400, `${statement}: ${answer.text}`);
      assert.equal(answer.body.code, 'SL_SQL_NOT_ALLOWED', `${statement}: ${answer.text}`);
    }
    // A name that is no view (the hot store's own tables, a file) is not found: a statement that
    // reads no view runs on the catalog, which holds the views' names and no row.
    for (const statement of ['SELECT * FROM sl_offsets', 'SELECT * FROM main.sl_offsets', "SELECT * FROM '/etc/passwd'", 'WITH sl_offsets AS (SELECT 1) SELECT * FROM (SELECT 2), (SELECT * FROM sl_cold_exports)']) {
      const answer = await sql({ sql: statement });
      assert.equal(answer.body.code, 'SL_SQL_INVALID', `${statement}: ${answer.text}`);
    }
    assert.equal((await sql({ sql: 'SELEC 1' })).body.code, 'SL_SQL_INVALID');
    // A view with a catalog table in one statement is refused.
    assert.equal((await sql({ sql: 'SELECT * FROM events, pg_catalog.pg_class' })).body.code, 'SL_SQL_NOT_ALLOWED');
    // The catalog lists the views and nothing of the hot store.
    const tables = await rows("SELECT table_name FROM information_schema.tables WHERE table_catalog = 'sightline' ORDER BY 1");
    assert.deepEqual(tables, [['dead_letters'], ['events'], ['page_views']]);
    // The data is as it was.
    assert.deepEqual(await rows('SELECT count(*) FROM events'), [[36]]);
  });

  it('takes named and positional typed parameters, and refuses missing or mistyped ones', async () => {
    assert.deepEqual(await rows('SELECT count(*) FROM events WHERE user_id = $user AND late = $late', { user: 'u0', late: false }), [[20]]);
    const missing = await sql({ sql: 'SELECT count(*) FROM events WHERE user_id = $user' });
    assert.equal(missing.body.code, 'SL_SQL_PARAMS_INVALID', missing.text);
    const extra = await sql({ sql: 'SELECT 1', params: { unused: 1 } });
    assert.equal(extra.body.code, 'SL_SQL_PARAMS_INVALID', extra.text);
    const mistyped = await sql({ sql: 'SELECT $t', params: { t: { type: 'TIMESTAMP', value: 'yesterday' } } });
    assert.equal(mistyped.body.code, 'SL_SQL_PARAMS_INVALID', mistyped.text);
    const badType = await sql({ sql: 'SELECT $t', params: { t: { type: 'BLOB', value: 'x' } } });
    assert.equal(badType.status, 400);
  });

  it('answers CSV, NDJSON and Arrow IPC by Accept, the same rows as JSON', { skip: pyarrowSkipReason() }, async () => {
    const statement = { sql: 'SELECT id, timestamp, event_time, late, payload FROM events ORDER BY log_pos LIMIT 5' };
    const json = (await sql(statement)).body;
    const csv = await sql(statement, { accept: 'text/csv' });
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-type')!, /^text\/csv/);
    const lines = csv.text.trim().split('\n');
    assert.equal(lines[0], 'id,timestamp,event_time,late,payload');
    assert.equal(lines.length, 6);
    assert.ok(lines[1]!.startsWith(`${json.rows[0][0]},${json.rows[0][1]},${json.rows[0][2]},false,`), lines[1]);
    const ndjson = await sql(statement, { accept: 'application/x-ndjson' });
    assert.deepEqual(
      ndjson.text.trim().split('\n').map((l) => JSON.parse(l)),
      json.rows.map((r: unknown[]) => Object.fromEntries(json.columns.map((c: { name: string }, i: number) => [c.name, r[i]]))),
    );
    const arrow = await fetch(`${platform.url}/v1/sql`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/vnd.apache.arrow.stream' }, body: JSON.stringify(statement) });
    assert.equal(arrow.status, 200);
    const read = spawnSync('python3', ['-c', 'import sys, json, pyarrow.ipc as ipc; t = ipc.open_stream(sys.stdin.buffer).read_all(); print(json.dumps({"schema": [str(f.type) for f in t.schema], "rows": [[str(v) for v in r.values()] for r in t.to_pylist()]}))'], {
      input: Buffer.from(await arrow.arrayBuffer()),
      encoding: 'utf8',
    });
    assert.equal(read.status, 0, read.stderr);
    const fromArrow = JSON.parse(read.stdout) as { schema: string[]; rows: string[][] };
    assert.deepEqual(fromArrow.schema, ['string', 'int64', 'timestamp[us]', 'bool', 'string']);
    assert.deepEqual(fromArrow.rows.map((r) => r[0]), json.rows.map((r: unknown[]) => r[0]));
    assert.deepEqual(fromArrow.rows.map((r) => Number(r[1])), json.rows.map((r: unknown[]) => r[1]));
    assert.equal((await sql(statement, { accept: 'image/png' })).status, 406);
  });

  it('refuses a result past its row cap, a statement past its timeout and one past the memory cap, while ingestion goes on', async () => {
    const capped = await sql({ sql: 'SELECT * FROM range(100)', max_rows: 10 });
    assert.equal(capped.status, 422);
    assert.equal(capped.body.code, 'SL_SQL_TOO_MANY_ROWS');
    // Streamed, the rows so far are sent; the last NDJSON line says why it stopped.
    const streamed = await fetch(`${platform.url}/v1/sql`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/x-ndjson' }, body: JSON.stringify({ sql: 'SELECT * FROM range(5000)', max_rows: 3000 }) });
    const text = await streamed.text();
    const lines = text.trim().split('\n');
    assert.equal(JSON.parse(lines.pop()!).error?.code, 'SL_SQL_TOO_MANY_ROWS', text.slice(-300));
    // sql.maxRows (1000) caps max_rows: the first chunk of rows (2048) is already past it.
    assert.equal(lines.length, 0, `${lines.length} rows before it`);

    const runaway = sql({ sql: 'SELECT count(*) FROM range(100000) a, range(100000) b WHERE a.range + b.range = -1' });
    // Meanwhile events are accepted and processed.
    const during = Array.from({ length: 5 }, (_, i) => pageView(`during${i}`, now - 1000 + i, '/a'));
    assert.equal((await postEvents(platform.url, during)).body.accepted, 5);
    await waitForBacklogZero(platform.url);
    const answer = await runaway;
    assert.equal(answer.status, 422, answer.text);
    assert.equal(answer.body.code, 'SL_SQL_TIMEOUT');
    assert.deepEqual(await rows("SELECT count(*) FROM events WHERE id LIKE 'during%'"), [[5]]);
    // A statement that needs more memory than DuckDB may use fails alone; the store takes events after it.
    const hungry = await sql({ sql: 'SELECT len(list(repeat(range::VARCHAR, 1000000))) FROM range(2000)' });
    assert.equal(hungry.status, 422, hungry.text);
    assert.equal(hungry.body.code, 'SL_SQL_MEMORY_LIMIT');
    assert.equal((await postEvents(platform.url, [pageView('after-oom', now - 500, '/a')])).body.accepted, 1);
    await waitForBacklogZero(platform.url);
    assert.deepEqual(await rows("SELECT count(*) FROM events WHERE id = 'after-oom'"), [[1]]);
  });

  it('reads only the views a key may read, and audits each statement by its digest, never a value', async () => {
    const create = await fetch(`${platform.url}/v1/keys`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'events-only', grants: [{ scope: 'query:read', resources: ['events'] }] }) });
    assert.equal(create.status, 201, await create.clone().text());
    const { token } = (await create.json()) as { token: string };
    const bearer = { authorization: `Bearer ${token}` };
    assert.equal((await sql({ sql: "SELECT count(*) FROM events WHERE user_id = 'u-secret'" }, bearer)).status, 200);
    for (const view of ['page_views', 'dead_letters']) {
      const refused = await sql({ sql: `SELECT count(*) FROM ${view}` }, bearer);
      assert.equal(refused.status, 403, refused.text);
      assert.equal(refused.body.code, 'SL_AUTH_FORBIDDEN');
    }
    const audit = (await getJson(`${platform.url}/v1/audit?action=sql.query&limit=1000`)).body.entries as Array<{ target: string; outcome: string; actor: string }>;
    assert.ok(audit.length > 10);
    assert.ok(audit.every((e) => /^statement ([0-9a-f]{16}|\(did not parse\))$/.test(e.target)), JSON.stringify(audit.slice(0, 3)));
    assert.ok(!JSON.stringify(audit).includes('u-secret'));
    // One digest for one shape, whatever its constants.
    const a = await sql({ sql: "SELECT count(*) FROM events WHERE user_id = 'x'" });
    const b = await sql({ sql: "SELECT count(*) FROM events WHERE user_id = 'y'" });
    assert.equal(a.status, 200);
    assert.equal(b.status, 200);
    const latest = (await getJson(`${platform.url}/v1/audit?action=sql.query&limit=1000`)).body.entries as Array<{ target: string }>;
    // Newest first.
    assert.equal(latest[0]!.target, latest[1]!.target);
  });
});
