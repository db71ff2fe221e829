import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { queryDuckDb } from '../helpers/duckdb.js';
import { getJson, pageView, postEvents, waitForBacklogZero } from '../helpers/events.js';
import { type PlatformProcess, startPlatformProcess } from '../helpers/platform-process.js';
import { mountSmallDisk, type SmallDisk, smallDiskSkipReason } from '../helpers/small-disk.js';
import { tempDir } from '../helpers/tmp.js';

const skip = smallDiskSkipReason();
const T0 = Date.UTC(2026, 10, 26, 10, 0, 0);

/**
 * A full disk (issue 15, item 5), on a tmpfs of its own: writes are refused without inviting quick
 * retries, health says so, writing resumes by itself once space is back, nothing acknowledged is
 * lost or stored twice, and SIGTERM stops the platform in every state.
 */
describe('disk full', { skip }, () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let disk: SmallDisk;
  let platform: PlatformProcess | undefined;
  let configFile: string;
  const accepted = new Set<string>();

  before(async () => {
    tmp = await tempDir();
    disk = await mountSmallDisk(tmp.dir, 96);
    configFile = join(tmp.dir, 'sightline.json');
    await writeFile(configFile, JSON.stringify({ contracts: { unknown: 'accept' }, probe: { interval: 0 }, logLevel: 'warn' }));
  });
  after(async () => {
    if (platform?.child.exitCode === null) await platform.kill9();
    await disk.unmount();
    await tmp.cleanup();
  });

  /** Waits for the processor to catch up; a failure shows what the platform logged. */
  const caughtUp = async () => {
    try {
      await waitForBacklogZero(platform!.url, 60_000);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${platform!.output().slice(-4000)}`);
    }
  };

  let batch = 0;
  const send = async () => {
    const events = Array.from({ length: 50 }, (_, i) => pageView(`df-${batch}-${i}`, T0 + batch * 1000 + i, `/p${i % 7}`));
    batch++;
    const r = await postEvents(platform!.url, events);
    if (r.status === 200) {
      assert.equal(r.body.accepted, events.length);
      for (const e of events) accepted.add(e.id as string);
    }
    return r;
  };

  /** Sends until the log refuses a batch for want of space; every batch before it was accepted whole. */
  const sendUntilRefused = async () => {
    for (let i = 0; i < 200; i++) {
      const r = await send();
      if (r.status !== 200) return r;
    }
    assert.fail('the log took 200 batches on a full disk');
  };

  it('refuses writes with a long Retry-After, fails /healthz and /readyz, and resumes by itself once space is back', async () => {
    platform = await startPlatformProcess(['--data', join(disk.dir, 'data'), '--config', configFile]);
    for (let i = 0; i < 5; i++) assert.equal((await send()).status, 200);
    await disk.fill();
    const refused = await sendUntilRefused();
    assert.equal(refused.status, 503, JSON.stringify(refused.body));
    assert.equal(refused.body.code, 'SL_LOG_WRITE_FAILED');
    assert.match(refused.body.message, /ENOSPC|no space/i);
    assert.ok(Number(refused.headers.get('retry-after')) >= 5, `Retry-After ${refused.headers.get('retry-after')} should not invite quick retries`);

    const health = await getJson(`${platform.url}/healthz`);
    assert.equal(health.status, 503, JSON.stringify(health.body));
    assert.equal(health.body.status, 'failing');
    assert.match(health.body.reasons.join(' '), /log partition/);
    assert.equal((await getJson(`${platform.url}/readyz`)).status, 503);
    assert.equal((await getJson(`${platform.url}/v1/status`)).status, 200, 'reads still answer');

    await disk.free();
    const deadline = Date.now() + 30_000;
    for (;;) {
      const r = await send();
      if (r.status === 200) break;
      assert.ok(Date.now() < deadline, `writes resume within 30 s of space coming back; last: ${JSON.stringify(r.body)}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    for (let i = 0; i < 5; i++) assert.equal((await send()).status, 200);
    assert.equal((await getJson(`${platform.url}/healthz`)).status, 200);
    await caughtUp();
    assert.equal((await getJson(`${platform.url}/readyz`)).status, 200);
  });

  it('stops on SIGTERM while the disk is full, and every acknowledged event is stored exactly once', async () => {
    await disk.fill();
    await sendUntilRefused();
    const stopping = Date.now();
    const code = await platform!.stop();
    const tookMs = Date.now() - stopping;
    assert.ok(tookMs < 15_000, `SIGTERM took ${tookMs} ms on a full disk`);
    assert.notEqual(code, null, 'exited, not killed');
    await disk.free();

    platform = await startPlatformProcess(['--data', join(disk.dir, 'data'), '--config', configFile]);
    await caughtUp();
    assert.equal(await platform.stop(), 0);
    const [row] = await queryDuckDb(join(disk.dir, 'data', 'hot', 'sightline.duckdb'), "SELECT count(*) AS n, count(DISTINCT id) AS ids FROM events WHERE id LIKE 'df-%'");
    assert.equal(row!.n, row!.ids, 'no event stored twice');
    const stored = await queryDuckDb(join(disk.dir, 'data', 'hot', 'sightline.duckdb'), "SELECT id FROM events WHERE id LIKE 'df-%'");
    const ids = new Set(stored.map((r) => r.id as string));
    const lost = [...accepted].filter((id) => !ids.has(id));
    assert.deepEqual(lost.slice(0, 5), [], `${lost.length} acknowledged events lost`);
  });
});
