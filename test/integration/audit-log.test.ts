import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { loadConfigFile, type SightlineConfig } from '../../src/config/config.js';
import { type RunningPlatform, startPlatform } from '../../src/platform/start-platform.js';
import { pyarrowSkipReason, readColdStoreWithPyarrow } from '../helpers/pyarrow.js';
import { tempDir } from '../helpers/tmp.js';

const EXAMPLE_CONFIG = fileURLToPath(new URL('../../../examples/sightline.yaml', import.meta.url));

interface Entry {
  seq: number;
  actor: string;
  action: string;
  target: string;
  outcome: string;
  source: string | null;
  trace_id: string | null;
  detail: Record<string, unknown>;
}

/** The audit log (issue 17, item 4) through a platform that requires keys. */
describe('the audit log', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let config: SightlineConfig;
  let platform: RunningPlatform;
  let admin: string;
  const secrets: string[] = [];
  const call = async (method: string, path: string, body?: unknown, token = admin, extra: Record<string, string> = {}) => {
    const response = await fetch(`${platform.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }), ...extra },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json().catch(() => undefined)) as any };
  };
  const entries = async (query = '') => ((await call('GET', `/v1/audit?limit=1000${query}`)).body.entries as Entry[]).reverse();

  before(async () => {
    tmp = await tempDir();
    config = await loadConfigFile(EXAMPLE_CONFIG, { dataDir: join(tmp.dir, 'data'), server: { port: 0 }, probe: { interval: 0 }, auth: { required: true } });
    platform = await startPlatform(config, pino({ level: 'silent' }));
    admin = platform.firstAdminToken!;
    secrets.push(admin.slice(21));
  });
  after(async () => {
    await platform?.stop();
    await tmp?.cleanup();
  });

  it('records each sensitive action with its actor, target, outcome, address and trace, and no secret', async () => {
    const adminId = admin.slice(4, 20);
    const made = await call('POST', '/v1/keys', { name: 'web producer', grants: [{ scope: 'ingest:write', resources: ['web.*'] }] });
    secrets.push(made.body.token.slice(21));
    const id = made.body.key.id as string;
    const rotated = await call('POST', `/v1/keys/${id}/rotate`, { grace: '0s' });
    secrets.push(rotated.body.token.slice(21));
    assert.equal((await call('PUT', '/config/web.click', { compatibility: 'FULL' }, admin, {})).status, 200);
    const schema = { schema: JSON.stringify({ type: 'object' }), schemaType: 'JSON' };
    assert.equal((await call('POST', '/subjects/web.click/versions', schema, admin)).status, 200);
    assert.equal((await call('PUT', '/v1/contracts/web.click/versions/1/deprecation', {})).status, 200);
    assert.equal((await call('DELETE', '/v1/contracts/web.click/versions/1/deprecation')).status, 200);
    assert.equal((await call('DELETE', `/v1/keys/${id}`)).status, 200);
    assert.equal((await call('DELETE', '/v1/keys/ffffffffffffffff')).status, 404);
    // Refusals: a wrong key twelve times from one address is one entry (the rest folded into the next), a scope refused is another.
    for (let i = 0; i < 12; i++) assert.equal((await call('GET', '/v1/status', undefined, `slk_${adminId}_${'x'.repeat(43)}`)).status, 401);
    const ops = await call('POST', '/v1/keys', { name: 'ops', grants: [{ scope: 'ops:read' }] });
    secrets.push(ops.body.token.slice(21));
    assert.equal((await call('GET', '/v1/keys', undefined, ops.body.token, { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' })).status, 403);
    await new Promise((r) => setTimeout(r, 200));

    const log = await entries();
    assert.deepEqual(
      log.map((e) => [e.action, e.outcome]),
      [
        ['key.create', 'ok'],
        ['key.rotate', 'ok'],
        ['compatibility.set', 'ok'],
        ['schema.register', 'ok'],
        ['contract.deprecate', 'ok'],
        ['contract.undeprecate', 'ok'],
        ['key.revoke', 'ok'],
        ['key.revoke', 'failed'],
        ['auth.failed', 'refused'],
        ['key.create', 'ok'],
        ['auth.forbidden', 'refused'],
      ],
    );
    assert.deepEqual(log.map((e) => e.seq), log.map((_, i) => i + 1));
    const byAction = (action: string) => log.find((e) => e.action === action)!;
    assert.equal(byAction('key.create').target, id);
    assert.equal(byAction('key.create').actor, adminId);
    assert.equal(byAction('key.rotate').target, id);
    assert.equal(byAction('compatibility.set').target, 'web.click');
    assert.equal(byAction('contract.deprecate').target, 'web.click/1');
    assert.deepEqual(log.find((e) => e.action === 'key.revoke' && e.outcome === 'failed')!.detail, { status: 404, code: 'SL_KEY_NOT_FOUND' });
    assert.equal(byAction('auth.failed').actor, adminId, 'the key id the caller named');
    assert.equal(byAction('auth.failed').detail.code, 'SL_AUTH_INVALID');
    assert.equal(byAction('auth.forbidden').actor, ops.body.key.id);
    assert.equal(byAction('auth.forbidden').trace_id, '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.ok(log.every((e) => e.source === '127.0.0.1'));
    // Filters, and the chain.
    assert.deepEqual((await entries('&action=key')).map((e) => e.action), ['key.create', 'key.rotate', 'key.revoke', 'key.revoke', 'key.create']);
    assert.equal((await entries(`&actor=${ops.body.key.id}`)).length, 1);
    const head = { seq: log.length, hash: (await call('GET', '/v1/audit?limit=1')).body.entries[0].hash };
    assert.deepEqual((await call('GET', '/v1/audit/verify')).body, { ok: true, entries: log.length, head, anchor: head });
    // No secret anywhere: not in the answers, not in the topic's files.
    const files = await segmentFiles();
    for (const secret of secrets) {
      assert.ok(!JSON.stringify(log).includes(secret));
      for (const file of files) assert.ok(!(await readFile(file, 'latin1')).includes(secret), file);
    }
    // Only an admin reads it.
    assert.equal((await call('GET', '/v1/audit', undefined, ops.body.token)).status, 403);
  });

  it('fails to verify after entries were cut off the end of the log, against the head this node saw', async () => {
    const before = (await call('GET', '/v1/audit/verify')).body;
    assert.equal(before.ok, true, JSON.stringify(before));
    assert.deepEqual(before.anchor, before.head, 'the newest entry is anchored');
    await platform.stop();
    if (!pyarrowSkipReason()) {
      // Exported with the cold data as the platform stopped, the chain checkable from the files alone.
      const cold = readColdStoreWithPyarrow(join(config.dataDir, 'cold')).audit;
      assert.deepEqual(cold.seqs, Array.from({ length: before.head.seq }, (_, i) => i + 1));
      assert.equal(cold.chained, true);
    }
    // Whole frames cut off the end: the log reads a shorter, valid file; only the anchor knows.
    const [file] = await segmentFiles();
    const bytes = await readFile(file!);
    const frames: number[] = [];
    for (let pos = 0; pos < bytes.length; pos += 8 + bytes.readUInt32BE(pos)) frames.push(pos);
    await writeFile(file!, bytes.subarray(0, frames[frames.length - 2]));
    platform = await startPlatform(config, pino({ level: 'silent' }));
    const check = (await call('GET', '/v1/audit/verify')).body;
    assert.equal(check.ok, false);
    assert.equal(check.problem.seq, before.head.seq);
    assert.match(check.problem.reason, /cut off its end|replaced/);
  });

  it('fails to verify after a byte of an entry was changed: the log refuses it, and with its checksum made right the chain does', async () => {
    await platform.stop();
    const [file] = await segmentFiles();
    const original = await readFile(file!);
    // A byte changed as it is: the log's checksum refuses the folder at start, naming the file.
    const flipped = Buffer.from(original);
    const middle = flipped.indexOf('"action":"schema.register"');
    flipped[middle + 12] = flipped[middle + 12]! ^ 0x01;
    await writeFile(file!, flipped);
    await assert.rejects(startPlatform(config, pino({ level: 'silent' })), (err: { code?: string; message?: string }) => err.code === 'SL_LOG_CORRUPT' && err.message!.includes('_audit'));
    const bytes = Buffer.from(original);
    // Entry 3 (compatibility.set on web.click) is changed to name another subject, and its frame's
    // CRC recomputed, as someone covering their tracks would: the log takes the frame, the chain does not.
    const at = bytes.indexOf('"target":"web.click"');
    assert.ok(at > 0);
    bytes.write('"target":"web.clicX"', at, 'latin1');
    let pos = 0;
    while (pos < bytes.length) {
      const length = bytes.readUInt32BE(pos);
      if (at >= pos + 8 && at < pos + 8 + length) bytes.writeUInt32BE(crc32(bytes.subarray(pos + 8, pos + 8 + length)), pos + 4);
      pos += 8 + length;
    }
    await writeFile(file!, bytes);
    platform = await startPlatform(config, pino({ level: 'silent' }));
    const check = (await call('GET', '/v1/audit/verify')).body;
    assert.equal(check.ok, false);
    assert.equal(check.problem.seq, 3);
    assert.match(check.problem.reason, /changed/);
  });

  async function segmentFiles(): Promise<string[]> {
    const dir = join(config.dataDir, 'log', '_audit', '0');
    return (await readdir(dir)).filter((f) => f.endsWith('.log')).map((f) => join(dir, f));
  }
});
