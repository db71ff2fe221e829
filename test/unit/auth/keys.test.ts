import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { checkSecret, hashSecret, parseToken } from '../../../src/auth/api-key.js';
import { type Authentication, KeyStore } from '../../../src/auth/key-store.js';
import { openKeyTable } from '../../../src/auth/key-table.js';
import { allows, matchesPattern, parseGrant } from '../../../src/auth/scopes.js';
import { EmbeddedLog } from '../../../src/log/embedded/embedded-log.js';
import { tempDir } from '../../helpers/tmp.js';

const keyOf = (outcome: Authentication) => ('principal' in outcome ? outcome.principal.keyId : outcome.failure);

describe('scopes and grants', () => {
  it('match resources by glob, and a limited grant never covers every resource', () => {
    assert.ok(matchesPattern('web.*', 'web.page_view'));
    assert.ok(!matchesPattern('web.*', 'webshop.order'));
    assert.ok(!matchesPattern('web.page_view', 'web.page_viewX'));
    assert.ok(matchesPattern('aggregates/*', 'aggregates/page-views'));
    assert.ok(!matchesPattern('a.c', 'abc'), 'a dot is a dot');
    const grants = [parseGrant('ingest:write=web.*,mobile.app_open'), parseGrant('query:read')];
    assert.ok(allows(grants, 'ingest:write', 'web.click'));
    assert.ok(allows(grants, 'ingest:write', 'mobile.app_open'));
    assert.ok(!allows(grants, 'ingest:write', 'mobile.crash'));
    assert.ok(!allows(grants, 'ingest:write'), 'not on every subject');
    assert.ok(allows(grants, 'query:read', 'events') && allows(grants, 'query:read'));
    assert.ok(!allows(grants, 'registry:write', 'web.click'));
    assert.ok(allows([{ scope: 'admin' }], 'dlq:replay'));
  });

  it('refuse unknown scopes, resources on scopes that take none, and patterns with other characters', () => {
    assert.throws(() => parseGrant('ingest:delete'), { code: 'SL_KEY_REQUEST_INVALID' });
    assert.throws(() => parseGrant('dlq:read=web.*'), { code: 'SL_KEY_REQUEST_INVALID' });
    assert.throws(() => parseGrant('ingest:write=web.(a|b)'), { code: 'SL_KEY_REQUEST_INVALID' });
    assert.throws(() => parseGrant('ingest:write='), { code: 'SL_KEY_REQUEST_INVALID' });
  });
});

describe('API key secrets', () => {
  const now = Date.UTC(2026, 11, 7);
  const record = (over: object = {}) => ({
    kind: 'key' as const,
    id: '0123456789abcdef',
    name: 'k',
    grants: [],
    hash: hashSecret('s3cret'),
    createdAt: now - 1000,
    createdBy: 'test',
    expiresAt: null,
    revokedAt: null,
    rotatedAt: null,
    previous: null,
    ...over,
  });

  it('say expired or revoked only to a caller holding the secret', () => {
    assert.equal(checkSecret(record(), 's3cret', now), 'ok');
    assert.equal(checkSecret(record(), 'wrong', now), 'invalid');
    assert.equal(checkSecret(undefined, 's3cret', now), 'invalid');
    assert.equal(checkSecret(record({ expiresAt: now }), 's3cret', now), 'expired');
    assert.equal(checkSecret(record({ expiresAt: now }), 'wrong', now), 'invalid');
    assert.equal(checkSecret(record({ revokedAt: now - 1 }), 's3cret', now), 'revoked');
    assert.equal(checkSecret(record({ revokedAt: now - 1 }), 'wrong', now), 'invalid');
  });

  it('accept the secret a rotation replaced until its grace ends', () => {
    const rotated = record({ hash: hashSecret('new'), previous: { hash: hashSecret('s3cret'), until: now + 1 } });
    assert.equal(checkSecret(rotated, 'new', now), 'ok');
    assert.equal(checkSecret(rotated, 's3cret', now), 'ok');
    assert.equal(checkSecret(rotated, 's3cret', now + 1), 'revoked');
  });

  it('take only tokens of their own form', () => {
    assert.equal(parseToken('slk_0123456789abcdef_' + 'A'.repeat(43))?.id, '0123456789abcdef');
    for (const bad of ['', 'slk_0123456789abcdef_short', 'Bearer x', 'slk_0123456789ABCDEF_' + 'A'.repeat(43), 'slk_0123456789abcdef_' + 'A'.repeat(44)]) assert.equal(parseToken(bad), undefined, bad);
  });
});

describe('the key store on the _keys table of the embedded log', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let log: EmbeddedLog;
  let clock = Date.UTC(2026, 11, 7);
  const open = async () => KeyStore.open(await openKeyTable(log, false), () => clock);
  /** Closed after each test, passed or not: an open store follows the log for ever. */
  const stores: KeyStore[] = [];
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
  });

  before(async () => {
    dir = await tempDir();
    log = await EmbeddedLog.open({ dir: join(dir.dir, 'log'), segmentBytes: 1 << 20, maxRecordBytes: 1 << 20 });
  });
  after(async () => {
    await log.close();
    await dir.cleanup();
  });

  it('makes an admin key at first start only, and keeps no secret anywhere', async () => {
    const store = await open();
    stores.push(store);
    const admin = await store.bootstrapAdmin();
    assert.ok(admin);
    assert.equal(keyOf(store.authenticate(admin)), parseToken(admin)!.id);
    assert.equal(await store.bootstrapAdmin(), undefined, 'a key exists already');
    const { token } = await store.create({ name: 'web producer', grants: [{ scope: 'ingest:write', resources: ['web.*'] }], expiresAt: null }, parseToken(admin)!.id);
    // Another node (a second store on the same table) knows both keys, from the table alone.
    const peer = await open();
    stores.push(peer);
    assert.equal(keyOf(peer.authenticate(token)), parseToken(token)!.id);
    assert.deepEqual(peer.list().map((k) => k.name).sort(), ['admin (first start)', 'web producer']);
    assert.ok(log.stats().topics.some((t) => t.topic === '_keys'));
    for (const file of await listFiles(join(dir.dir, 'log', '_keys'))) {
      const bytes = await readFile(file, 'latin1');
      for (const t of [admin, token]) assert.ok(!bytes.includes(parseToken(t)!.secret), `no secret in ${file}`);
    }
  });

  it('rotates with a grace period, expires, and revokes on every node', async () => {
    const store = await open();
    const peer = await open();
    stores.push(store, peer);
    /** Another node follows the table within about a second: wait until it has what this one wrote. */
    const caughtUp = async () => {
      const deadline = Date.now() + 5000;
      while (JSON.stringify(peer.list()) !== JSON.stringify(store.list()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(peer.list(), store.list());
    };
    const { key, token } = await store.create({ name: 'k2', grants: [{ scope: 'query:read' }], expiresAt: clock + 60_000 }, 'test');
    const rotated = await store.rotate(key.id, 30_000);
    await caughtUp();
    assert.equal(keyOf(peer.authenticate(token)), key.id, 'the old secret, within the grace');
    assert.equal(keyOf(peer.authenticate(rotated.token)), key.id);
    clock += 30_000;
    assert.equal(keyOf(peer.authenticate(token)), 'SL_AUTH_REVOKED', 'the old secret, after the grace');
    clock += 30_000;
    assert.equal(keyOf(peer.authenticate(rotated.token)), 'SL_AUTH_EXPIRED');
    const other = await store.create({ name: 'k3', grants: [{ scope: 'dlq:read' }], expiresAt: null }, 'test');
    await store.revoke(other.key.id);
    await caughtUp();
    assert.equal(keyOf(peer.authenticate(other.token)), 'SL_AUTH_REVOKED');
    assert.equal(peer.get(other.key.id).state, 'revoked');
    await assert.rejects(store.rotate(other.key.id, 0), { code: 'SL_KEY_REQUEST_INVALID' });
    await assert.rejects(store.revoke('ffffffffffffffff'), { code: 'SL_KEY_NOT_FOUND' });
    await assert.rejects(store.create({ name: 'x', grants: [{ scope: 'root' }], expiresAt: null }, 'test'), { code: 'SL_KEY_REQUEST_INVALID' });
    await assert.rejects(store.create({ name: 'x', grants: [{ scope: 'admin' }], expiresAt: clock - 1 }, 'test'), { code: 'SL_KEY_REQUEST_INVALID' });
    // HTTP Basic as Confluent's clients send it: the key id and the secret (or the whole token).
    assert.equal(keyOf(peer.authenticateBasic(other.key.id, parseToken(other.token)!.secret)), 'SL_AUTH_REVOKED');
    const k4 = await store.create({ name: 'k4', grants: [{ scope: 'registry:read' }], expiresAt: null }, 'test');
    await caughtUp();
    assert.equal(keyOf(peer.authenticateBasic(k4.key.id, parseToken(k4.token)!.secret)), k4.key.id);
    assert.equal(keyOf(peer.authenticateBasic(k4.key.id, k4.token)), k4.key.id);
    assert.equal(keyOf(peer.authenticateBasic(key.id, parseToken(k4.token)!.secret)), 'SL_AUTH_INVALID', "another key's secret");
  });

  it('keeps node keys in memory only', async () => {
    const store = await open();
    stores.push(store);
    const token = store.nodeKey('probe', [{ scope: 'query:read', resources: ['events'] }]);
    assert.equal(keyOf(store.authenticate(token)), parseToken(token)!.id);
    assert.ok(!store.list().some((k) => k.id === parseToken(token)!.id), 'not listed');
    const peer = await open();
    stores.push(peer);
    assert.equal(keyOf(peer.authenticate(token)), 'SL_AUTH_INVALID', 'not on another node');
  });
});

async function listFiles(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}
