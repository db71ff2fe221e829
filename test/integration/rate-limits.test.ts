import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { buildConfig } from '../../src/config/config.js';
import { type RunningPlatform, startPlatform } from '../../src/platform/start-platform.js';
import { limitFor, type RateLimits } from '../../src/serve/rate-limits.js';
import { tempDir } from '../helpers/tmp.js';

const SQL_PER_SECOND = 5;

/**
 * Per-client rate limits: two clients (API keys) hit POST /v1/sql at once, one far over its
 * limit (429 SL_API_RATE_LIMITED with RateLimit-* headers and Retry-After) and one under it (never
 * refused), each counted apart; and statements at once per client (SL_SQL_TOO_MANY_CONCURRENT).
 */
describe('per-client rate limits', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let platform: RunningPlatform;
  const tokens: Record<string, string> = {};
  const ids: Record<string, string> = {};

  const sql = async (who: string, statement: string): Promise<Response> =>
    fetch(`${platform.url}/v1/sql`, { method: 'POST', headers: { authorization: `Bearer ${tokens[who]}`, 'content-type': 'application/json' }, body: JSON.stringify({ sql: statement }) });

  before(async () => {
    tmp = await tempDir();
    const config = buildConfig({
      dataDir: join(tmp.dir, 'data'),
      server: { port: 0 },
      auth: { required: true },
      probe: { interval: '0s' },
      rateLimits: { routes: { 'POST /v1/sql': SQL_PER_SECOND }, sqlConcurrent: 1 },
      sql: { statementTimeout: '3s' },
    });
    platform = await startPlatform(config, pino({ level: 'silent' }));
    for (const who of ['flooder', 'steady']) {
      const response = await fetch(`${platform.url}/v1/keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${platform.firstAdminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: who, grants: [{ scope: 'query:read' }] }),
      });
      const body = (await response.json()) as { key: { id: string }; token: string };
      tokens[who] = body.token;
      ids[who] = body.key.id;
    }
  });
  after(async () => {
    await platform?.stop();
    await tmp?.cleanup();
  });

  it('refuses the client over its limit with 429 and the headers, and never the one under it', async () => {
    const statuses = { flooder: new Map<number, number>(), steady: new Map<number, number>() };
    let refusal: Response | undefined;
    let allowed: Response | undefined;
    const until = Date.now() + 2500;
    const flood = async () => {
      while (Date.now() < until) {
        const r = await sql('flooder', 'SELECT 1');
        statuses.flooder.set(r.status, (statuses.flooder.get(r.status) ?? 0) + 1);
        if (r.status === 429) refusal ??= r;
        else await r.arrayBuffer();
      }
    };
    const steady = async () => {
      while (Date.now() < until) {
        const r = await sql('steady', 'SELECT 1');
        statuses.steady.set(r.status, (statuses.steady.get(r.status) ?? 0) + 1);
        if (r.status === 200) allowed ??= r;
        await r.arrayBuffer().catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, 400));
      }
    };
    await Promise.all([flood(), steady()]);
    const summary = JSON.stringify({ flooder: Object.fromEntries(statuses.flooder), steady: Object.fromEntries(statuses.steady) });
    assert.ok((statuses.flooder.get(429) ?? 0) > 0, summary);
    // At most the limit per second got through (three windows at most in 2.5 s).
    assert.ok((statuses.flooder.get(200) ?? 0) <= SQL_PER_SECOND * 4, summary);
    assert.deepEqual([...statuses.steady.keys()], [200], summary);
    const body = (await refusal!.json()) as { code: string };
    assert.equal(body.code, 'SL_API_RATE_LIMITED');
    assert.equal(refusal!.headers.get('ratelimit-limit'), String(SQL_PER_SECOND));
    assert.equal(refusal!.headers.get('ratelimit-remaining'), '0');
    assert.ok(Number(refusal!.headers.get('retry-after')) >= 1);
    assert.equal(allowed!.headers.get('ratelimit-limit'), String(SQL_PER_SECOND));
    const metrics = await (await fetch(`${platform.url}/metrics`, { headers: { authorization: `Bearer ${platform.firstAdminToken}` } })).text();
    assert.match(metrics, new RegExp(`sightline_api_rate_limited_total\\{client="${ids.flooder}",route="POST /v1/sql"\\} [1-9]`));
    assert.doesNotMatch(metrics, new RegExp(`sightline_api_rate_limited_total\\{client="${ids.steady}"`));
    assert.match(metrics, new RegExp(`sightline_api_client_requests_total\\{client="${ids.steady}"\\} [1-9]`));
  });

  it('runs as many statements of one client at once as its limit, and refuses one more', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const long = sql('flooder', 'SELECT count(*) FROM range(100000) a, range(100000) b WHERE a.range + b.range = -1');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const second = await sql('flooder', 'SELECT 1');
    assert.equal(second.status, 429);
    assert.equal(((await second.json()) as { code: string }).code, 'SL_SQL_TOO_MANY_CONCURRENT');
    // Another client is not held back by it.
    assert.equal((await sql('steady', 'SELECT 1')).status, 200);
    assert.equal((await long).status, 422, 'the long one ran to its timeout');
    assert.equal((await sql('flooder', 'SELECT 1')).status, 200, 'its slot is back');
  });

  it('takes a client\'s own limit for a route, then its own, then the route\'s, then the default', () => {
    const limits: RateLimits = { perSecond: 100, routes: { 'POST /v1/sql': 10 }, sqlConcurrent: 2, clients: { a: { perSecond: 50, routes: { 'POST /v1/sql': 3 } }, b: { perSecond: 7 } } };
    assert.equal(limitFor(limits, 'a', 'POST /v1/sql'), 3);
    assert.equal(limitFor(limits, 'a', 'GET /v1/status'), 50);
    assert.equal(limitFor(limits, 'b', 'POST /v1/sql'), 7);
    assert.equal(limitFor(limits, 'c', 'POST /v1/sql'), 10);
    assert.equal(limitFor(limits, 'c', 'GET /v1/status'), 100);
  });
});
