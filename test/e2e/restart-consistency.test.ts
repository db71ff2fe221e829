import assert from 'node:assert/strict';
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { getJson, pageView, postEvents, waitForBacklogZero } from '../helpers/events.js';
import { type PlatformProcess, runCli, startPlatformProcess } from '../helpers/platform-process.js';
import { tempDir } from '../helpers/tmp.js';

const HOUR = 3_600_000;

/**
 * What a user reads from a running platform does not change across a restart: status counters,
 * contract counts, alert states; and the hot-store file does not grow with each restart.
 */
describe('a restart keeps what the user saw', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let args: string[];
  let platform: PlatformProcess;

  before(async () => {
    tmp = await tempDir();
    const config = {
      probe: { interval: 0 },
      // Not idle within the test: an idle stream's watermark moves on with the wall clock.
      process: { idleTimeout: '1h' },
      contracts: { unknown: 'accept' },
      quality: { rules: [{ name: 'user-id-format', match: { source: 'web' }, severity: 'error', check: 'regex', field: 'payload.user_id', pattern: '^u[0-9]+$' }] },
      alerts: { evaluationInterval: '200ms', freshness: { for: '0s' } },
      logLevel: 'warn',
    };
    await writeFile(join(tmp.dir, 'sightline.json'), JSON.stringify(config));
    args = ['--data', join(tmp.dir, 'data'), '--config', join(tmp.dir, 'sightline.json')];
    platform = await startPlatformProcess(args);
  });
  after(async () => {
    if (platform.child.exitCode === null) await platform.stop();
    await tmp.cleanup();
  });

  /** What status, schema list and the alerts say, without what a restart rightly changes. */
  const observed = async (): Promise<Record<string, unknown>> => {
    const { body: status } = await getJson(`${platform.url}/v1/status`);
    const { commitFailures: _thisProcess, batches: _commits, ...processor } = status.processor;
    const { backlog: _b, lastBatchAt: _l, first_record: _f, ok: _ok, reason: _r, streams, ...counters } = processor;
    const alerts = (await getJson(`${platform.url}/v1/alerts`)).body.alerts as Array<Record<string, unknown>>;
    return {
      ingest: status.ingest,
      processor: counters,
      streams: (streams as Array<Record<string, unknown>>).map(({ idle: _idle, ...s }) => s),
      schemaList: (await runCli(['schema', 'list', '--url', platform.url])).stdout,
      alerts: alerts.map((a) => [a.labels, a.state, a.activeAt, a.startsAt]),
    };
  };

  it('keeps status counters, contract counts and firing alerts as they were', async () => {
    const stale = Date.now() - 2 * HOUR;
    const events = [
      ...Array.from({ length: 50 }, (_, i) => pageView(`e${i}`, stale + i * 1000, '/home')),
      pageView('e0', stale, '/home'),
      pageView('bad-user', stale + 60_000, '/home', 'bob'),
      { id: 'no-time', source: 'web', type: 'page_view', payload: {} },
    ];
    assert.equal((await postEvents(platform.url, events)).body.accepted, 52);
    await waitForBacklogZero(platform.url);
    // The freshness SLA (15 m) is broken by events two hours old: the alert fires.
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && !((await getJson(`${platform.url}/v1/alerts?state=firing`)).body.alerts as unknown[]).length) await new Promise((r) => setTimeout(r, 100));
    const before = await observed();
    assert.equal((before.alerts as unknown[]).length, 1, 'the freshness alert fires');
    assert.deepEqual((before.ingest as Record<string, number>).accepted, 52);
    assert.deepEqual((before.processor as Record<string, unknown>).deadLetteredByCode, { SL_QUALITY_FAILED: 1 });
    assert.equal((before.processor as Record<string, number>).duplicates, 1);

    const sizes: number[] = [];
    for (let restart = 0; restart < 3; restart++) {
      assert.equal(await platform.stop(), 0);
      sizes.push((await stat(join(tmp.dir, 'data', 'hot', 'sightline.duckdb'))).size);
      platform = await startPlatformProcess(args);
      await new Promise((r) => setTimeout(r, 600));
      assert.deepEqual(await observed(), before, `after restart ${restart + 1}`);
    }
    // DuckDB writes the first checkpoint in whole blocks (256 KiB per table with rows); after that
    // a restart with nothing new writes nothing new.
    assert.ok(sizes.every((s) => s === sizes[0]), `the hot-store file kept its size: ${sizes.join(', ')} bytes`);
  });
});
