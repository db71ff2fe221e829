import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PROBE_SOURCE, PROBE_TYPE } from '../../../src/core/probe-event.js';
import type { LogRecord } from '../../../src/core/ports/log.js';
import type { PipelineSpec, PipelineState } from '../../../src/process/batch-plan.js';
import { emptyState, planAndApply, type PlannedBatch, stateFromCheckpoint } from '../../../src/process/planner.js';
import { testSpec } from '../../helpers/pipeline-spec.js';

// Event time per stream (source/type), driven through the planner with a test clock: `now` is
// what the processor passes as processing time.

const T0 = Date.UTC(2026, 10, 26, 12, 0, 0);
const HOUR = 3_600_000;
const spec: PipelineSpec = testSpec({ lateEvents: 'dead-letter' });

let offset = 0;
function event(id: string, source: string, timestamp: number, page = '/home', type = 'page_view', partition = 0): LogRecord {
  const value = { id, source, type, timestamp, payload: { user_id: 'u1', page }, metadata: {} };
  return { topic: 'events', partition, offset: offset++, key: id, value: Buffer.from(JSON.stringify(value)), timestamp, headers: {} };
}

/** A pipeline's planner state and its clock: each batch is planned and applied at `now`. */
function pipeline(s: PipelineSpec = spec) {
  const state: PipelineState = emptyState(s);
  const planned: PlannedBatch[] = [];
  return {
    state,
    planned,
    async batch(records: LogRecord[], now: number, withUnread: number[] = []): Promise<PlannedBatch> {
      const plan = await planAndApply(state, s, undefined, records, withUnread, new Map(), async () => new Set(), now);
      planned.push(plan);
      return plan;
    },
    /** The count of a page's 1m window as the batches so far left it (the latest share of each stream, summed). */
    count(windowStart: number, page = '/home', window = '1m'): number {
      const shares = new Map<string, number>();
      for (const plan of planned) for (const w of plan.windows) if (w.window === window && w.windowStart === windowStart && w.group === page) shares.set(w.stream, w.count);
      return [...shares.values()].reduce((a, b) => a + b, 0);
    },
  };
}

const stream = (plan: PlannedBatch, name: string) => plan.streams.find((s) => s.stream === name);

describe('event time per stream', () => {
  it('keeps two sources an hour apart both on time, counted in the same windows', async () => {
    const p = pipeline();
    const now = T0 + HOUR + 10_000;
    // Interleaved batches: web is current, mobile uploads an hour late.
    for (let i = 0; i < 10; i++) {
      const plan = await p.batch([event(`w${i}`, 'web', T0 + HOUR + i * 1000), event(`m${i}`, 'mobile', T0 + i * 1000)], now + i * 1000);
      assert.equal(plan.late, 0, `batch ${i}: nothing is late`);
      assert.equal(plan.deadLetters.length, 0);
      assert.equal(plan.rows.count, 2);
    }
    assert.equal(p.count(T0), 10, "mobile's window, counted though web is an hour ahead");
    assert.equal(p.count(T0 + HOUR), 10);
    const last = p.planned.at(-1)!;
    assert.equal(stream(last, 'web/page_view')!.watermark, T0 + HOUR + 9000 - 5000);
    assert.equal(stream(last, 'mobile/page_view')!.watermark, T0 + 9000 - 5000);
    // The window spans both streams: final only where both have passed it.
    assert.equal(last.finalBounds['page-views'], T0 + 9000 - 5000 - 60_000);
    assert.equal(last.watermark, T0 + 4000, "the pipeline's watermark is the lowest stream's");
  });

  it('does not move past unread partitions the stream has not appeared in yet (the tour sent after the probe has run)', async () => {
    const p = pipeline();
    const now = T0 + 30 * 60_000;
    // The probe has been read from every partition: none is unknown any more.
    await p.batch([0, 1, 2, 3].map((partition) => event(`probe-${partition}`, PROBE_SOURCE, now, '/', PROBE_TYPE, partition)), now);
    // One send of ten minutes of page views, spread over the partitions: the processor has read
    // partition 0's share while partition 2's (the oldest events among them) is still unread.
    const first = await p.batch(
      Array.from({ length: 10 }, (_, i) => event(`pv-${i}`, 'web', T0 + i * 60_000, '/home', 'page_view', 0)),
      now + 1000,
      [2],
    );
    assert.equal(stream(first, 'web/page_view')!.watermark, null, 'held by the unread partition');
    const rest = await p.batch([event('pv-old', 'web', T0 + 10_000, '/home', 'page_view', 2)], now + 2000);
    assert.equal(rest.late, 0, 'the unread share is on time');
    assert.equal(p.count(T0), 2);
    assert.equal(stream(rest, 'web/page_view')!.watermark, T0 + 9 * 60_000 - 5000, 'with nothing unread, the highest applies');
  });

  it('judges lateness by the event\'s own stream only', async () => {
    const p = pipeline();
    const now = T0 + HOUR;
    await p.batch([event('w1', 'web', T0 + HOUR), event('m1', 'mobile', T0)], now);
    const plan = await p.batch([event('m-late', 'mobile', T0 - 70_000), event('m-ok', 'mobile', T0 - 60_000), event('w-late', 'web', T0 + HOUR - 70_000)], now);
    assert.deepEqual(plan.deadLetters.map((d) => d.eventId).sort(), ['m-late', 'w-late']);
    assert.match(plan.deadLetters.find((d) => d.eventId === 'm-late')!.reason.message, /stream mobile\/page_view: watermark minus 60000 ms allowed lateness/);
  });

  it('counts a backfill of last week into a running platform, within its own stream\'s lateness rules', async () => {
    const p = pipeline();
    const now = T0 + 7 * 24 * HOUR;
    await p.batch([event('live-1', 'web', now - 1000)], now);
    const weekAgo = T0;
    const backfill = Array.from({ length: 600 }, (_, i) => event(`bf${i}`, 'import', weekAgo + i * 1000, `/p${i % 3}`));
    let late = 0;
    for (let i = 0; i < backfill.length; i += 100) late += (await p.batch(backfill.slice(i, i + 100), now + i)).late;
    assert.equal(late, 0, 'none of last week is late');
    assert.equal(p.count(weekAgo, '/p0', '5m'), 100, 'counted in last week\'s windows');
    // Within its own rules: the backfill stream's watermark is at its own newest event now.
    const afterBackfill = await p.batch([event('bf-too-old', 'import', weekAgo + 500_000 - 70_000), event('live-2', 'web', now)], now + 1000);
    assert.deepEqual(afterBackfill.deadLetters.map((d) => d.eventId), ['bf-too-old']);
    assert.equal(afterBackfill.rows.count, 1, 'the live source is untouched');
  });

  it('takes per-source rules: a stream allowed an hour of lateness keeps events another would refuse', async () => {
    const relaxed: PipelineSpec = { ...spec, streamRules: { mobile: { allowedLatenessMs: HOUR }, 'web/click': { allowedLatenessMs: 1000 } } };
    const p = pipeline(relaxed);
    const now = T0 + HOUR;
    await p.batch([event('m1', 'mobile', T0 + HOUR), event('w1', 'web', T0 + HOUR), event('c1', 'web', T0 + HOUR, '/', 'click')], now);
    const plan = await p.batch([event('m-old', 'mobile', T0 + 10 * 60_000), event('w-old', 'web', T0 + 10 * 60_000), event('c-old', 'web', T0 + HOUR - 10_000, '/', 'click')], now);
    assert.deepEqual(plan.deadLetters.map((d) => d.eventId).sort(), ['c-old', 'w-old']);
  });
});

describe('idle streams', () => {
  it('close their windows on the processing clock after the idle timeout, and an empty batch says so', async () => {
    const p = pipeline();
    const now = T0 + 10_000;
    await p.batch([event('a', 'web', T0 + 1000), event('b', 'web', T0 + 2000)], now);
    const quiet = await p.batch([], now + 59_000);
    assert.equal(quiet.finalizes, false, 'not idle yet');
    assert.equal(quiet.finalBounds['page-views'], T0 + 2000 - 5000 - 60_000);
    // Idle from now + 60 s; the watermark then moves with the wall clock from where it stood.
    const idle1 = await p.batch([], now + 60_000 + 2 * 60_000);
    assert.equal(stream(idle1, 'web/page_view')!.watermark, T0 + 2000 - 5000 + 2 * 60_000);
    assert.equal(idle1.finalizes, true, 'the 1m window [T0, T0+1m) is final now');
    assert.equal(idle1.finalBounds['page-views'], T0 + 2000 - 5000 + 60_000);
    // Long after: final through the newest window (the 5m one), and no further.
    const later = await p.batch([], now + 24 * HOUR);
    assert.equal(later.finalBounds['page-views'], T0 + 5 * 60_000);
    assert.equal(later.finalizes, true);
    assert.equal(p.state.windows.size, 0, 'no window of the stream is open any more');
    const still = await p.batch([], now + 25 * HOUR);
    assert.equal(still.finalizes, false, 'nothing left to close: no commit is needed');
    assert.equal(still.finalBounds['page-views'], T0 + 5 * 60_000);
    // The stream comes back: an event in a closed window is late, one after it is on time.
    const back = await p.batch([event('in-closed', 'web', T0 + 4 * 60_000), event('after', 'web', T0 + 5 * 60_000)], now + 25 * HOUR);
    assert.deepEqual(back.deadLetters.map((d) => d.eventId), ['in-closed']);
    assert.equal(back.rows.count, 1);
  });

  it('do not move while records are unread (a processor catching up is not idle)', async () => {
    const p = pipeline();
    await p.batch([event('a', 'web', T0 + 1000, '/home', 'page_view', 0)], T0 + 10_000);
    const behind = await p.batch([], T0 + HOUR, [0]);
    assert.equal(stream(behind, 'web/page_view')!.watermark, T0 + 1000 - 5000);
    assert.equal(behind.finalizes, false);
  });

  it('stop holding back a window they share with a stream still sending', async () => {
    const p = pipeline();
    const now = T0 + HOUR;
    await p.batch([event('m', 'mobile', T0 + 1000), event('w', 'web', T0 + 30 * 60_000)], now);
    const shared = await p.batch([event('w2', 'web', T0 + 31 * 60_000)], now + 30_000);
    assert.equal(shared.finalBounds['page-views'], T0 + 1000 - 5000 - 60_000, 'mobile holds the shared windows back');
    // mobile goes quiet; web keeps sending: once mobile is idle, web alone gates the windows.
    const gated = await p.batch([event('w3', 'web', T0 + 32 * 60_000)], now + 61_000);
    assert.equal(gated.finalBounds['page-views'], T0 + 32 * 60_000 - 5000 - 60_000);
  });

  it('resume after a restart from the checkpoint, idle time included', async () => {
    const p = pipeline();
    await p.batch([event('a', 'web', T0 + 1000)], T0 + 10_000);
    const restarted = stateFromCheckpoint(
      spec,
      { offsets: new Map(), watermark: null, streams: p.planned[0]!.streams, finalBounds: p.planned[0]!.finalBounds, openWindows: p.planned[0]!.windows, commitNo: 1, duplicates: 0, late: 0 },
      [],
    );
    const plan = await planAndApply(restarted, spec, undefined, [], [], new Map(), async () => new Set(), T0 + 10_000 + 60_000 + 10 * 60_000);
    assert.equal(plan.finalBounds['page-views'], T0 + 5 * 60_000);
    assert.equal(plan.finalizes, true);
  });
});

describe('the probe\'s stream', () => {
  it('makes no user event late, counts in no window, and gates nothing', async () => {
    const p = pipeline();
    const now = T0 + 10 * 24 * HOUR;
    await p.batch([event('probe-1', PROBE_SOURCE, now, '/', PROBE_TYPE)], now);
    const plan = await p.batch([event('tour-1', 'web', T0), event('probe-2', PROBE_SOURCE, now + 30_000, '/', PROBE_TYPE)], now + 30_000);
    assert.equal(plan.late, 0);
    assert.equal(plan.rows.count, 2, 'probe events are stored, to be read back');
    assert.deepEqual(plan.windows.map((w) => w.stream), ['web/page_view', 'web/page_view'], 'only the user event is counted (1m and 5m)');
    assert.deepEqual(Object.keys(plan.newestBySource), ['web']);
    assert.equal(plan.watermark, T0 - 5000, "the pipeline's watermark is the user streams'");
    assert.equal(plan.finalBounds['page-views'], T0 - 5000 - 60_000);
  });
});
