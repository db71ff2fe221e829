import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { getJson, pageView, postEvents, waitForBacklogZero } from '../helpers/events.js';
import { metricValue, parseExposition } from '../helpers/metrics.js';
import { type PlatformProcess, runCli, startPlatformProcess } from '../helpers/platform-process.js';
import { tempDir } from '../helpers/tmp.js';

/** The synthetic probe (CLI and periodic), health, and one event's path through the platform. */
describe('probe, health and event lookup', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let platform: PlatformProcess;

  before(async () => {
    tmp = await tempDir();
    await writeFile(join(tmp.dir, 'sightline.json'), JSON.stringify({ contracts: { unknown: 'accept' }, probe: { interval: '300ms' }, cold: { rollInterval: '200ms' }, logLevel: 'warn' }));
    platform = await startPlatformProcess(['--data', join(tmp.dir, 'data'), '--config', join(tmp.dir, 'sightline.json')]);
  });
  after(async () => {
    if (platform.child.exitCode === null) await platform.stop();
    await tmp.cleanup();
  });

  it('sightline probe reports the time until a canary event is queryable', async () => {
    const r = await runCli(['probe', '--url', platform.url]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^probe probe-[0-9a-f-]+: queryable after \d+ ms\n$/);
    const json = await runCli(['probe', '--url', platform.url, '--json']);
    const result = JSON.parse(json.stdout);
    assert.equal(result.ok, true);
    assert.ok(result.seconds > 0 && result.seconds < 30);
    const down = await runCli(['probe', '--url', 'http://127.0.0.1:1', '--timeout', '2']);
    assert.equal(down.code, 1);
    assert.match(down.stderr, /probe probe-\S+ failed after \d+ ms/);
  });

  it('runs the probe periodically and exposes end-to-end freshness as a metric', async () => {
    let samples = parseExposition('');
    for (let i = 0; i < 50; i++) {
      samples = parseExposition(await (await fetch(`${platform.url}/metrics`)).text());
      if (metricValue(samples, 'sightline_probe_runs_total', { result: 'ok' }) >= 2) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(metricValue(samples, 'sightline_probe_runs_total', { result: 'ok' }) >= 2);
    assert.equal(metricValue(samples, 'sightline_probe_success'), 1);
    const freshness = metricValue(samples, 'sightline_probe_freshness_seconds');
    assert.ok(freshness > 0 && freshness < 30, `freshness ${freshness}`);
  });

  it('looks up one event by id: the event, its log position, commit and Parquet file', async () => {
    const now = Date.now();
    await postEvents(platform.url, [pageView('find-me', now, '/x')], { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' });
    await waitForBacklogZero(platform.url);
    let body: any;
    for (let i = 0; i < 50; i++) {
      body = (await getJson(`${platform.url}/v1/events/find-me`)).body;
      if (body.path?.cold_store) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(body.event.id, 'find-me');
    assert.equal(body.event.payload.page, '/x');
    assert.equal(body.path.log.topic, 'events');
    assert.ok(body.path.log.partition >= 0 && body.path.log.partition < 4);
    assert.ok(body.path.hot_store.commit >= 1);
    assert.match(body.path.cold_store.file, /cold\/events\/dt=\d{4}-\d{2}-\d{2}\/part-c\d+-c\d+-w[0-9a-f]{8}\.parquet$/);
    const missing = await getJson(`${platform.url}/v1/events/nope`);
    assert.deepEqual([missing.status, missing.body.code], [404, 'SL_API_NOT_FOUND']);
  });

  it('answers /healthz and /readyz', async () => {
    assert.deepEqual((await getJson(`${platform.url}/healthz`)).body, { status: 'ok' });
    const ready = await getJson(`${platform.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.equal(ready.body.ready, true);
  });
});
