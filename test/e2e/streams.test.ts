import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { getJson, pageView, postEvents, waitForBacklogZero } from '../helpers/events.js';
import { metricValue, parseExposition } from '../helpers/metrics.js';
import { type PlatformProcess, startPlatformProcess } from '../helpers/platform-process.js';
import { queryDuckDb } from '../helpers/duckdb.js';
import { tempDir } from '../helpers/tmp.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/**
 * Event time per stream through a running platform: sources an hour apart, a backfill of last
 * week, and the probe, which runs all along on its own stream and leaves no data behind.
 */
describe('event time per stream, and the probe on its own stream', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let platform: PlatformProcess;
  let dataDir: string;

  before(async () => {
    tmp = await tempDir();
    dataDir = join(tmp.dir, 'data');
    await writeFile(join(tmp.dir, 'sightline.json'), JSON.stringify({ contracts: { unknown: 'accept' }, probe: { interval: '300ms' }, cold: { rollInterval: '200ms' }, logLevel: 'warn' }));
    platform = await startPlatformProcess(['--data', dataDir, '--config', join(tmp.dir, 'sightline.json')]);
  });
  after(async () => {
    if (platform.child.exitCode === null) await platform.stop();
    await tmp.cleanup();
  });

  const lateLetters = async (): Promise<string[]> => {
    const { body } = await getJson(`${platform.url}/v1/dlq?code=SL_EVENT_LATE&limit=500`);
    return (body.dead_letters as Array<{ event_id: string }>).map((e) => e.event_id);
  };
  const count = async (from: number, to: number): Promise<number> => {
    const { body } = await getJson(`${platform.url}/v1/aggregates/page-views?window=5m&from=${from}&to=${to}&limit=1000`);
    return (body.windows as Array<{ count: number }>).reduce((n, w) => n + w.count, 0);
  };

  it('keeps two sources an hour apart on time, each in its own stream', async () => {
    // Let the probe run first: with one watermark for all, it would make every older event late.
    await new Promise((r) => setTimeout(r, 1500));
    const now = Date.now();
    for (let round = 0; round < 5; round++) {
      const web = Array.from({ length: 20 }, (_, i) => pageView(`web-${round}-${i}`, now - 20_000 + round * 2000 + i, '/home'));
      const mobile = Array.from({ length: 20 }, (_, i) => pageView(`mob-${round}-${i}`, now - HOUR - 20_000 + round * 2000 + i, '/home', 'u2', 'mobile'));
      const { status, body } = await postEvents(platform.url, [...web, ...mobile]);
      assert.deepEqual([status, body.accepted], [200, 40]);
      await waitForBacklogZero(platform.url);
    }
    assert.deepEqual(await lateLetters(), [], 'no event of either source is late');
    assert.equal(await count(now - 30 * MINUTE, now + MINUTE), 100, 'web, counted');
    assert.equal(await count(now - HOUR - 10 * MINUTE, now - HOUR + 10 * MINUTE), 100, 'mobile, an hour behind, counted');

    const { body: status } = await getJson(`${platform.url}/v1/status`);
    const streams = new Map((status.processor.streams as Array<{ stream: string; watermark: number; late_before: number }>).map((s) => [s.stream, s]));
    assert.ok(streams.get('web/page_view')!.watermark > now - 20_000, 'web is at its own event time');
    assert.ok(streams.get('mobile/page_view')!.watermark < now - HOUR, 'mobile is at its own, an hour behind');
    assert.equal(streams.get('mobile/page_view')!.late_before, streams.get('mobile/page_view')!.watermark - MINUTE, 'its events are late past its own watermark minus the allowed lateness');
    assert.ok(streams.has('sightline/probe'), 'the probe has a stream of its own');
    const samples = parseExposition(await (await fetch(`${platform.url}/metrics`)).text());
    assert.equal(metricValue(samples, 'sightline_stream_watermark_timestamp_seconds', { pipeline: 'main', stream: 'mobile/page_view' }), streams.get('mobile/page_view')!.watermark / 1000);

    // Lateness is still judged, per stream: mobile's events before its own watermark are late.
    await postEvents(platform.url, [pageView('mob-too-late', now - 2 * HOUR, '/home', 'u2', 'mobile')]);
    await waitForBacklogZero(platform.url);
    assert.deepEqual(await lateLetters(), ['mob-too-late']);
  });

  it('counts a backfill of last week into the running platform', async () => {
    const weekAgo = Date.now() - 7 * 24 * HOUR;
    const start = weekAgo - (weekAgo % (5 * MINUTE));
    const events = Array.from({ length: 300 }, (_, i) => pageView(`bf-${i}`, start + i * 1000, `/p${i % 3}`, 'u3', 'import'));
    for (let i = 0; i < events.length; i += 50) {
      assert.equal((await postEvents(platform.url, events.slice(i, i + 50))).body.accepted, 50);
      await waitForBacklogZero(platform.url);
    }
    assert.deepEqual(await lateLetters(), ['mob-too-late'], 'none of the backfill is late');
    assert.equal(await count(start, start + 5 * MINUTE + 1), 300, "every event of last week is counted in last week's windows");
  });

  it('leaves no probe event in the user\'s events, Parquet, aggregates, lineage or subjects', async () => {
    const samples = parseExposition(await (await fetch(`${platform.url}/metrics`)).text());
    assert.ok(metricValue(samples, 'sightline_probe_runs_total', { result: 'ok' }) >= 5, 'the probe ran all along');
    assert.ok(metricValue(samples, 'sightline_probe_freshness_seconds') > 0);
    const recent = await getJson(`${platform.url}/v1/events/recent?limit=1000`);
    assert.equal((recent.body.events as Array<{ source: string }>).filter((e) => e.source === 'sightline').length, 0, 'not among recent events');
    const lineage = JSON.stringify((await getJson(`${platform.url}/v1/lineage`)).body);
    assert.doesNotMatch(lineage, /sightline\.probe|sightline\/probe/, 'not a lineage source');
    const subjects = (await getJson(`${platform.url}/subjects`)).body as string[];
    assert.ok(!subjects.includes('sightline.probe'), 'not a subject');

    await platform.stop();
    const db = join(dataDir, 'hot', 'sightline.duckdb');
    const [stored] = await queryDuckDb(db, "SELECT count(*) FILTER (WHERE source = 'sightline') AS probe, count(*) AS all FROM events");
    assert.equal(Number(stored!.probe), 0, 'probe rows are deleted once read back');
    assert.equal(Number(stored!.all), 500, '200 from web and mobile, 300 of the backfill');
    const [quality] = await queryDuckDb(db, "SELECT count(*) AS n FROM quality_summary WHERE dataset LIKE 'sightline%'");
    assert.equal(Number(quality!.n), 0);
    const days = await readdir(join(dataDir, 'cold', 'events'));
    assert.ok(days.length >= 2, 'today and last week were archived');
    const [cold] = await queryDuckDb(':memory:', `SELECT count(*) FILTER (WHERE source = 'sightline') AS probe, count(*) AS all FROM read_parquet('${join(dataDir, 'cold', 'events')}/*/*.parquet')`);
    assert.equal(Number(cold!.probe), 0, 'no probe event in Parquet');
    assert.equal(Number(cold!.all), 500, 'all of them archived');
  });
});
