import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LogRecord } from '../../../src/core/ports/log.js';
import type { ReferenceData } from '../../../src/core/ports/reference-data.js';
import { assembleBatch, classifyBatch, logPosition, type PipelineSpec, type PipelineState } from '../../../src/process/batch-plan.js';
import { DedupState } from '../../../src/process/stages/dedup.js';
import { windowKey } from '../../../src/core/window-key.js';
import { emptyState } from '../../../src/process/planner.js';
import type { StreamClock, StreamRules } from '../../../src/process/stages/event-time.js';
import { rulesFor } from '../../../src/process/stream-rules.js';
import { testSpec } from '../../helpers/pipeline-spec.js';

const T0 = Date.UTC(2026, 10, 26, 12, 0, 0);
const spec: PipelineSpec = testSpec({ joinOn: ['payload', 'user_id'] });

let offset = 0;
function record(id: string, timestamp: number, page = '/home', user = 'u1', partition = 0): LogRecord {
  const event = { id, source: 'web', type: 'page_view', timestamp, payload: { user_id: user, page }, metadata: {} };
  return { topic: 'events', partition, offset: offset++, key: id, value: Buffer.from(JSON.stringify(event)), timestamp, headers: {} };
}

const freshState = (): PipelineState => emptyState(spec);
const STREAM = 'web/page_view';

/** The web/page_view stream's clock at a watermark, as a state restored from a checkpoint holds it. */
function clockAt(watermark: number, finalizedThrough: number | null = null, rules: StreamRules = rulesFor(spec, 'web', 'page_view')): Map<string, StreamClock> {
  return new Map([[STREAM, { stream: STREAM, source: 'web', type: 'page_view', rules, watermark, finalizedThrough, maxEventTime: watermark + 5_000, lastEventAt: Date.now(), maxByPartition: new Map() }]]);
}
const reference: ReferenceData = {
  lookup: (k) => (k === 'u1' ? { plan: 'pro', country: 'DE' } : undefined),
  info: () => ({ rows: 1, loadedAt: 0, source: 'test', lastError: null }),
  close: async () => undefined,
};

function run(records: LogRecord[], state: PipelineState, stored = new Set<string>(), withUnread = new Set<number>()) {
  const c = classifyBatch(records, state, spec, withUnread);
  return { classification: c, plan: assembleBatch(c, stored, state, spec, reference, new Map()) };
}

describe('batch plan', () => {
  it('drops repeats within the batch and those the dedup state knows', () => {
    const state = freshState();
    const seen = new DedupState(spec.dedupWindowMs);
    seen.add('seen-before', T0);
    state.dedup.set('app/click', seen);
    const { plan } = run([record('a', T0), record('a', T0), record('seen-before', T0), record('b', T0 + 1)], state);
    assert.deepEqual(plan.rows.map((r) => r.id), ['a', 'b']);
    assert.equal(plan.duplicates, 2);
    assert.deepEqual(plan.newIds.map((x) => x.id), ['a', 'b'], 'an id is a repeat whichever stream held it');
  });

  it('counts page views per page into 1m and 5m tumbling windows with absolute counts', () => {
    const state = freshState();
    const k = windowKey('page-views', '1m', T0, '/home', STREAM);
    state.windows.set({ name: 'page-views', window: '1m', windowStart: T0, windowEnd: T0 + 60_000, group: '/home', stream: STREAM, count: 10 });
    const { plan } = run([record('a', T0 + 1000), record('b', T0 + 2000), record('c', T0 + 61_000), record('d', T0 + 3000, '/about')], state);
    const find = (w: string, start: number, page: string) => plan.windows.find((x) => x.window === w && x.windowStart === start && x.group === page)?.count;
    assert.equal(find('1m', T0, '/home'), 12, 'adds to the count the state holds');
    assert.equal(find('1m', T0 + 60_000, '/home'), 1);
    assert.equal(find('1m', T0, '/about'), 1);
    assert.equal(find('5m', T0, '/home'), 3);
    assert.equal(state.windows.count(k), 10, 'state is not changed by planning');
  });

  it('marks events older than the batch-start watermark minus the lateness as late, then advances the watermark', () => {
    const state = freshState();
    const first = run([record('new', T0 + 600_000)], state);
    assert.equal(first.plan.watermark, T0 + 600_000 - 5_000);
    assert.equal(first.plan.finalBounds['page-views'], T0 + 600_000 - 5_000 - 60_000);
    state.streams = first.plan.clocks;
    const { plan } = run([record('on-time', T0 + 600_000 - 65_000), record('late', T0 + 600_000 - 65_001)], state);
    assert.deepEqual(plan.rows.map((r) => [r.id, r.late]), [['on-time', false], ['late', true]]);
    assert.equal(plan.late, 1);
    const window = plan.windows.find((w) => w.windowStart === T0 + 480_000 && w.window === '1m');
    assert.equal(window?.count, 1, 'only the on-time event counts in its window; the late one is left out');
    assert.equal(plan.watermark, first.plan.watermark, 'older events do not move the watermark back');
  });

  it('treats events before what was already finalized as late, even if the allowed lateness grew since', () => {
    const state = freshState();
    const wider = { ...spec, allowedLatenessMs: 3_600_000 };
    state.streams = clockAt(T0 + 600_000, T0 + 590_000, rulesFor(wider, 'web', 'page_view'));
    const c = classifyBatch([record('in-final-window', T0 + 589_999), record('open', T0 + 590_000)], state, wider);
    const plan = assembleBatch(c, new Set(), state, wider, reference, new Map());
    assert.deepEqual(plan.rows.map((r) => [r.id, r.late]), [['in-final-window', true], ['open', false]]);
    assert.equal(plan.streams[0]!.finalizedThrough, T0 + 590_000, 'what is final stays final');
  });

  it('does not let an event stamped in the future move the watermark past the present', () => {
    const now = T0 + 1_000_000;
    const c = classifyBatch([record('from-a-bad-clock', now + 3_600_000)], freshState(), spec, new Set(), now);
    assert.equal(c.clocks.get(STREAM)!.watermark, now - 5_000);
  });

  it('holds the watermark at the slowest partition that still has unread records', () => {
    const state = freshState();
    const records = [record('p0', T0 + 600_000, '/', 'u1', 0), record('p1', T0 + 60_000, '/', 'u1', 1)];
    assert.equal(run(records, state, new Set(), new Set([1])).plan.watermark, T0 + 60_000 - 5_000, 'partition 1 is behind');
    assert.equal(run(records, state, new Set(), new Set([2])).plan.watermark, null, 'partition 2 has unread records and none read yet');
    assert.equal(run(records, state, new Set(), new Set()).plan.watermark, T0 + 600_000 - 5_000, 'all read: the highest applies');
  });

  it('asks the store about late events older than the dedup state and drops the ones it has', () => {
    const state = freshState();
    state.streams = clockAt(T0 + 3_600_000);
    const { classification, plan } = run([record('old-known', T0), record('old-new', T0)], state, new Set(['old-known']));
    assert.deepEqual(classification.lookupIds, ['old-known', 'old-new']);
    assert.deepEqual(plan.rows.map((r) => r.id), ['old-new']);
    assert.equal(plan.duplicates, 1);
  });

  it('enriches from reference data under metadata.enrichment and counts misses', () => {
    const { plan } = run([record('a', T0, '/', 'u1'), record('b', T0, '/', 'u-unknown')], freshState());
    assert.deepEqual(JSON.parse(plan.rows[0]!.metadata!), { enrichment: { plan: 'pro', country: 'DE' } });
    assert.equal(plan.rows[1]!.metadata, null, 'no profile: the event keeps its own metadata');
    assert.equal(plan.enrichmentMisses, 1);
    assert.equal(JSON.parse(Buffer.from(plan.rows[0]!.json).toString()).id, 'a');
  });

  it('moves offsets past every record, repeats and undecodable ones included', () => {
    const bad: LogRecord = { topic: 'events', partition: 1, offset: 41, key: 'x', value: Buffer.from('{nope'), timestamp: 0, headers: {} };
    const a = record('a', T0, '/', 'u1', 1);
    const a2 = { ...record('a', T0, '/', 'u1', 2) };
    const { plan } = run([a, bad, a2], freshState());
    assert.equal(plan.undecodable, 1);
    assert.equal(plan.offsets.get(1), Math.max(a.offset, 41) + 1);
    assert.equal(plan.offsets.get(2), a2.offset + 1);
    assert.equal(plan.rows[0]!.logPos, logPosition(1, a.offset));
  });
});

describe('batch plan, trace runs', () => {
  it('groups consecutive records of a partition with one trace id into runs', () => {
    const tp = (t: string) => `00-${t.repeat(32)}-${'1'.repeat(16)}-01`;
    const traced = (id: string, partition: number, trace: string | undefined): LogRecord => {
      const r = record(id, T0, '/', 'u1', partition);
      return { ...r, headers: trace ? { traceparent: tp(trace) } : {} };
    };
    const records = [traced('t1', 0, 'a'), traced('t2', 0, 'a'), traced('t3', 1, 'a'), traced('t4', 0, 'b'), traced('t5', 0, undefined), traced('t6', 0, 'b')];
    const { plan } = run(records, freshState());
    const at = (i: number) => records[i]!.offset;
    assert.deepEqual(plan.traceRuns, [
      { partition: 0, fromOffset: at(0), toOffset: at(1), traceId: 'a'.repeat(32) },
      { partition: 1, fromOffset: at(2), toOffset: at(2), traceId: 'a'.repeat(32) },
      { partition: 0, fromOffset: at(3), toOffset: at(3), traceId: 'b'.repeat(32) },
      { partition: 0, fromOffset: at(5), toOffset: at(5), traceId: 'b'.repeat(32) },
    ]);
  });
});

describe('batch plan, contract versions', () => {
  it('counts stored events whose contract version the pipeline does not accept, by subject and version', () => {
    const withContract = (id: string, version: number | undefined, type = 'page_view'): LogRecord => {
      const event = { id, source: 'web', type, timestamp: T0, payload: { user_id: 'u1', page: '/' }, metadata: version === undefined ? {} : { contract: { subject: `web.${type}`, version, id: version } } };
      return { ...record(id, T0), value: Buffer.from(JSON.stringify(event)) };
    };
    const strict = { ...spec, acceptedVersions: { 'web.page_view': [2, 3] } };
    const records = [withContract('v2', 2), withContract('v3', 3), withContract('v1', 1), withContract('v1b', 1), withContract('none', undefined), withContract('click', 1, 'click')];
    const plan = assembleBatch(classifyBatch(records, freshState(), strict), new Set(), freshState(), strict, undefined, new Map());
    assert.deepEqual(plan.versionMismatches, { 'web.page_view@1': 2, 'web.page_view@none': 1 });
    assert.equal(plan.rows.length, 6, 'mismatches are counted, not dropped');
    assert.deepEqual(run(records, freshState()).plan.versionMismatches, {}, 'nothing is counted without accepted versions');
  });
});

describe('batch plan, hostile input already in a log', () => {
  it('replaces lone surrogates so the store can load the row, leaving other rows as they are', () => {
    const bad: LogRecord = { ...record('s1', T0), value: Buffer.from(JSON.stringify({ id: 's1', source: 'web', type: 'page_view', timestamp: T0, payload: { page: 'x\ud800y' }, metadata: {} })) };
    const good = record('s2', T0);
    const { plan } = run([bad, good], freshState());
    const repaired = Buffer.from(plan.rows[0]!.json).toString();
    assert.ok(!/\\u[dD][89a-fA-F]/.test(repaired), repaired);
    assert.equal(JSON.parse(repaired).payload.page, 'x\ufffdy');
    assert.equal(plan.rows[1]!.json, good.value, 'a clean row is the log bytes themselves, not a copy');
  });

  it('replaces what the producer put under metadata.enrichment with the profile', () => {
    const r = { ...record('m1', T0), value: Buffer.from(JSON.stringify({ id: 'm1', source: 'web', type: 'page_view', timestamp: T0, payload: { user_id: 'u1' }, metadata: { enrichment: { vip: true }, traceparent: 't' } })) };
    const { plan } = run([r], freshState());
    assert.deepEqual(JSON.parse(plan.rows[0]!.metadata!), { enrichment: { plan: 'pro', country: 'DE' }, traceparent: 't' });
  });

  it('keeps the rest of an event\'s metadata (a contract stamp) beside the profile, repairing a lone surrogate in it', () => {
    const withMeta = (id: string, metadata: Record<string, unknown>) => ({
      ...record(id, T0),
      value: Buffer.from(JSON.stringify({ id, source: 'web', type: 'page_view', timestamp: T0, payload: { user_id: 'u1' }, metadata })),
    });
    const { plan } = run([withMeta('c1', { contract: { subject: 'web.page_view', version: 2, id: 5 } }), withMeta('c2', { note: 'x\ud800' })], freshState());
    assert.equal(plan.rows[0]!.metadata, '{"contract":{"subject":"web.page_view","version":2,"id":5},"enrichment":{"plan":"pro","country":"DE"}}');
    assert.deepEqual(JSON.parse(plan.rows[1]!.metadata!), { note: 'x\ufffd', enrichment: { plan: 'pro', country: 'DE' } });
  });

  it('serialises a profile well formed, reuses it across events, and follows a reload', () => {
    let table = new Map<string, Record<string, unknown>>([['u1', { plan: 'p\ud800' }]]);
    const reloadable: ReferenceData = { ...reference, lookup: (k) => table.get(k) };
    const plan = (id: string) => assembleBatch(classifyBatch([record(id, T0)], freshState(), spec), new Set(), freshState(), spec, reloadable, new Map());
    const first = plan('r1').rows[0]!.metadata!;
    assert.equal(first, '{"enrichment":{"plan":"p\ufffd"}}');
    assert.equal(plan('r2').rows[0]!.metadata, first);
    table = new Map([['u1', { plan: 'team' }]]);
    assert.deepEqual(JSON.parse(plan('r3').rows[0]!.metadata!), { enrichment: { plan: 'team' } });
  });
});

describe('dedup state', () => {
  it('forgets ids by whole minute buckets once the watermark passes them', () => {
    const d = new DedupState(300_000);
    d.add('a', T0 + 10);
    d.add('b', T0 + 59_999);
    d.add('c', T0 + 60_000);
    assert.equal(d.evictBefore(T0 + 59_999), 0, 'a bucket that still overlaps the bound stays');
    assert.equal(d.evictBefore(T0 + 60_000), 2);
    assert.equal(d.has('a'), false);
    assert.equal(d.has('c'), true);
    assert.equal(d.size, 1);
  });
});
