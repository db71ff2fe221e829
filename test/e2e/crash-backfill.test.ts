import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { getJson, pageView, postEvents } from '../helpers/events.js';
import { latestMetadata, pyicebergSkipReason, readStaticTable } from '../helpers/iceberg.js';
import { type PlatformProcess, startPlatformProcess } from '../helpers/platform-process.js';
import { tempDir } from '../helpers/tmp.js';
import { eventually } from '../helpers/wait.js';
import type { BackfillView } from '../../src/core/backfill.js';

const DAY_MS = 86_400_000;
const D0 = Date.UTC(2026, 9, 1);
const DAYS = 8;
const PER_DAY = 120;
const USERS = ['u1', 'u2', 'u3'];
const KILLS = 3;

type View = BackfillView;

/**
 * kill -9 while a backfill rewrites days (a snapshot, the hot store, dead letters) and then its
 * windows: after the restarts it finishes, and every table holds each kept event once, no refused
 * one, and windows that count each kept event once; the dead-letter queue holds each refusal once.
 */
describe('a backfill under kill -9', { skip: pyicebergSkipReason() }, () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let platform: PlatformProcess | undefined;
  let dataDir: string;
  const configFile = (withRule: boolean) =>
    writeFile(
      join(tmp.dir, 'sightline.json'),
      JSON.stringify({
        cold: { rollInterval: '300ms', rollRows: 1000 },
        // Compactions take turns with the backfill's rewrites, in the same archiver.
        lifecycle: { interval: '1s', tables: { '*': { compactBelow: '1MiB', compactMinFiles: 2 } } },
        contracts: { unknown: 'accept' },
        enrichment: { referenceData: { path: join(tmp.dir, 'users.csv'), reloadInterval: '200ms' } },
        process: { idleTimeout: '1s' },
        probe: { interval: 0 },
        logLevel: 'warn',
        ...(withRule && { quality: { rules: [{ name: 'known-users', match: { type: 'page_view' }, severity: 'error', check: 'regex', field: 'payload.user_id', pattern: '^u[12]$' }] } }),
      }),
    );
  const start = (): Promise<PlatformProcess> => startPlatformProcess(['--data', dataDir, '--config', join(tmp.dir, 'sightline.json')], 60_000);
  const table = async (folder: string, rows = false) => readStaticTable(await latestMetadata(join(dataDir, 'cold', folder)), { rows });

  before(async () => {
    tmp = await tempDir();
    dataDir = join(tmp.dir, 'data');
    await writeFile(join(tmp.dir, 'users.csv'), 'user_id,plan\nu1,pro\n');
    await configFile(false);
  });
  after(async () => {
    await platform?.kill9().catch(() => undefined);
    await tmp?.cleanup();
  });

  it('finishes once, with every kept event once and each refusal one dead letter', { timeout: 600_000 }, async () => {
    platform = await start();
    const events = [];
    for (let d = 0; d < DAYS; d++) for (let i = 0; i < PER_DAY; i++) events.push(pageView(`d${d}-${i}`, D0 + d * DAY_MS + i * 60_000, i % 2 ? '/a' : '/b', USERS[i % 3]!));
    // A day after, so every window of the eight days closes.
    events.push(pageView('later', D0 + (DAYS + 1) * DAY_MS, '/c', 'u1'));
    for (let i = 0; i < events.length; i += 500) assert.equal((await postEvents(platform.url, events.slice(i, i + 500))).status, 200);
    const total = events.length;
    await eventually(async () => (await table('events')).rows === total, 'every event in the events table', 120_000);
    const windowSum = async (): Promise<number> => ((await table('aggregates/page-views', true)).row_values ?? []).filter((r) => r.window_size === '1m').reduce((n, r) => n + Number(r.count), 0);
    await eventually(async () => (await windowSum()) === DAYS * PER_DAY, 'every window of the days in its table', 120_000);
    await platform.stop();

    await writeFile(join(tmp.dir, 'users.csv'), 'user_id,plan\nu1,pro\nu2,free\n');
    await configFile(true);
    platform = await start();
    const requested = await fetch(`${platform.url}/v1/backfills`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ from: '2026-10-01', to: '2026-10-08' }) });
    const answer = await requested.text();
    assert.equal(requested.status, 202, answer);
    const { id } = JSON.parse(answer) as { id: string };
    const view = async (): Promise<View> => (await getJson(`${platform!.url}/v1/backfills/${id}`)).body as View;

    const killedAt: number[] = [];
    for (let k = 0; k < KILLS; k++) {
      // Somewhere inside a day's rewrite, a little after the last recorded one.
      const seen = (await view()).days_done;
      await eventually(async () => (await view()).days_done > seen || (await view()).state === 'done', 'the backfill moves', 60_000);
      const now = await view();
      if (now.state === 'done') break;
      await new Promise((r) => setTimeout(r, 50 + Math.floor(Math.random() * 300)));
      killedAt.push(now.days_done);
      await platform.kill9();
      platform = await start();
    }
    assert.ok(killedAt.length >= 2, `killed ${killedAt.length} times during the backfill`);
    let last: View | undefined;
    await eventually(async () => ['done', 'failed'].includes((last = await view()).state), 'the backfill finished after the restarts', 180_000);
    assert.equal(last!.state, 'done', JSON.stringify(last));
    assert.equal(last!.days_done, DAYS);
    // Each day's counts come from its plan, kept until its steps are done: exact across the kills.
    assert.deepEqual({ ...last!.counts, windows: 0 }, { events: DAYS * PER_DAY, changed: (DAYS * PER_DAY) / 3, refused: (DAYS * PER_DAY) / 3, windows: 0 });
    assert.ok(last!.counts.windows > 0);

    const kept = (DAYS * PER_DAY * 2) / 3;
    const read = await table('events', true);
    assert.equal(read.rows, kept + 1, 'each kept event once, no refused one');
    assert.equal(read.distinct_keys, read.rows);
    assert.equal(read.user_ids?.u3, undefined);
    assert.ok(read.row_values!.filter((r) => r.user_id === 'u2').every((r) => (JSON.parse(String(r.metadata)) as { enrichment?: { plan?: string } }).enrichment?.plan === 'free'), 'every u2 event enriched');
    const windows = await table('aggregates/page-views', true);
    assert.equal(windows.rows, windows.distinct_keys, 'one row per window');
    assert.equal(await windowSum(), kept, 'the windows count each kept event once');
    const letters = (await getJson(`${platform.url}/v1/dlq?code=SL_QUALITY_FAILED&limit=1000`)).body.dead_letters as Array<{ event_id: string }>;
    assert.equal(letters.length, (DAYS * PER_DAY) / 3, 'each refusal one dead letter');
    assert.equal(new Set(letters.map((l) => l.event_id)).size, letters.length);
    assert.equal((await getJson(`${platform.url}/v1/events/recent?user_id=u3&limit=10`)).body.events.length, 0);
    assert.equal(await platform.stop(), 0);
    platform = undefined;
  });
});
