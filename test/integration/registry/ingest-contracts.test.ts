import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import avro from 'avsc';
import { pino } from 'pino';
import { buildConfig } from '../../../src/config/config.js';
import { type RunningPlatform, startPlatform } from '../../../src/platform/start-platform.js';
import { getJson, pageView, postEvents, waitForBacklogZero } from '../../helpers/events.js';
import { tempDir } from '../../helpers/tmp.js';

const PAGE_VIEW_V1 = { type: 'object', properties: { user_id: { type: 'string' }, page: { type: 'string', pattern: '^/' } }, required: ['user_id', 'page'] };
const SIGNUP = { type: 'record', name: 'Signup', fields: [{ name: 'email', type: 'string' }, { name: 'plan', type: { type: 'enum', name: 'Plan', symbols: ['free', 'pro'] } }] };
const NOW = Date.now();

const event = (id: string, type: string, payload: unknown, metadata?: Record<string, unknown>) => ({
  id,
  source: type === 'page_view' ? 'web' : 'app',
  type,
  timestamp: NOW,
  payload,
  ...(metadata && { metadata }),
});

/** Ingest against contracts: validation, pinning, wire format, deprecation and sunset, counts; across a restart. */
describe('ingest with data contracts', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let platform: RunningPlatform;
  const start = async () => {
    const contracts = { acceptedVersions: { 'web.page_view': [2] } };
    platform = await startPlatform(buildConfig({ dataDir: join(tmp.dir, 'data'), server: { port: 0 }, contracts }), pino({ level: 'silent' }));
  };
  const register = async (subject: string, schema: unknown, schemaType?: string) => {
    const r = await fetch(`${platform.url}/subjects/${subject}/versions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ schema: JSON.stringify(schema), ...(schemaType && { schemaType }) }),
    });
    assert.equal(r.status, 200, await r.clone().text());
    return ((await r.json()) as { id: number }).id;
  };

  before(async () => {
    tmp = await tempDir();
    await start();
  });
  after(async () => {
    await platform.stop();
    await tmp.cleanup();
  });

  it('refuses events without a contract, and checks payloads against the latest version', async () => {
    const unknown = await postEvents(platform.url, [pageView('p0', NOW, '/home')]);
    assert.equal(unknown.body.rejected[0].code, 'SL_CONTRACT_UNKNOWN');
    assert.match(unknown.body.rejected[0].message, /no schema is registered for subject "web.page_view"/);

    await register('web.page_view', PAGE_VIEW_V1, 'JSON');
    const r = await postEvents(platform.url, [pageView('p1', NOW, '/home'), pageView('p2', NOW, 'home'), event('p3', 'page_view', { page: '/x' })]);
    assert.equal(r.body.accepted, 1);
    assert.deepEqual(
      r.body.rejected.map((x: any) => [x.index, x.code, x.message]),
      [
        [1, 'SL_CONTRACT_VIOLATION', 'payload/page must match pattern "^/" (subject "web.page_view" version 1, schema id 1)'],
        [2, 'SL_CONTRACT_VIOLATION', "payload must have required property 'user_id' (subject \"web.page_view\" version 1, schema id 1)"],
      ],
    );
  });

  it('stamps the contract into metadata, and pins a version by metadata.schemaVersion', async () => {
    // Adding a property to an open content model is FORWARD compatible only (old readers ignore it).
    await fetch(`${platform.url}/config/web.page_view`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"compatibility":"FORWARD"}' });
    await register('web.page_view', { ...PAGE_VIEW_V1, properties: { ...PAGE_VIEW_V1.properties, ms_on_page: { type: 'integer', minimum: 0 } } }, 'JSON');
    const loose = { user_id: 'u1', page: '/a', ms_on_page: -5 };
    const latest = await postEvents(platform.url, [event('p4', 'page_view', loose)]);
    assert.equal(latest.body.rejected[0]?.code, 'SL_CONTRACT_VIOLATION', 'version 2 bounds ms_on_page');
    const pinned = await postEvents(platform.url, [event('p5', 'page_view', loose, { schemaVersion: 1 })]);
    assert.equal(pinned.body.accepted, 1, JSON.stringify(pinned.body));
    const missing = await postEvents(platform.url, [event('p6', 'page_view', loose, { schemaVersion: 9 })]);
    assert.equal(missing.body.rejected[0].code, 'SL_CONTRACT_UNKNOWN');
    await waitForBacklogZero(platform.url);
    const stored = await getJson(`${platform.url}/v1/events/recent?source=web&limit=10`);
    const byId = Object.fromEntries(stored.body.events.map((e: any) => [e.id, e.metadata.contract]));
    assert.deepEqual(byId.p1, { subject: 'web.page_view', version: 1, id: 1 });
    assert.deepEqual(byId.p5, { subject: 'web.page_view', version: 1, id: 1 });
  });

  it('validates JSON payloads against an Avro contract, and decodes Confluent wire-format payloads', async () => {
    const id = await register('app.signup', SIGNUP);
    const bad = await postEvents(platform.url, [event('s1', 'signup', { email: 'a@b.c', plan: 'gold' })]);
    assert.equal(bad.body.rejected[0].code, 'SL_CONTRACT_VIOLATION');
    assert.match(bad.body.rejected[0].message, /payload\/plan "gold" is not a valid enum/);

    const header = Buffer.alloc(5);
    header.writeInt32BE(id, 1);
    const wire = Buffer.concat([header, avro.Type.forSchema(SIGNUP as avro.Schema).toBuffer({ email: 'ada@example.com', plan: 'pro' })]);
    const ok = await postEvents(platform.url, [event('s2', 'signup', wire.toString('base64'))]);
    assert.equal(ok.body.accepted, 1, JSON.stringify(ok.body));
    const unknownId = Buffer.from(wire);
    unknownId.writeInt32BE(999, 1);
    const refused = await postEvents(platform.url, [
      event('s3', 'signup', unknownId.toString('base64')),
      event('s4', 'signup', Buffer.from('not the wire format').toString('base64')),
      event('s5', 'signup', Buffer.concat([header, Buffer.from([0xff])]).toString('base64')),
    ]);
    assert.deepEqual(refused.body.rejected.map((x: any) => x.code), ['SL_CONTRACT_UNKNOWN', 'SL_CONTRACT_WIRE_INVALID', 'SL_CONTRACT_WIRE_INVALID']);
    await waitForBacklogZero(platform.url);
    const stored = await getJson(`${platform.url}/v1/events/recent?source=app&limit=5`);
    const s2 = stored.body.events.find((e: any) => e.id === 's2');
    assert.deepEqual(s2.payload, { email: 'ada@example.com', plan: 'pro' });
    assert.equal(s2.metadata.schemaId, id);
  });

  it('warns on a deprecated version and refuses it after its sunset; counts each outcome per version', async () => {
    const sunset = new Date(Date.now() + 3_600_000).toISOString();
    const dep = await fetch(`${platform.url}/v1/contracts/web.page_view/versions/1/deprecation`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sunset }),
    });
    assert.equal(dep.status, 200);
    const warned = await postEvents(platform.url, [event('d1', 'page_view', { user_id: 'u1', page: '/' }, { schemaVersion: 1 })]);
    assert.equal(warned.body.accepted, 1);
    assert.deepEqual(warned.body.warnings, [
      { index: 0, code: 'SL_CONTRACT_DEPRECATED', message: `subject "web.page_view" version 1 is deprecated; events naming it are refused from ${sunset}` },
    ]);
    const past = await fetch(`${platform.url}/v1/contracts/web.page_view/versions/1/deprecation`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sunset: '2020-01-01T00:00:00Z' }),
    });
    assert.equal(past.status, 200);
    const refused = await postEvents(platform.url, [event('d2', 'page_view', { user_id: 'u1', page: '/' }, { schemaVersion: 1 })]);
    assert.equal(refused.body.rejected[0].code, 'SL_CONTRACT_SUNSET');

    const metrics = await (await fetch(`${platform.url}/metrics`)).text();
    assert.match(metrics, /sightline_contract_events_total\{subject="web.page_view",version="1",outcome="deprecated"\} 1/);
    assert.match(metrics, /sightline_contract_events_total\{subject="web.page_view",version="1",outcome="sunset"\} 1/);
    // The first event before any schema, and the one pinned to a version that does not exist.
    assert.match(metrics, /sightline_contract_events_total\{subject="web.page_view",version="none",outcome="unknown_rejected"\} 2/);
    const contracts = await getJson(`${platform.url}/v1/contracts`);
    const pv = contracts.body.subjects.find((s: any) => s.subject === 'web.page_view');
    assert.deepEqual(pv.versions.map((v: any) => [v.version, v.sunset_at !== null, v.events]), [
      [1, true, { valid: 2, invalid: 2, deprecated: 1, sunset: 1 }],
      [2, false, { invalid: 1 }],
    ]);
    // The processor accepts only version 2 of web.page_view: the three version-1 events are counted.
    await waitForBacklogZero(platform.url);
    const status = await getJson(`${platform.url}/v1/status`);
    assert.deepEqual(status.body.processor.versionMismatchesBySubjectVersion, { 'web.page_view@1': 3 });
  });

  it('keeps schemas, levels and deprecations across a restart', async () => {
    await platform.stop();
    await start();
    const r = await postEvents(platform.url, [pageView('after-restart', NOW, 'no-slash'), event('d3', 'page_view', { user_id: 'u1', page: '/' }, { schemaVersion: 1 })]);
    assert.deepEqual(r.body.rejected.map((x: any) => x.code), ['SL_CONTRACT_VIOLATION', 'SL_CONTRACT_SUNSET']);
    const versions = await getJson(`${platform.url}/subjects/web.page_view/versions`);
    assert.deepEqual(versions.body, [1, 2]);
  });
});
