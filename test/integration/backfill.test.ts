import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { buildConfig } from '../../src/config/config.js';
import { type RunningPlatform, startPlatform } from '../../src/platform/start-platform.js';
import { getJson, postJson, pageView, postEvents, waitForBacklogZero } from '../helpers/events.js';
import { latestMetadata, pyicebergSkipReason, readStaticTable } from '../helpers/iceberg.js';
import { tempDir } from '../helpers/tmp.js';
import { eventually } from '../helpers/wait.js';
import type { BackfillView } from '../../src/core/backfill.js';

const DAY1 = Date.UTC(2026, 10, 20, 10, 0, 0);
const DAY2 = Date.UTC(2026, 10, 21, 10, 0, 0);
const USERS = ['u1', 'u2', 'u3'];
const SUBJECT = 'web.page_view';
const CLI = join(process.cwd(), 'dist', 'src', 'cli', 'main.js');

type View = BackfillView;

describe('backfill from the cold tier', { skip: pyicebergSkipReason() }, () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let platform: RunningPlatform;
  let cold: string;
  const config = (withRule: boolean) =>
    buildConfig({
      dataDir: join(tmp.dir, 'data'),
      server: { port: 0 },
      cold: { rollRows: 10, rollInterval: '1s' },
      contracts: { unknown: 'accept' },
      enrichment: { referenceData: { path: join(tmp.dir, 'users.csv'), reloadInterval: '100ms' } },
      process: { idleTimeout: '1s' },
      probe: { interval: '0s' },
      ...(withRule && { quality: { rules: [{ name: 'known-users', match: { type: 'page_view' }, severity: 'error', check: 'regex', field: 'payload.user_id', pattern: '^u[12]$' }] } }),
    });
  const table = async (folder: string, rows = false) => readStaticTable(await latestMetadata(join(cold, folder)), { rows });
  const windowTotal = async (size: string): Promise<number> => ((await table('aggregates/page-views', true)).row_values ?? []).filter((r) => r.window_size === size).reduce((n, r) => n + Number(r.count), 0);
  const hotTotal = async (): Promise<number> => {
    let total = 0;
    for (const page of ['/a', '/b']) for (const w of (await getJson(`${platform.url}/v1/aggregates/page-views?window=1m&page=${page}&limit=1000`)).body.windows as Array<{ count: number }>) total += w.count;
    return total;
  };
  const finished = async (id: string): Promise<View> => {
    let view: View | undefined;
    await eventually(async () => ['done', 'failed'].includes((view = (await getJson(`${platform.url}/v1/backfills/${id}`)).body as View).state), `backfill ${id} finished`, 60_000);
    return view!;
  };

  before(async () => {
    tmp = await tempDir();
    cold = join(tmp.dir, 'data', 'cold');
    // Only u1 has a profile when the events come in: u2's are stored without enrichment.
    await writeFile(join(tmp.dir, 'users.csv'), 'user_id,plan\nu1,pro\n');
    platform = await startPlatform(config(false), pino({ level: 'silent' }));
    const schema = JSON.stringify({ type: 'object', properties: { user_id: { type: 'string' }, page: { type: 'string' } }, required: ['page'] });
    const registered = await fetch(`${platform.url}/subjects/${SUBJECT}/versions`, { method: 'POST', headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' }, body: JSON.stringify({ schema, schemaType: 'JSON' }) });
    assert.equal(registered.status, 200, await registered.text());
    const events = [];
    for (const day of [DAY1, DAY2]) for (let i = 0; i < 10; i++) for (const [u, user] of USERS.entries()) events.push(pageView(`${user}-${day}-${i}`, day + i * 60_000 + u * 1000, i % 2 ? '/a' : '/b', user));
    // A day later, on another page: the watermark passes every window of the two days, so they close.
    events.push(pageView('later', DAY2 + 86_400_000, '/c', 'u1'));
    assert.equal((await postEvents(platform.url, events)).body.accepted, 61);
    await waitForBacklogZero(platform.url);
    await eventually(async () => (await table('events')).rows === 61, 'every event in the events table', 60_000);
    await eventually(async () => (await table(`contracts/${SUBJECT}`)).rows === 61, 'every event in the contract table', 60_000);
    await eventually(async () => (await windowTotal('1m')) === 60 && (await windowTotal('5m')) === 60, 'every window closed and in its table', 60_000);
    await platform.stop();
    // The fix: u2 gets a profile, and a quality rule now refuses u3's events.
    await writeFile(join(tmp.dir, 'users.csv'), 'user_id,plan\nu1,pro\nu2,free\n');
    platform = await startPlatform(config(true), pino({ level: 'silent' }));
  });
  after(async () => {
    await platform?.stop();
    await tmp?.cleanup();
  });

  it('refuses what is not a range of days', async () => {
    for (const body of [{ from: '2026-11-21', to: '2026-11-20' }, { from: '2026-11-31', to: '2026-12-01' }, { from: '2020-01-01', to: '2026-01-01' }, { from: '20261120', to: '2026-11-21' }]) {
      const res = await postJson(`${platform.url}/v1/backfills`, body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match(res.body.code, /^SL_API_BAD_REQUEST$|^SL_API_VALIDATION/, JSON.stringify(res.body));
    }
    assert.equal((await getJson(`${platform.url}/v1/backfills/bf_0000000000000000`)).status, 404);
  });

  it('runs the days through processing again and replaces the tables, the hot store and the windows', { timeout: 180_000 }, async () => {
    const before = (await getJson(`${platform.url}/v1/tables/events/snapshots`)).body.snapshots as Array<{ snapshot_id: number }>;
    // A dry run first: the counts, and nothing changed.
    const dry = await postJson(`${platform.url}/v1/backfills`, { from: '2026-11-20', to: '2026-11-21', dry_run: true });
    assert.equal(dry.status, 202, JSON.stringify(dry.body));
    const counted = await finished(dry.body.id);
    assert.equal(counted.state, 'done', JSON.stringify(counted));
    assert.deepEqual({ ...counted.counts, windows: 0 }, { events: 60, changed: 20, refused: 20, windows: 0 });
    assert.equal((await getJson(`${platform.url}/v1/tables/events/snapshots`)).body.snapshots.length, before.length, 'no snapshot');
    assert.equal((await table('events')).rows, 61);
    assert.equal(await hotTotal(), 60);
    assert.equal((await getJson(`${platform.url}/v1/dlq?code=SL_QUALITY_FAILED&limit=100`)).body.dead_letters.length, 0);

    const requested = await postJson(`${platform.url}/v1/backfills`, { from: '2026-11-20', to: '2026-11-21' });
    assert.equal(requested.status, 202, JSON.stringify(requested.body));
    assert.equal(requested.body.days_total, 2);
    const view = await finished(requested.body.id);
    assert.equal(view.state, 'done', JSON.stringify(view));
    assert.deepEqual({ ...view.counts, windows: 0 }, { events: 60, changed: 20, refused: 20, windows: 0 }, 'the two days, not the day after');
    assert.equal(view.counts.windows, 28, 'the 1m and 5m windows of /a and /b the refused events were in');

    // The tables, read by pyiceberg: u3 is gone, u2 is enriched now.
    const events = await table('events', true);
    assert.equal(events.rows, 41);
    assert.deepEqual(events.user_ids, { u1: 21, u2: 20 });
    for (const row of events.row_values!) {
      const plan = (JSON.parse(String(row.metadata)) as { enrichment?: { plan?: string } }).enrichment?.plan;
      assert.equal(plan, row.user_id === 'u1' ? 'pro' : 'free', JSON.stringify(row));
    }
    assert.equal((await table(`contracts/${SUBJECT}`)).rows, 41);
    assert.equal(await windowTotal('1m'), 40);
    assert.equal(await windowTotal('5m'), 40);

    // The hot store agrees.
    assert.equal((await getJson(`${platform.url}/v1/events/recent?user_id=u3&limit=100`)).body.events.length, 0);
    const u2 = (await getJson(`${platform.url}/v1/events/recent?user_id=u2&limit=100`)).body.events as Array<{ metadata: { enrichment?: { plan: string } } }>;
    assert.equal(u2.length, 20);
    assert.ok(u2.every((e) => e.metadata.enrichment?.plan === 'free'));
    assert.equal(await hotTotal(), 40);

    // The refused events are dead letters, with processing's reason.
    await eventually(async () => (await getJson(`${platform.url}/v1/dlq?code=SL_QUALITY_FAILED&limit=100`)).body.dead_letters.length === 20, 'twenty dead letters');

    // Time travel still reads the table as it was.
    const old = await getJson(`${platform.url}/v1/tables/events/rows?snapshot_id=${before[0]!.snapshot_id}&limit=1000`);
    assert.equal(old.body.rows.length, 61);

    const audit = (await getJson(`${platform.url}/v1/audit?action=data`)).body.entries as Array<{ action: string; outcome: string }>;
    assert.ok(audit.some((e) => e.action === 'data.backfill' && e.outcome === 'ok'));
    assert.ok(audit.some((e) => e.action === 'data.backfilled' && e.outcome === 'ok'));
  });

  it('changes nothing when run again, through the CLI with its progress, and keeps the counts of erased users', { timeout: 120_000 }, async () => {
    // An erasure takes u2's events out of the tables; the windows keep counting them.
    const erasure = await postJson(`${platform.url}/v1/erasures`, { user_id: 'u2' });
    await eventually(async () => (await getJson(`${platform.url}/v1/erasures/${erasure.body.id}`)).body.state === 'done', 'the erasure applied');
    assert.equal((await table('events')).rows, 21);
    const snapshots = (await table('events')).snapshots;
    const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'backfill', '--from', '2026-11-20', '--to', '2026-11-21', '--url', platform.url], { encoding: 'utf8', timeout: 90_000 });
    assert.match(stdout, /done {2}days 2026-11-20\.\.2026-11-21 \(2\/2 done\) {2}20 events · 0 changed · 0 refused · 0 windows lowered/);
    assert.equal((await table('events')).snapshots, snapshots, 'no new snapshot of events');
    assert.equal((await table('events')).rows, 21);
    assert.equal(await windowTotal('1m'), 40, 'the windows still count the erased events');
    assert.equal(await hotTotal(), 40);
    assert.equal((await getJson(`${platform.url}/v1/dlq?code=SL_QUALITY_FAILED&limit=100`)).body.dead_letters.length, 20, 'no letter twice');
  });
});
