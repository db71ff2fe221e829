import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { buildConfig } from '../../src/config/config.js';
import { subjectOf } from '../../src/core/erasure.js';
import { type RunningPlatform, startPlatform } from '../../src/platform/start-platform.js';
import { getJson, postJson, pageView, postEvents, waitForBacklogZero } from '../helpers/events.js';
import { pyarrowSkipReason, readColdStoreWithPyarrow } from '../helpers/pyarrow.js';
import { tempDir } from '../helpers/tmp.js';
import { eventually } from '../helpers/wait.js';

const DAY1 = Date.UTC(2026, 10, 20, 10, 0, 0);
const DAY2 = Date.UTC(2026, 10, 21, 10, 0, 0);
const USERS = ['u1', 'u2', 'u3'];

/** Every events-topic and dead-letter segment file's bytes, with whether it is its partition's last (open) one. */
async function segments(dataDir: string): Promise<Array<{ path: string; open: boolean; text: string }>> {
  const out: Array<{ path: string; open: boolean; text: string }> = [];
  for (const topic of ['events', 'dlq']) {
    const topicDir = join(dataDir, 'log', topic);
    for (const partition of (await readdir(topicDir, { withFileTypes: true })).filter((d) => d.isDirectory())) {
      const dir = join(topicDir, partition.name);
      const files = (await readdir(dir)).filter((f) => f.endsWith('.log')).sort();
      for (const [i, f] of files.entries()) out.push({ path: join(dir, f), open: i === files.length - 1, text: await readFile(join(dir, f), 'latin1') });
    }
  }
  return out;
}

describe('deletion of a user\'s data', { skip: pyarrowSkipReason() }, () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let platform: RunningPlatform;
  let dataDir: string;
  let url: string;
  const pageViewsBefore = async (): Promise<number> => {
    let total = 0;
    for (const page of ['/a', '/b']) for (const w of (await getJson(`${url}/v1/aggregates/page-views?window=1m&page=${page}&limit=1000`)).body.windows as Array<{ count: number }>) total += w.count;
    return total;
  };
  let countedBefore = 0;

  before(async () => {
    tmp = await tempDir();
    dataDir = join(tmp.dir, 'data');
    const config = buildConfig({
      dataDir,
      server: { port: 0 },
      // Small segments: most of the events lie in closed segments an erasure can rewrite.
      log: { partitions: 2, segmentBytes: 4096 },
      cold: { rollRows: 20, rollInterval: '1s' },
      contracts: { unknown: 'accept' },
      quality: { rules: [{ name: 'no-bad-page', match: { type: 'page_view' }, severity: 'error', check: 'regex', field: 'payload.page', pattern: '^/[ab]$' }] },
      probe: { interval: '0s' },
    });
    platform = await startPlatform(config, pino({ level: 'silent' }));
    url = platform.url;
    // 60 page views per user over two days, and one each that the quality rule dead-letters.
    // In event-time order across users, so none is late.
    const events = USERS.map((user, u) => pageView(`${user}-bad`, DAY1 + u, '/nope', user));
    for (let i = 0; i < 60; i++) for (const [u, user] of USERS.entries()) events.push(pageView(`${user}-${i}`, (i < 30 ? DAY1 : DAY2) + i * 60_000 + u * 1000, i % 2 ? '/a' : '/b', user));
    // In small batches: a segment rolls between appends, so these fill several.
    for (let i = 0; i < events.length; i += 10) assert.equal((await postEvents(url, events.slice(i, i + 10))).body.accepted, events.slice(i, i + 10).length);
    await waitForBacklogZero(url);
    await eventually(async () => (readColdStoreWithPyarrow(join(dataDir, 'cold')).events?.rows ?? 0) === 180, 'every event in the cold store').catch(async (err: Error) => {
      // What the archiver says, for a failure seen once in CI and never here.
      const cold = (await getJson(`${url}/v1/status`)).body.cold_store;
      throw new Error(`${err.message}: ${readColdStoreWithPyarrow(join(dataDir, 'cold')).events?.rows} rows in the files; cold_store ${JSON.stringify(cold)}`);
    });
    countedBefore = await pageViewsBefore();
  });
  after(async () => {
    await platform?.stop();
    await tmp?.cleanup();
  });

  it("removes exactly one user's events from the hot store, the cold files and the log's closed segments", { timeout: 60_000 }, async () => {
    const before = await segments(dataDir);
    assert.ok(before.some((s) => !s.open && s.text.includes('"u1"')), 'closed segments held u1 before');

    const requested = await postJson(`${url}/v1/erasures`, { user_id: 'u1' });
    assert.equal(requested.status, 202, JSON.stringify(requested.body));
    assert.equal(requested.body.subject, subjectOf('u1'));
    let view = requested.body;
    await eventually(async () => (view = (await getJson(`${url}/v1/erasures/${requested.body.id}`)).body).state !== 'pending', 'the request applied');
    assert.equal(view.state, 'done', JSON.stringify(view));
    const counts = view.results[0].counts;
    assert.deepEqual(counts.hot, { events: 60, deadLetters: 1 });
    assert.equal(counts.cold.rows, 60);

    // Hot store: none of u1, all of the others.
    assert.equal((await getJson(`${url}/v1/events/recent?user_id=u1&limit=100`)).body.events.length, 0);
    assert.equal((await getJson(`${url}/v1/events/recent?user_id=u2&limit=100`)).body.events.length, 60);
    assert.equal((await getJson(`${url}/v1/dlq?event_id=u1-bad`)).body.dead_letters.length, 0);
    assert.equal((await getJson(`${url}/v1/dlq?event_id=u2-bad`)).body.dead_letters.length, 1);

    // Cold tier, read by pyarrow: the same.
    const cold = readColdStoreWithPyarrow(join(dataDir, 'cold')).events;
    assert.deepEqual(cold.user_ids, { u2: 60, u3: 60 });

    // The log: no closed segment holds u1; what the open ones still hold is what the answer says is left.
    const after = await segments(dataDir);
    for (const s of after.filter((s) => !s.open)) assert.doesNotMatch(s.text, /"u1"/, s.path);
    const left = after.filter((s) => s.open).reduce((n, s) => n + (s.text.match(/"user_id":"u1"/g)?.length ?? 0), 0);
    assert.equal(counts.log.left, left);
    // 61 accepted events (the refused one too: processing refused it), and its dead letter.
    assert.equal(counts.log.records + counts.log.left, 62, 'every u1 record of the events and dead-letter topics was found');
    assert.ok(after.filter((s) => !s.open).reduce((n, s) => n + (s.text.match(/"user_id":"u2"/g)?.length ?? 0), 0) > 0, "other users' records stay");

    // Aggregates keep their counts.
    assert.equal(await pageViewsBefore(), countedBefore);

    // The audit log names the request by a hash prefix, never the id, and records the outcome.
    const entries = (await getJson(`${url}/v1/audit?action=data`)).body.entries as Array<{ action: string; target: string; outcome: string; detail: Record<string, unknown> }>;
    const erase = entries.find((e) => e.action === 'data.erase')!;
    assert.equal(erase.target, `user sha256:${subjectOf('u1').slice(0, 16)}`);
    assert.doesNotMatch(JSON.stringify(entries), /"u1"/);
    const erased = entries.find((e) => e.action === 'data.erased')!;
    assert.equal(erased.outcome, 'ok');
    assert.equal(erased.detail.hot_events, 60);
  });

  it('keeps events outside the requested event-time range', { timeout: 60_000 }, async () => {
    const requested = await postJson(`${url}/v1/erasures`, { user_id: 'u2', from: '2026-11-21', to: Date.UTC(2026, 10, 21, 23, 59, 59) });
    assert.equal(requested.status, 202);
    let view = requested.body;
    await eventually(async () => (view = (await getJson(`${url}/v1/erasures/${requested.body.id}`)).body).state !== 'pending', 'the request applied');
    assert.equal(view.results[0].counts.hot.events, 30);
    const left = (await getJson(`${url}/v1/events/recent?user_id=u2&limit=100`)).body.events as Array<{ timestamp: number }>;
    assert.equal(left.length, 30);
    assert.ok(left.every((e) => e.timestamp < DAY2));
    assert.deepEqual(readColdStoreWithPyarrow(join(dataDir, 'cold')).events.user_ids, { u2: 30, u3: 60 });
  });

  it('refuses bad requests with a code and erases nothing', async () => {
    for (const body of [{}, { user_id: '' }, { user_id: 'u3', from: 'yesterday' }, { user_id: 'u3', extra: 1 }, { user_id: 'u3', from: DAY2, to: DAY1 }]) {
      const res = await postJson(`${url}/v1/erasures`, body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match(res.body.code, /^SL_/);
    }
    assert.equal((await getJson(`${url}/v1/erasures/er_0000000000000000`)).status, 404);
    assert.equal((await getJson(`${url}/v1/events/recent?user_id=u3&limit=100`)).body.events.length, 60, 'nothing was erased by a refused request');
  });
});
