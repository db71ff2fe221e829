import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { loadConfigFile } from '../../src/config/config.js';
import { type RunningPlatform, startPlatform } from '../../src/platform/start-platform.js';
import { tempDir } from '../helpers/tmp.js';

const EXAMPLE_CONFIG = fileURLToPath(new URL('../../../examples/sightline.yaml', import.meta.url));
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];
/** A value for each path parameter: real where one exists, well-formed where it does not. */
const PARAMS: Record<string, string> = { subject: 'web.page_view', version: '1', id: '1', name: 'no_such_pipe' };
const ID_FOR: Array<[RegExp, string]> = [
  [/^\/v1\/keys\//, 'ffffffffffffffff'],
  [/^\/v1\/dlq\//, '0-0'],
  [/^\/v1\/events\//, 'no-such-event'],
];

interface Operation {
  method: string;
  path: string;
  url: string;
  scope: string;
  basic: boolean;
}

/**
 * Every operation of /openapi.json on a platform that requires keys (issue 17), with no key, a
 * malformed one, a wrong secret, an expired, a revoked key and one lacking the scope: 401 or 403
 * with its code every time; the admin key (and, on the registry, HTTP Basic) gets through.
 */
describe('access control on every route', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let platform: RunningPlatform;
  let admin: string;
  const keys: Record<string, { id: string; token: string }> = {};
  const operations: Operation[] = [];

  const call = (op: Pick<Operation, 'method' | 'url'>, authorization?: string) =>
    fetch(op.url, {
      method: op.method.toUpperCase(),
      headers: { ...(authorization !== undefined && { authorization }), ...(op.method !== 'get' && op.method !== 'delete' && { 'content-type': 'application/json' }) },
      ...(op.method !== 'get' && op.method !== 'delete' && { body: op.url.endsWith('/v1/events') ? '[]' : '{}' }),
    });
  const answer = async (op: Operation, authorization?: string) => {
    const response = await call(op, authorization);
    const body = (await response.json().catch(() => ({}))) as { code?: string; message?: string };
    return { status: response.status, code: body.code, message: body.message ?? '', challenge: response.headers.get('www-authenticate') };
  };
  const create = async (name: string, grants: object[], extra: object = {}) => {
    const response = await fetch(`${platform.url}/v1/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name, grants, ...extra }),
    });
    assert.equal(response.status, 201, await response.clone().text());
    const { key, token } = (await response.json()) as { key: { id: string }; token: string };
    keys[name] = { id: key.id, token };
  };

  before(async () => {
    tmp = await tempDir();
    const config = await loadConfigFile(EXAMPLE_CONFIG, { dataDir: join(tmp.dir, 'data'), server: { port: 0 }, probe: { interval: 0 }, auth: { required: true } });
    platform = await startPlatform(config, pino({ level: 'silent' }));
    admin = platform.firstAdminToken!;
    assert.match(admin, /^slk_[0-9a-f]{16}_/);
    await create('ops', [{ scope: 'ops:read' }]);
    await create('reader', [{ scope: 'query:read', resources: ['aggregates/*'] }]);
    await create('web', [{ scope: 'ingest:write', resources: ['web.*'] }]);
    await create('revoked', [{ scope: 'admin' }]);
    await create('expired', [{ scope: 'admin' }], { expires_at: new Date(Date.now() + 1500).toISOString() });
    const revoked = await fetch(`${platform.url}/v1/keys/${keys.revoked!.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${admin}` } });
    assert.equal(revoked.status, 200);
    const spec = (await (await fetch(`${platform.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, { description?: string; security?: Array<Record<string, unknown>> }>> };
    for (const [path, item] of Object.entries(spec.paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (!METHODS.includes(method) || !op.security) continue;
        const scope = /Needs scope `([a-z:]+)`/.exec(op.description ?? '')?.[1];
        assert.ok(scope, `${method.toUpperCase()} ${path} says which scope it needs`);
        const filled = path.replace(/\{(\w+)\}/g, (_, name: string) => (name === 'id' ? (ID_FOR.find(([re]) => re.test(path))?.[1] ?? PARAMS.id!) : PARAMS[name]!));
        operations.push({ method, path, url: `${platform.url}${filled}`, scope, basic: op.security.some((s) => 'basic' in s) });
      }
    }
    // Past the expired key's expiry.
    await new Promise((r) => setTimeout(r, 1600));
  });
  after(async () => {
    await platform?.stop();
    await tmp?.cleanup();
  });

  it('lists every route but health, readiness, the document and the page as needing a key', async () => {
    assert.ok(operations.length >= 40, `${operations.length} operations`);
    const spec = (await (await fetch(`${platform.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, { security?: unknown }>> };
    const open = Object.entries(spec.paths).flatMap(([path, item]) => Object.entries(item).filter(([m, op]) => METHODS.includes(m) && !op.security).map(([m]) => `${m} ${path}`));
    assert.deepEqual(open.sort(), ['get /healthz', 'get /readyz']);
    for (const path of ['/healthz', '/readyz', '/openapi.json', '/ui']) assert.notEqual((await fetch(`${platform.url}${path}`)).status, 401, path);
  });

  it('answers 401 with a code and a challenge to no key, a malformed one, a wrong secret, an expired and a revoked key', async () => {
    const [, id] = /^slk_([0-9a-f]{16})_/.exec(admin)!;
    const wrongSecret = `Bearer slk_${id}_${'x'.repeat(43)}`;
    for (const op of operations) {
      const where = `${op.method.toUpperCase()} ${op.path}`;
      for (const [authorization, code] of [
        [undefined, 'SL_AUTH_MISSING'],
        ['Bearer', 'SL_AUTH_INVALID'],
        ['Bearer not-a-key', 'SL_AUTH_INVALID'],
        [`Basic ${Buffer.from(`${id}:nope`).toString('base64')}`, 'SL_AUTH_INVALID'],
        [wrongSecret, 'SL_AUTH_INVALID'],
        [`Bearer ${keys.expired!.token}`, 'SL_AUTH_EXPIRED'],
        [`Bearer ${keys.revoked!.token}`, 'SL_AUTH_REVOKED'],
      ] as const) {
        const got = await answer(op, authorization);
        assert.equal(got.status, 401, `${where} with ${authorization ?? 'no key'}`);
        assert.equal(got.code, code, `${where} with ${authorization ?? 'no key'}`);
        assert.match(got.challenge ?? '', op.basic ? /^Bearer realm="sightline", Basic/ : /^Bearer realm="sightline"$/, where);
      }
    }
  });

  it('answers 403 naming the scope to a key without it, and lets the admin key through', async () => {
    for (const op of operations) {
      const where = `${op.method.toUpperCase()} ${op.path}`;
      const lacking = op.scope === 'ops:read' ? keys.web! : keys.ops!;
      const refused = await answer(op, `Bearer ${lacking.token}`);
      assert.equal(refused.status, 403, where);
      assert.equal(refused.code, 'SL_AUTH_FORBIDDEN', where);
      assert.ok(refused.message.includes(op.scope), `${where}: "${refused.message}" names ${op.scope}`);
      const allowed = await answer(op, `Bearer ${admin}`);
      assert.ok(allowed.status !== 401 && allowed.status !== 403, `${where} with the admin key: ${allowed.status} ${allowed.code}`);
      if (op.basic) {
        const [, id, secret] = /^slk_([0-9a-f]{16})_(.+)$/.exec(admin)!;
        const basic = await answer(op, `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`);
        assert.ok(basic.status !== 401 && basic.status !== 403, `${where} with HTTP Basic: ${basic.status}`);
      }
    }
  });

  it('lets no random credential in', async () => {
    const [, adminId] = /^slk_([0-9a-f]{16})_/.exec(admin)!;
    const ids = [adminId!, ...Object.values(keys).map((k) => k.id), 'ffffffffffffffff'];
    const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)]!;
    const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(Math.random() * 256)));
    const secret = () => bytes(32).toString('base64url');
    const makers: Array<() => string> = [
      () => `Bearer ${bytes(1 + Math.floor(Math.random() * 80)).toString('base64')}`,
      () => `Bearer slk_${pick(ids)}_${secret()}`,
      () => `bearer slk_${pick(ids)}_${secret()}`,
      () => `Bearer slk_${pick(ids)}_${secret().slice(0, 42)}`,
      () => `Bearer ${admin.slice(0, -1)}${admin.endsWith('A') ? 'B' : 'A'}`,
      () => `Bearer ${admin} `.repeat(2).trim(),
      () => `Basic ${Buffer.from(`${pick(ids)}:${secret()}`).toString('base64')}`,
      () => `Basic ${bytes(24).toString('base64')}`,
      () => `Basic ${Buffer.from(`${pick(ids)}:slk_${pick(ids)}_${secret()}`).toString('base64')}`,
      () => `Digest username="${pick(ids)}"`,
      () => bytes(40).toString('latin1').replace(/[^\x20-\x7e]/g, 'x'),
    ];
    let tried = 0;
    for (let i = 0; i < 600; i++) {
      const op = pick(operations);
      const authorization = pick(makers)();
      const got = await answer(op, authorization);
      assert.equal(got.status, 401, `${op.method.toUpperCase()} ${op.path} let ${JSON.stringify(authorization)} in: ${got.status} ${got.code}`);
      assert.match(got.code ?? '', /^SL_AUTH_(INVALID|MISSING)$/);
      tried++;
    }
    assert.equal(tried, 600);
  });

  it('holds a key to the resources of its grant: subjects it may write, datasets it may read', async () => {
    const post = (events: object[], token: string) =>
      fetch(`${platform.url}/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(events) });
    const event = (id: string, source: string) => ({ id, source, type: 'page_view', timestamp: Date.now(), payload: { user_id: 'u1', page: '/' } });
    assert.equal((await post([event('w1', 'web')], keys.web!.token)).status, 200);
    const mixed = await post([event('w2', 'web'), event('m1', 'mobile')], keys.web!.token);
    assert.equal(mixed.status, 403);
    assert.match(((await mixed.json()) as { message: string }).message, /ingest:write on "mobile\.page_view"/);
    const get = (path: string, token: string) => fetch(`${platform.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal((await get('/v1/aggregates/page-views', keys.reader!.token)).status, 200);
    assert.equal((await get('/v1/events/recent', keys.reader!.token)).status, 403, 'events are not in aggregates/*');
    assert.equal((await get('/v1/keys', keys.reader!.token)).status, 403, 'only admin manages keys');
  });
});
