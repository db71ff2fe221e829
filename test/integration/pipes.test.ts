import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { buildConfig, type SightlineConfig } from '../../src/config/config.js';
import { type RunningPlatform, startPlatform } from '../../src/platform/start-platform.js';
import { pageView } from '../helpers/events.js';
import { tempDir } from '../helpers/tmp.js';

const MINUTE = 60_000;
const BASE = Math.floor((Date.now() - 40 * MINUTE) / MINUTE) * MINUTE;
const TOP_PAGES_SQL = `SELECT group_key AS page, sum(count)::BIGINT AS views
FROM page_views
WHERE window_size = '1m' AND window_start_time >= $from AND window_start_time < $to
GROUP BY page ORDER BY views DESC, page`;

/**
 * Pipes end to end on a platform with keys required: one from the config and others through the
 * API, served at their own paths with typed parameters and paging, versioned with BACKWARD
 * compatibility, read with the rights checked at definition, in /openapi.json as they change,
 * audited, cached until a window they read changes, and kept across a restart.
 */
describe('pipes', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let platform: RunningPlatform;
  let config: SightlineConfig;
  let admin: string;
  let seq = 0;

  const call = async (method: string, path: string, options: { token?: string; body?: unknown; accept?: string } = {}) => {
    const response = await fetch(`${platform.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${options.token ?? admin}`,
        ...(options.body !== undefined && { 'content-type': 'application/json' }),
        ...(options.accept && { accept: options.accept }),
      },
      ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
    });
    const text = await response.text();
    let body: any = text;
    try {
      body = JSON.parse(text);
    } catch {
      // CSV, NDJSON
    }
    return { status: response.status, body, headers: response.headers };
  };
  const key = async (name: string, grants: object[]): Promise<string> => {
    const created = await call('POST', '/v1/keys', { body: { name, grants } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return created.body.token;
  };
  const write = async (minute: number, pages: string[]): Promise<void> => {
    const events = pages.map((page) => pageView(`p${seq++}`, BASE + minute * MINUTE + (seq % 50) * 1000, page));
    const sent = await call('POST', '/v1/events', { body: events });
    assert.equal(sent.body.accepted, pages.length, JSON.stringify(sent.body));
    const deadline = Date.now() + 20_000;
    for (;;) {
      const status = await call('GET', '/v1/status');
      if (status.body.processor?.backlog === 0) break;
      if (Date.now() > deadline) throw new Error('processing did not catch up');
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const truth = async (from: number, to: number): Promise<Array<[string, number]>> => {
    const r = await call('POST', '/v1/sql', { body: { sql: TOP_PAGES_SQL, params: { from: { type: 'TIMESTAMP', value: from }, to: { type: 'TIMESTAMP', value: to } } } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.rows;
  };
  const cacheCount = async (result: 'hit' | 'miss'): Promise<number> => {
    const text = (await call('GET', '/metrics')).body as string;
    return Number(new RegExp(`^sightline_cache_requests_total\\{cache="pipes",result="${result}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? Number.NaN);
  };
  const range = (from: number, to: number) => `from=${new Date(BASE + from * MINUTE).toISOString()}&to=${BASE + to * MINUTE}`;

  before(async () => {
    tmp = await tempDir();
    const sqlFile = join(tmp.dir, 'top_pages.sql');
    await writeFile(sqlFile, TOP_PAGES_SQL);
    config = buildConfig({
      dataDir: join(tmp.dir, 'data'),
      server: { port: 0 },
      auth: { required: true },
      contracts: { unknown: 'accept' },
      probe: { interval: '0s' },
      // Long enough that no window read here becomes final during the test: a window becoming final is a change to it.
      process: { allowedLateness: '1h' },
      rateLimits: { routes: { 'POST /v1/sql': 0 } },
      aggregations: [{ name: 'page-views', match: { type: 'page_view' }, groupBy: 'payload.page', windows: ['1m'] }],
      pipes: {
        top_pages: {
          description: 'The most viewed pages in a time range',
          path: sqlFile,
          params: { from: { type: 'TIMESTAMP', required: true }, to: { type: 'TIMESTAMP', default: '2100-01-01T00:00:00Z' } },
        },
      },
    });
    platform = await startPlatform(config, pino({ level: 'silent' }));
    admin = platform.firstAdminToken!;
    // 12 pages with distinct counts, in minutes 0 to 2.
    for (let minute = 0; minute < 3; minute++) await write(minute, Array.from({ length: 12 }, (_, i) => Array.from({ length: i + 1 }, () => `/p${i}`)).flat());
  });
  after(async () => {
    await platform?.stop();
    await tmp?.cleanup();
  });

  it('serves a pipe of the config at its own path, typed parameters bound, a page at a time', async () => {
    const expected = await truth(BASE, BASE + 3 * MINUTE);
    assert.equal(expected.length, 12);
    const rows: Array<[string, number]> = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await call('GET', `/v1/pipes/top_pages?${range(0, 3)}&limit=5${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(page.status, 200, JSON.stringify(page.body));
      assert.equal(page.body.version, 1);
      assert.deepEqual(page.body.columns, [{ name: 'page', type: 'VARCHAR' }, { name: 'views', type: 'BIGINT' }]);
      rows.push(...page.body.data.map((r: { page: string; views: number }) => [r.page, r.views]));
      cursor = page.body.next_cursor;
      pages++;
    } while (cursor);
    assert.equal(pages, 3);
    assert.deepEqual(rows, expected);
    // The default of `to`, and the answer as CSV with the cursor in a header.
    const csv = await call('GET', `/v1/pipes/top_pages?from=${BASE}&limit=2`, { accept: 'text/csv' });
    assert.equal(csv.status, 200);
    assert.equal(csv.body, `page,views\n${expected.slice(0, 2).map((r) => r.join(',')).join('\n')}\n`);
    assert.match(csv.headers.get('sightline-next-cursor') ?? '', /^v1\.2\./);
  });

  it('refuses bad parameters and cursors with their codes', async () => {
    const cases: Array<[string, number, string, RegExp]> = [
      ['', 400, 'SL_PIPE_PARAMS_INVALID', /from \(TIMESTAMP\) is required/],
      ['from=yesterday', 400, 'SL_PIPE_PARAMS_INVALID', /parameter from \(TIMESTAMP\)/],
      [`from=${BASE}&page=/p1`, 400, 'SL_PIPE_PARAMS_INVALID', /unknown parameter page; this pipe takes from, to, limit, cursor, version/],
      [`from=${BASE}&cursor=v1.5.00000000`, 400, 'SL_API_CURSOR_INVALID', /other parameters/],
      [`from=${BASE}&cursor=nope`, 400, 'SL_API_CURSOR_INVALID', /cursor/],
      [`from=${BASE}&version=9`, 404, 'SL_PIPE_NOT_FOUND', /no version 9/],
    ];
    for (const [query, status, code, message] of cases) {
      const r = await call('GET', `/v1/pipes/top_pages?${query}`);
      assert.equal(r.status, status, `${query}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.code, code, query);
      assert.match(r.body.message, message, query);
    }
    assert.equal((await call('GET', '/v1/pipes/nowhere?from=1')).body.code, 'SL_PIPE_NOT_FOUND');
  });

  it('checks a definition: its parameters against the statement, the statement against the views', async () => {
    const refused: Array<[object, string, RegExp]> = [
      [{ sql: 'SELECT * FROM page_views WHERE group_key = $page' }, 'SL_PIPE_INVALID', /uses \$page, not declared/],
      [{ sql: 'SELECT * FROM page_views', params: { page: { type: 'VARCHAR' } } }, 'SL_PIPE_INVALID', /declares page, which the statement does not use/],
      [{ sql: 'SELECT * FROM page_views WHERE group_key = $1' }, 'SL_PIPE_INVALID', /named/],
      [{ sql: 'SELECT * FROM nowhere' }, 'SL_PIPE_INVALID', /does not check/],
      [{ sql: 'DELETE FROM page_views' }, 'SL_PIPE_INVALID', /does not check/],
      [{ sql: 'SELECT 1 AS one' }, 'SL_PIPE_INVALID', /reads none of the views/],
      [{ sql: 'SELECT * FROM page_views LIMIT $limit', params: { limit: { type: 'BIGINT' } } }, 'SL_PIPE_INVALID', /every pipe's own/],
      [{ sql: 'SELECT * FROM page_views WHERE count > $n', params: { n: { type: 'BIGINT', default: 'many' } } }, 'SL_PIPE_INVALID', /not an integer/],
      [{ sql: 'SELECT * FROM page_views', params: { n: { type: 'TEXT' } } }, 'SL_API_BAD_REQUEST', /type/],
    ];
    for (const [body, code, message] of refused) {
      const r = await call('PUT', '/v1/pipes/bad_one', { body });
      assert.equal(r.body.code, code, JSON.stringify(body));
      assert.match(r.body.message, message, JSON.stringify(body));
    }
    assert.equal((await call('GET', '/v1/pipes/bad_one?x=1')).body.code, 'SL_PIPE_NOT_FOUND');
  });

  it('versions a pipe: the same definition again makes none, a compatible one the next, a breaking one is refused', async () => {
    const v1 = { sql: 'SELECT group_key AS page, count FROM page_views WHERE window_start_time >= $from ORDER BY window_start, page', params: { from: { type: 'TIMESTAMP', required: true } } };
    const made = await call('PUT', '/v1/pipes/windows', { body: v1 });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    assert.equal(made.body.pipe.version, 1);
    const again = await call('PUT', '/v1/pipes/windows', { body: v1 });
    assert.equal(again.status, 200);
    assert.deepEqual([again.body.created, again.body.pipe.version], [false, 1]);
    // An optional parameter and a column more: callers of version 1 keep working.
    const v2 = {
      sql: 'SELECT group_key AS page, count, final FROM page_views WHERE window_start_time >= $from AND ($page IS NULL OR group_key = $page) ORDER BY window_start, page',
      params: { ...v1.params, page: { type: 'VARCHAR' } },
    };
    const next = await call('PUT', '/v1/pipes/windows', { body: v2 });
    assert.equal(next.status, 201, JSON.stringify(next.body));
    assert.equal(next.body.pipe.version, 2);
    const breaking = await call('PUT', '/v1/pipes/windows', { body: { sql: 'SELECT group_key AS page FROM page_views WHERE window_start >= $from', params: { from: { type: 'BIGINT', required: true } } } });
    assert.equal(breaking.status, 409);
    assert.equal(breaking.body.code, 'SL_PIPE_INCOMPATIBLE');
    assert.match(breaking.body.message, /parameter from changes type from TIMESTAMP to BIGINT; parameter page is removed; column count is removed; column final is removed/);
    // The filter, the latest version by default, and version 1 on request.
    const filtered = await call('GET', `/v1/pipes/windows?from=${BASE}&page=/p3`);
    assert.equal(filtered.status, 200, JSON.stringify(filtered.body));
    assert.deepEqual(filtered.body.data.map((r: { page: string; count: number; final: boolean }) => [r.page, r.count]), [['/p3', 4], ['/p3', 4], ['/p3', 4]]);
    const old = await call('GET', `/v1/pipes/windows?from=${BASE}&version=1&limit=1`);
    assert.deepEqual([old.body.version, Object.keys(old.body.data[0])], [1, ['page', 'count']]);
    // A cursor goes on over the version its first page read, even past a new version.
    const first = await call('GET', `/v1/pipes/windows?from=${BASE}&limit=10`);
    const v3 = await call('PUT', '/v1/pipes/windows', { body: { ...v2, description: 'every window, a group at a time' } });
    assert.equal(v3.body.pipe.version, 3);
    const second = await call('GET', `/v1/pipes/windows?from=${BASE}&limit=10&cursor=${first.body.next_cursor}`);
    assert.equal(second.body.version, 2);
    assert.equal((await call('GET', '/v1/pipes/windows/versions')).body.versions.length, 3);
    // NONE lets a breaking version through.
    const forced = await call('PUT', '/v1/pipes/windows', { body: { sql: 'SELECT count(*) AS n FROM page_views', compatibility: 'NONE' } });
    assert.equal(forced.status, 201, JSON.stringify(forced.body));
    assert.equal(forced.body.pipe.version, 4);
    // One version withdrawn: callers naming it get 404, the others stay.
    assert.deepEqual((await call('DELETE', '/v1/pipes/windows/versions/1')).body, { name: 'windows', version: 1 });
    assert.equal((await call('GET', `/v1/pipes/windows?from=${BASE}&version=1`)).body.code, 'SL_PIPE_NOT_FOUND');
    assert.equal((await call('GET', `/v1/pipes/windows?from=${BASE}&version=2`)).status, 200);
    // The config's pipes are changed in the config only: the next start would undo the API's change.
    for (const [method, path] of [['PUT', '/v1/pipes/top_pages'], ['DELETE', '/v1/pipes/top_pages'], ['DELETE', '/v1/pipes/top_pages/versions/1']] as const) {
      const refused = await call(method, path, method === 'PUT' ? { body: { sql: TOP_PAGES_SQL } } : {});
      assert.deepEqual([refused.status, refused.body.code], [409, 'SL_PIPE_CONFIGURED'], `${method} ${path}`);
    }
  });

  it('reads with the rights checked at definition: a key may call a pipe over views it may not query itself', async () => {
    const reader = await key('top pages only', [{ scope: 'query:read', resources: ['pipes/top_pages'] }]);
    const called = await call('GET', `/v1/pipes/top_pages?from=${BASE}`, { token: reader });
    assert.equal(called.status, 200);
    assert.equal((await call('POST', '/v1/sql', { token: reader, body: { sql: 'SELECT * FROM page_views' } })).status, 403);
    assert.equal((await call('GET', `/v1/pipes/windows?from=${BASE}`, { token: reader })).body.code, 'SL_AUTH_FORBIDDEN');
    const listed = await call('GET', '/v1/pipes', { token: reader });
    assert.deepEqual(listed.body.pipes.map((p: { name: string }) => p.name), ['top_pages']);
    assert.equal(listed.body.pipes[0].sql, undefined, 'the statement is shown only to a key that may define the pipe');
    assert.equal((await call('GET', '/v1/pipes')).body.pipes[0].sql, TOP_PAGES_SQL);
    // Defining needs pipes:write on the name, and query:read on each view the statement reads.
    const author = await key('author', [{ scope: 'pipes:write', resources: ['team_*'] }, { scope: 'query:read', resources: ['aggregates/*'] }]);
    const body = { sql: 'SELECT count(*) AS n FROM events' };
    assert.equal((await call('PUT', '/v1/pipes/other', { token: author, body })).body.code, 'SL_AUTH_FORBIDDEN');
    const overEvents = await call('PUT', '/v1/pipes/team_events', { token: author, body });
    assert.equal(overEvents.status, 403);
    assert.match(overEvents.body.message, /may not read events/);
    assert.equal((await call('PUT', '/v1/pipes/team_windows', { token: author, body: { sql: 'SELECT count(*) AS n FROM page_views' } })).status, 201);
  });

  it('documents each pipe in /openapi.json as it is defined and deleted, and audits both', async () => {
    const document = async (token: string | null = admin) =>
      (await (await fetch(`${platform.url}/openapi.json`, { headers: token ? { authorization: `Bearer ${token}` } : {} })).json()) as { paths: Record<string, any> };
    // The document is public: a pipe is in it only for a caller who may call it.
    const reader = await key('top pages reader', [{ scope: 'query:read', resources: ['pipes/top_pages'] }]);
    assert.deepEqual(Object.keys((await document(null)).paths).filter((p) => p.startsWith('/v1/pipes/') && !p.includes('{')), []);
    assert.deepEqual(Object.keys((await document(reader)).paths).filter((p) => p.startsWith('/v1/pipes/') && !p.includes('{')), ['/v1/pipes/top_pages']);
    assert.deepEqual(Object.keys((await document('slk_0000000000000000_wrong')).paths).filter((p) => p.startsWith('/v1/pipes/') && !p.includes('{')), []);
    const top = (await document()).paths['/v1/pipes/top_pages'].get;
    assert.deepEqual(top.parameters.map((p: { name: string; required: boolean }) => `${p.name}${p.required ? '!' : ''}`), ['from!', 'to', 'limit', 'cursor', 'version']);
    assert.deepEqual(Object.keys(top.responses['200'].content['application/json'].schema.properties.data.items.properties), ['page', 'views']);
    assert.match(top.description, /Needs scope `query:read` on the dataset pipes\/top_pages/);
    const made = await call('PUT', '/v1/pipes/short_lived', { body: { sql: 'SELECT count(*) AS n FROM page_views' } });
    assert.equal(made.status, 201);
    assert.ok((await document()).paths['/v1/pipes/short_lived'], 'a new pipe is documented at once');
    const deleted = await call('DELETE', '/v1/pipes/short_lived');
    assert.deepEqual(deleted.body, { name: 'short_lived', through: 1 });
    assert.equal((await document()).paths['/v1/pipes/short_lived'], undefined);
    assert.equal((await call('GET', '/v1/pipes/short_lived')).status, 404);
    // Defined again, its versions go on after the deleted ones.
    assert.equal((await call('PUT', '/v1/pipes/short_lived', { body: { sql: 'SELECT count(*) AS n FROM page_views' } })).body.pipe.version, 2);
    const audit = (await call('GET', '/v1/audit?limit=1000')).body.entries as Array<{ action: string; target: string; outcome: string }>;
    const mine = audit.filter((e) => e.target === 'pipe short_lived').map((e) => `${e.action}:${e.outcome}`);
    assert.deepEqual(mine.sort(), ['pipe.define:ok', 'pipe.define:ok', 'pipe.delete:ok']);
  });

  it('caches pages of a pipe over aggregations until a window it read changes', async () => {
    const read = async () => (await call('GET', `/v1/pipes/top_pages?${range(0, 3)}`)).body.data.map((r: { page: string; views: number }) => [r.page, r.views]);
    const first = await read();
    const hits = await cacheCount('hit');
    assert.deepEqual(await read(), first);
    assert.equal(await cacheCount('hit'), hits + 1, 'the same page again is a hit');
    // A count into a window the page does not cover (minute 20) keeps it.
    await write(20, ['/p0']);
    assert.deepEqual(await read(), first);
    assert.equal(await cacheCount('hit'), hits + 2);
    // A count into a window it covers drops it: the next answer is the new truth.
    const misses = await cacheCount('miss');
    await write(1, ['/p0', '/p0', '/p0', '/p0', '/p0', '/p0', '/p0', '/p0', '/p0', '/p0', '/p0', '/p0', '/p0', '/p0']);
    const after = await read();
    assert.equal(await cacheCount('miss'), misses + 1);
    assert.deepEqual(after, await truth(BASE, BASE + 3 * MINUTE));
    assert.deepEqual(after.find((r: [string, number]) => r[0] === '/p0'), ['/p0', 3 + 14]);
    // A pipe that reads the clock answers otherwise with no data changing: never cached.
    assert.equal((await call('PUT', '/v1/pipes/last_hour', { body: { sql: "SELECT count(*) AS n FROM page_views WHERE window_start_time >= now() - INTERVAL '1 hour'" } })).status, 201);
    const [h, m] = [await cacheCount('hit'), await cacheCount('miss')];
    for (let i = 0; i < 3; i++) assert.equal((await call('GET', '/v1/pipes/last_hour')).status, 200);
    assert.deepEqual([await cacheCount('hit'), await cacheCount('miss')], [h, m]);
  });

  it('keeps its pipes and their versions across a restart', async () => {
    await platform.stop();
    platform = await startPlatform(config, pino({ level: 'silent' }));
    const versions = await call('GET', '/v1/pipes/windows/versions');
    assert.deepEqual(versions.body.versions.map((v: { version: number }) => v.version), [2, 3, 4]);
    // The config's pipe is unchanged: still version 1.
    assert.equal((await call('GET', '/v1/pipes/top_pages/versions')).body.versions.length, 1);
  });
});
