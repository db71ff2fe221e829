import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encodeEventRows } from '../../src/core/event-rows.js';
import type { EventRow, ProcessedBatch } from '../../src/core/ports/processed-batch.js';
import type { HotStore } from '../../src/core/ports/hot-store.js';

const T0 = Date.UTC(2026, 10, 26, 7, 0, 0);

function row(id: string, timestamp: number, logPos: number, extra: { source?: string; userId?: string; enrichment?: string } = {}): EventRow {
  const event = { id, source: extra.source ?? 'web', type: 'page_view', timestamp, payload: { user_id: extra.userId ?? 'u1', page: '/' } };
  return { logPos, id, timestamp, userId: event.payload.user_id, late: false, json: Buffer.from(JSON.stringify(event)), metadata: extra.enrichment ? JSON.stringify({ enrichment: JSON.parse(extra.enrichment) }) : null };
}

function batch(over: Partial<Omit<ProcessedBatch, 'rows'>> & { rows?: EventRow[] }): ProcessedBatch {
  const { rows = [], ...rest } = over;
  return { pipeline: 'main', windows: [], finalBounds: {}, watermark: null, streams: [], offsets: new Map(), duplicates: 0, late: 0, ...rest, rows: encodeEventRows(rows) };
}

/** The contract every HotStore adapter passes: atomic batch commits, checkpoints and the queries the API serves. */
export function hotStoreContract(name: string, open: () => Promise<{ store: HotStore; teardown: () => Promise<void> }>): void {
  describe(`HotStore contract: ${name}`, () => {
    let store: HotStore;
    let teardown: () => Promise<void>;
    before(async () => {
      ({ store, teardown } = await open());
    });
    after(async () => teardown());

    it('starts from an empty checkpoint', async () => {
      const c = await store.loadCheckpoint('main', 3);
      assert.deepEqual([...c.offsets], [[0, 0], [1, 0], [2, 0]]);
      assert.equal(c.watermark, null);
      assert.deepEqual(c.finalBounds, {});
      assert.deepEqual(c.streams, []);
      assert.deepEqual(c.openWindows, []);
    });

    it('commits rows, window counts and offsets together, and gives them back as the checkpoint', async () => {
      await store.commit(
        batch({
          rows: [row('a', T0 + 1000, 1), row('b', T0 + 2000, 2, { userId: 'u2' }), row('c', T0 + 61_000, 3, { source: 'app' })],
          traceRuns: [{ partition: 0, fromOffset: 2, toOffset: 3, traceId: '4bf92f3577b34da6a3ce929d0e0e4736' }],
          windows: [
            { name: 'pv', window: '1m', windowStart: T0, windowEnd: T0 + 60_000, group: '/', stream: 'web/page_view', count: 2 },
            { name: 'pv', window: '1m', windowStart: T0 + 60_000, windowEnd: T0 + 120_000, group: '/', stream: 'web/page_view', count: 1 },
          ],
          watermark: T0 + 56_000,
          offsets: new Map([[0, 3], [1, 0], [2, 0]]),
          duplicates: 4,
          late: 1,
        }),
      );
      const c = await store.loadCheckpoint('main', 3);
      assert.deepEqual([...c.offsets], [[0, 3], [1, 0], [2, 0]]);
      assert.equal(c.watermark, T0 + 56_000);
      assert.equal(c.duplicates, 4);
      assert.equal(c.late, 1);
      assert.equal(c.openWindows.length, 2);
      assert.deepEqual(await store.existingIds(['a', 'zz', 'c']), new Set(['a', 'c']));
      assert.deepEqual((await store.idsSince(T0 + 1500)).map((x) => x.id).sort(), ['b', 'c']);
    });

    it('finds a stored event by id, with its log position and the commit that wrote it', async () => {
      const found = await store.eventById('b');
      assert.equal(found?.id, 'b');
      assert.equal(found?.logPos, 2);
      assert.equal(found?.commitNo, 1);
      assert.equal(found?.late, false);
      assert.equal(found?.timestamp, T0 + 2000);
      assert.equal(found?.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
      assert.equal((await store.eventById('a'))?.traceId, null, 'outside every run');
      assert.equal((await store.eventById('c'))?.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
      assert.equal(await store.eventById('nope'), undefined);
    });

    it('replaces window shares (they are absolute), finalizes windows by their aggregation\'s bound, and restores only shares open for their stream', async () => {
      await store.commit(
        batch({
          windows: [{ name: 'pv', window: '1m', windowStart: T0, windowEnd: T0 + 60_000, group: '/', stream: 'web/page_view', count: 5 }],
          watermark: T0 + 125_000,
          streams: [{ stream: 'web/page_view', watermark: T0 + 125_000, finalizedThrough: T0 + 65_000, maxEventTime: T0 + 130_000, lastEventAt: T0 + 131_000 }],
          finalBounds: { pv: T0 + 60_000 },
          offsets: new Map([[0, 4]]),
        }),
      );
      const windows = await store.aggregates({ name: 'pv', window: '1m', limit: 10 });
      assert.deepEqual(windows.map((w) => [w.windowStart - T0, w.count, w.final]), [[0, 5, true], [60_000, 1, false]]);
      const c = await store.loadCheckpoint('main', 3);
      assert.deepEqual(c.finalBounds, { pv: T0 + 60_000 });
      assert.deepEqual(c.streams, [{ stream: 'web/page_view', watermark: T0 + 125_000, finalizedThrough: T0 + 65_000, maxEventTime: T0 + 130_000, lastEventAt: T0 + 131_000 }]);
      assert.deepEqual(c.openWindows.map((w) => w.windowStart), [T0 + 60_000], 'only open windows are restored');
      assert.deepEqual((await store.aggregates({ name: 'pv', window: '1m', from: T0 + 1, limit: 10 })).length, 1);
      assert.deepEqual((await store.aggregates({ name: 'pv', window: '1m', to: T0 + 1, limit: 10 })).length, 1);
      assert.deepEqual((await store.aggregates({ name: 'pv', window: '1m', group: '/nope', limit: 10 })).length, 0);
      assert.deepEqual((await store.aggregates({ name: 'pv', window: '5m', limit: 10 })).length, 0);
    });

    it('serves recent events newest first, filtered, before a cursor', async () => {
      const all = await store.recentEvents({ limit: 10 });
      assert.deepEqual(all.map((e) => e.id), ['c', 'b', 'a']);
      assert.deepEqual(all[0]!.payload, { user_id: 'u1', page: '/' });
      assert.deepEqual(all[0]!.metadata, {}, 'an event stored without metadata reads back with {}');
      assert.deepEqual((await store.recentEvents({ limit: 10, source: 'app' })).map((e) => e.id), ['c']);
      assert.deepEqual((await store.recentEvents({ limit: 10, userId: 'u2' })).map((e) => e.id), ['b']);
      assert.deepEqual((await store.recentEvents({ limit: 10, type: 'other' })).map((e) => e.id), []);
      const first = all[0]!;
      assert.deepEqual((await store.recentEvents({ limit: 10, before: { timestamp: first.timestamp, logPos: first.logPos } })).map((e) => e.id), ['b', 'a']);
    });

    it('stores the metadata a row brings instead of the event\'s own, exactly (nulls included)', async () => {
    const json = Buffer.from(JSON.stringify({ id: 'e', source: 'web', type: 'page_view', timestamp: T0 + 4000, payload: { user_id: 7 }, metadata: { traceparent: 'x', enrichment: { vip: true } } }));
    const metadata = JSON.stringify({ traceparent: 'x', enrichment: { plan: 'pro', region: null } });
    await store.commit(batch({ rows: [{ logPos: 20, id: 'e', timestamp: T0 + 4000, userId: '7', late: false, json, metadata }], offsets: new Map([[0, 4]]) }));
    const [e] = await store.recentEvents({ limit: 1, userId: '7' });
    assert.deepEqual(e!.metadata, { traceparent: 'x', enrichment: { plan: 'pro', region: null } });
  });

  it('commits nothing of a batch that fails part way', async () => {
      const before = await store.loadCheckpoint('main', 3);
      await assert.rejects(
        store.commit(
          batch({ rows: [row('good', T0, 10), { ...row('bad', T0, 11), json: Buffer.from('{"id":"bad","timestamp":"not a number"}') }], offsets: new Map([[0, 99]]), watermark: T0 + 999_999 }),
        ),
        (err: any) => err.code === 'SL_STORE_WRITE_FAILED',
      );
      const afterFail = await store.loadCheckpoint('main', 3);
      assert.deepEqual(afterFail.offsets, before.offsets);
      assert.equal(afterFail.watermark, before.watermark);
      assert.deepEqual(await store.existingIds(['good']), new Set());
      await store.commit(batch({ rows: [row('d', T0 + 3000, 12)], offsets: new Map([[0, 5]]), watermark: T0 + 125_000, finalBounds: { pv: T0 + 60_000 } }));
      assert.deepEqual(await store.existingIds(['d']), new Set(['d']), 'the store works after a failed commit');
    });

    it('sums each partition\'s share of a window (distributed mode), replacing a share, finalizing by the bound every partition passed', async () => {
      const W = T0 + 3_600_000;
      const share = (partition: number, count: number, over: Partial<Omit<ProcessedBatch, 'rows'>> = {}): ProcessedBatch =>
        batch({
          pipeline: `dist#${partition}`,
          windows: [{ name: 'dist', window: '1m', windowStart: W, windowEnd: W + 60_000, group: '/x', stream: 'web/page_view', count }],
          offsets: new Map([[partition, count]]),
          scope: { partition, finalizeAggregates: {} },
          ...over,
        });
      const count = async (): Promise<Array<{ count: number; final: boolean }>> =>
        (await store.aggregates({ name: 'dist', window: '1m', limit: 10 })).map((r) => ({ count: r.count, final: r.final }));
      await store.commit(share(0, 3));
      await store.commit(share(1, 5));
      assert.deepEqual(await count(), [{ count: 8, final: false }]);
      // A share is absolute: replayed or grown, it replaces the partition's previous share.
      await store.commit(share(0, 3));
      await store.commit(share(0, 4));
      assert.deepEqual(await count(), [{ count: 9, final: false }]);
      const own = await store.loadCheckpoint('dist#1', 2);
      assert.equal(own.offsets.get(1), 5, 'each partition keeps its own offsets');
      // Partition 1 is past the window on its own, but the pipeline-wide bound is not yet.
      await store.commit(share(1, 6, { finalBounds: { dist: W + 60_000 }, scope: { partition: 1, finalizeAggregates: {} } }));
      assert.deepEqual(await count(), [{ count: 10, final: false }]);
      await store.commit(share(0, 4, { finalBounds: { dist: W + 60_000 }, scope: { partition: 0, finalizeAggregates: { dist: W + 60_000 } } }));
      assert.deepEqual(await count(), [{ count: 10, final: true }]);
      // A partition that had processed nothing when the others passed the window adds its share:
      // the count stays the sum of every share, and the window stays final.
      await store.commit(share(2, 2));
      assert.deepEqual(await count(), [{ count: 12, final: true }]);
    });

    it('sums each stream\'s share of a window; a stream that starts later corrects a final window, which stays final', async () => {
      const W = T0 + 7_200_000;
      const share = (stream: string, count: number, over: Partial<Omit<ProcessedBatch, 'rows'>> = {}): ProcessedBatch =>
        batch({ pipeline: 'streams', windows: [{ name: 'st', window: '1m', windowStart: W, windowEnd: W + 60_000, group: '/', stream, count }], ...over });
      const count = async (): Promise<Array<{ count: number; final: boolean }>> =>
        (await store.aggregates({ name: 'st', window: '1m', limit: 10 })).map((r) => ({ count: r.count, final: r.final }));
      await store.commit(share('web/page_view', 3));
      await store.commit(share('app/page_view', 2));
      await store.commit(share('web/page_view', 4));
      assert.deepEqual(await count(), [{ count: 6, final: false }]);
      await store.commit(share('app/page_view', 2, { finalBounds: { st: W + 60_000 } }));
      assert.deepEqual(await count(), [{ count: 6, final: true }]);
      await store.commit(share('backfill/page_view', 5));
      assert.deepEqual(await count(), [{ count: 11, final: true }]);
    });

    it('commits several batches in one transaction, in order, each with its own commit number: all of them or none', async () => {
      const before = await store.loadCheckpoint('all#0', 1);
      await assert.rejects(
        store.commitAll([
          batch({ pipeline: 'all#0', rows: [row('all-1', T0 + 7000, 70)], offsets: new Map([[0, 1]]) }),
          batch({ pipeline: 'all#1', rows: [{ ...row('all-bad', T0, 71), json: Buffer.from('{"id":"all-bad","timestamp":"x"}') }], offsets: new Map([[1, 1]]) }),
        ]),
        (err: any) => err.code === 'SL_STORE_WRITE_FAILED',
      );
      assert.deepEqual(await store.existingIds(['all-1']), new Set(), 'the first batch is rolled back with the second');
      assert.deepEqual((await store.loadCheckpoint('all#0', 1)).offsets, before.offsets);
      await store.commitAll([
        batch({ pipeline: 'all#0', rows: [row('all-1', T0 + 7000, 70)], offsets: new Map([[0, 1]]) }),
        batch({ pipeline: 'all#1', rows: [row('all-2', T0 + 7001, 71)], offsets: new Map([[1, 1]]) }),
      ]);
      const [first, second] = [await store.eventById('all-1'), await store.eventById('all-2')];
      assert.equal(second!.commitNo, first!.commitNo + 1);
      assert.equal((await store.loadCheckpoint('all#0', 1)).offsets.get(0), 1);
      assert.equal((await store.loadCheckpoint('all#1', 2)).offsets.get(1), 1);
    });

    it('sums quality counts per dataset, rule and bucket across commits, in the batch\'s transaction', async () => {
      const q = (passed: number, failed: number, bucketStart = T0) => ({ dataset: 'web.page_view', rule: 'r1', severity: 'error' as const, bucketStart, bucketEnd: bucketStart + 60_000, passed, failed });
      await store.commit(batch({ offsets: new Map([[0, 6]]), quality: [q(3, 1), q(1, 0, T0 + 60_000)] }));
      await store.commit(batch({ offsets: new Map([[0, 7]]), quality: [q(2, 2)] }));
      const rows = await store.qualitySummary({ dataset: 'web.page_view', limit: 10 });
      assert.deepEqual(rows.map((r) => [r.bucketStart - T0, r.passed, r.failed]), [[60_000, 1, 0], [0, 5, 3]]);
      assert.deepEqual(await store.qualitySummary({ rule: 'other', limit: 10 }), []);
      assert.equal((await store.qualitySummary({ from: T0 + 1, limit: 10 })).length, 1);
    });

    it('indexes dead letters exactly once, applies replay outcomes in topic order, and pages them newest first', async () => {
      const letter = (id: string, code: string, extra: Record<string, unknown> = {}) => ({
        kind: 'letter' as const,
        letter: { id, at: T0, reason: { code, stage: 'process' as const, message: `m ${id}` }, original: Buffer.from(`{"id":"${id}"}`), eventId: `ev-${id}`, source: 'web', type: 'page_view', ...extra },
      });
      assert.deepEqual([...(await store.loadOffsets('dlq-index', 1))], [[0, 0]]);
      await store.commitDeadLetters({
        consumer: 'dlq-index',
        records: [letter('0-0', 'SL_QUALITY_FAILED', { origin: 'events/1/5', reason: { code: 'SL_QUALITY_FAILED', stage: 'process', message: 'x', rule: 'r1' } }), letter('0-1', 'SL_EVENT_LATE')],
        offsets: new Map([[0, 2]]),
      });
      // A replayed batch dead-letters event events/1/5 again: a repeat, not a new letter.
      await store.commitDeadLetters({
        consumer: 'dlq-index',
        records: [
          letter('0-2', 'SL_QUALITY_FAILED', { origin: 'events/1/5' }),
          { kind: 'outcome', outcome: { entry: '0-1', outcome: 'replayed', at: T0 + 1 } },
          letter('0-4', 'SL_QUALITY_FAILED', { origin: 'events/2/9', replayOf: '0-1' }),
        ],
        offsets: new Map([[0, 5]]),
      });
      assert.deepEqual([...(await store.loadOffsets('dlq-index', 1))], [[0, 5]]);
      const all = await store.deadLetters({ limit: 10 });
      assert.deepEqual(all.map((d) => d.id), ['0-4', '0-1', '0-0']);
      assert.equal(all[2]!.reason.rule, 'r1');
      assert.equal(all[2]!.original.toString(), '{"id":"0-0"}');
      // The outcome came first, then the replayed event failed again: the failure is the last word.
      assert.deepEqual({ ...all[1]!.replay, at: 0 }, { entry: '0-1', outcome: 'failed', at: 0, code: 'SL_QUALITY_FAILED', message: 'm 0-4' });
      assert.deepEqual((await store.deadLetters({ limit: 10, code: 'SL_EVENT_LATE' })).map((d) => d.id), ['0-1']);
      assert.deepEqual((await store.deadLetters({ limit: 10, replayed: false })).map((d) => d.id), ['0-4', '0-1', '0-0']);
      assert.deepEqual((await store.deadLetters({ limit: 10, before: '0-4' })).map((d) => d.id), ['0-1', '0-0']);
      assert.equal((await store.deadLetter('0-4'))?.replayOf, '0-1');
      assert.equal(await store.deadLetter('0-3'), undefined);
    });

    it('answers what restarts and lineage need: field values since a time, newest event time per source, columns, a write probe', async () => {
      const values = await store.fieldValuesSince(T0, { source: 'web' }, ['payload', 'user_id']);
      assert.ok(values.some((v) => v.value === 'u2'));
      assert.ok(values.every((v) => v.timestamp >= T0));
      assert.deepEqual(await store.fieldValuesSince(T0, { type: 'nothing' }, ['payload', 'user_id']), []);
      const newest = new Map((await store.newestEventTimes()).map((n) => [n.source, n.timestamp]));
      assert.equal(newest.get('app'), T0 + 61_000);
      const columns = new Map((await store.columns()).map((t) => [t.table, t.columns.map((c) => c.name)]));
      assert.ok(columns.get('events')?.includes('payload'));
      assert.ok(![...columns.keys()].some((t) => t.startsWith('sl_')), 'no bookkeeping tables');
      assert.equal(await store.writable(), undefined);
    });
  });
}
