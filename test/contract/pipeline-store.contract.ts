import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type DeadLetter, type DeadLetterTopicRecord, DLQ_TOPIC, readDeadLetterRecord } from '../../src/core/dead-letter.js';
import { encodeEventRows } from '../../src/core/event-rows.js';
import type { Log } from '../../src/core/ports/log.js';
import type { PipelineStore } from '../../src/core/ports/pipeline-store.js';
import type { EventRow, ProcessedBatch, WindowCount } from '../../src/core/ports/processed-batch.js';

export interface PipelineStoreSubject {
  /**
   * A store of pipeline `pipeline` on fresh storage, processing partition 0 of a one-partition
   * events topic. `reopen` opens the storage again as a restarted processor does (the Kafka store
   * fences the previous owner; the old store is not used again). `log` holds the dead-letter topic
   * the store writes to. `teardown` closes everything the subject opened.
   */
  open(pipeline: string): Promise<{ store: PipelineStore; reopen: () => Promise<PipelineStore>; log: Log; teardown: () => Promise<void> }>;
}

const T0 = Date.UTC(2026, 10, 27, 6, 0, 0);
const UNIQUE_RULE = { name: 'one-visit-per-user', match: { source: 'web', type: 'page_view' }, field: ['payload', 'user_id'] };
let pipelines = 0;
const STREAM_AT_130S = { stream: 'web/page_view', watermark: T0 + 130_000, finalizedThrough: T0 + 70_000, maxEventTime: T0 + 135_000, lastEventAt: T0 + 136_000 };

function rowOf(id: string, timestamp: number, offset: number, user: string): EventRow {
  const event = { id, source: 'web', type: 'page_view', timestamp, payload: { page: '/', user_id: user }, metadata: {} };
  return { logPos: offset, id, timestamp, userId: user, late: false, json: Buffer.from(JSON.stringify(event)), metadata: null };
}

function window(start: number, count: number): WindowCount {
  return { name: 'pv', window: '1m', windowStart: start, windowEnd: start + 60_000, group: '/', stream: 'web/page_view', count };
}

/**
 * A batch as a processor builds it: rows of `ids` ending just before `next`, the changelog of what
 * it added to the state (the stores that keep a changelog need it; the others read the rows).
 */
function batchOf(pipeline: string, next: number, ids: Array<[string, number, string]>, over: Partial<ProcessedBatch> = {}): ProcessedBatch {
  return {
    pipeline,
    rows: encodeEventRows(ids.map(([id, t, user], i) => rowOf(id, t, next - ids.length + i, user))),
    windows: [],
    finalBounds: {},
    watermark: null,
    streams: [],
    offsets: new Map([[0, next]]),
    duplicates: 0,
    late: 0,
    changelog: {
      ids: ids.map(([id, timestamp]) => ({ id, timestamp, stream: 'web/page_view' })),
      unique: ids.map(([, timestamp, user]) => ({ rule: UNIQUE_RULE.name, value: user, timestamp })),
    },
    ...over,
  };
}

function letter(eventId: string, origin: string): DeadLetter {
  return {
    reason: { code: 'SL_QUALITY_FAILED', stage: 'process', message: `${eventId} fails a rule`, rule: 'r1' },
    original: Buffer.from(JSON.stringify({ id: eventId })),
    at: T0,
    origin,
    eventId,
    source: 'web',
    type: 'page_view',
  };
}

/**
 * The dead-letter topic's records from the start: at least `expected` of them (a log's view of a
 * topic another client wrote may lag, so it polls until they arrive), and whatever follows within
 * one more poll, so that a letter written twice shows.
 */
async function deadLetterRecords(log: Log, expected: number): Promise<DeadLetterTopicRecord[]> {
  const consumer = await log.consumer(`pipeline-store-contract-${Date.now()}-${Math.random()}`, DLQ_TOPIC);
  try {
    for (let p = 0; p < log.partitionCount(DLQ_TOPIC); p++) consumer.seek(p, 0);
    const out: DeadLetterTopicRecord[] = [];
    const deadline = Date.now() + 20_000;
    let extraPolls = 1;
    while (Date.now() < deadline && (out.length < expected || extraPolls-- > 0)) {
      for (const record of await consumer.poll(100, 300)) {
        const read = readDeadLetterRecord(record);
        assert.ok(read, `offset ${record.offset} of the dead-letter topic is a dead-letter record`);
        out.push(read);
      }
    }
    return out;
  } finally {
    await consumer.close();
  }
}

const sortById = <T extends { id: string }>(xs: T[]): T[] => [...xs].sort((a, b) => a.id.localeCompare(b.id));
const sortByValue = <T extends { value: string; timestamp: number }>(xs: T[]): T[] => [...xs].sort((a, b) => a.value.localeCompare(b.value) || a.timestamp - b.timestamp);

/** The contract every PipelineStore adapter passes: what the processor relies on to be exactly once. */
export function pipelineStoreContract(name: string, subject: PipelineStoreSubject): void {
  describe(`PipelineStore contract: ${name}`, () => {
    it('starts from offset 0 with nothing processed', async (t) => {
      const pipeline = `contract-${++pipelines}`;
      const { store, teardown } = await subject.open(pipeline);
      t.after(teardown);
      const checkpoint = await store.loadCheckpoint(pipeline, 1);
      assert.equal(checkpoint.offsets.get(0), 0);
      assert.equal(checkpoint.watermark, null);
      assert.deepEqual(checkpoint.finalBounds, {});
      assert.deepEqual(checkpoint.streams, []);
      assert.deepEqual(checkpoint.openWindows, []);
      assert.equal(checkpoint.commitNo, 0);
      assert.equal(checkpoint.duplicates, 0);
      assert.equal(checkpoint.late, 0);
      assert.deepEqual(await store.idsSince(Number.MIN_SAFE_INTEGER), []);
      assert.equal(await store.writable(), undefined);
    });

    it('holds after a restart exactly what was committed: offsets, watermark, totals, open windows, dedup ids and unique values', async (t) => {
      const pipeline = `contract-${++pipelines}`;
      const { store, reopen, teardown } = await subject.open(pipeline);
      t.after(teardown);
      await store.commit(
        batchOf(pipeline, 3, [['a', T0, 'u1'], ['b', T0 + 1000, 'u2'], ['c', T0 + 61_000, 'u1']], {
          windows: [window(T0, 2), window(T0 + 60_000, 1)],
          watermark: T0 + 56_000,
          duplicates: 1,
        }),
        [],
      );
      const expectCommitted = async (s: PipelineStore, when: string): Promise<void> => {
        const checkpoint = await s.loadCheckpoint(pipeline, 1);
        assert.equal(checkpoint.offsets.get(0), 3, `${when}: the next offset to read`);
        assert.equal(checkpoint.watermark, T0 + 56_000, when);
        assert.deepEqual(checkpoint.finalBounds, {}, when);
        assert.equal(checkpoint.duplicates, 1, when);
        assert.equal(checkpoint.late, 0, when);
        assert.deepEqual(sortByWindow(checkpoint.openWindows), [window(T0, 2), window(T0 + 60_000, 1)], `${when}: open windows`);
        assert.deepEqual(sortById(await s.idsSince(T0 + 1000)), [
          { id: 'b', timestamp: T0 + 1000, stream: 'web/page_view' },
          { id: 'c', timestamp: T0 + 61_000, stream: 'web/page_view' },
        ], `${when}: ids since a time`);
        assert.deepEqual(sortByValue(await s.uniqueValuesSince(UNIQUE_RULE, T0)), [
          { value: 'u1', timestamp: T0 },
          { value: 'u1', timestamp: T0 + 61_000 },
          { value: 'u2', timestamp: T0 + 1000 },
        ], `${when}: unique values`);
      };
      await expectCommitted(store, 'before a restart');
      await expectCommitted(await reopen(), 'after a restart');
    });

    it('moves on with every commit: totals are the latest, final windows leave the open ones, commit numbers grow', async (t) => {
      const pipeline = `contract-${++pipelines}`;
      const { store, reopen, teardown } = await subject.open(pipeline);
      t.after(teardown);
      await store.commit(batchOf(pipeline, 2, [['a', T0, 'u1'], ['b', T0 + 61_000, 'u2']], { windows: [window(T0, 1), window(T0 + 60_000, 1)], watermark: T0 + 56_000 }), []);
      const first = await store.loadCheckpoint(pipeline, 1);
      await store.commit(
        batchOf(pipeline, 4, [['c', T0 + 62_000, 'u3'], ['d', T0 + 63_000, 'u4']], {
          windows: [window(T0 + 60_000, 3)],
          watermark: T0 + 130_000,
          streams: [STREAM_AT_130S],
          finalBounds: { pv: T0 + 70_000 },
          duplicates: 2,
          late: 1,
        }),
        [],
      );
      const expectSecond = async (s: PipelineStore, when: string): Promise<void> => {
        const checkpoint = await s.loadCheckpoint(pipeline, 1);
        assert.equal(checkpoint.offsets.get(0), 4, when);
        assert.equal(checkpoint.watermark, T0 + 130_000, when);
        assert.deepEqual(checkpoint.finalBounds, { pv: T0 + 70_000 }, when);
        assert.deepEqual(checkpoint.streams, [STREAM_AT_130S], `${when}: each stream's event time`);
        assert.equal(checkpoint.duplicates, 2, `${when}: totals are absolute, not added up`);
        assert.equal(checkpoint.late, 1, when);
        assert.deepEqual(checkpoint.openWindows, [window(T0 + 60_000, 3)], `${when}: the window ending at ${T0 + 60_000} is final; the other keeps its latest count`);
        assert.ok(checkpoint.commitNo > first.commitNo, `${when}: commit numbers grow`);
      };
      await expectSecond(store, 'before a restart');
      await expectSecond(await reopen(), 'after a restart');
    });

    it('keeps a batch of no rows (offsets past events it refused or dropped) and its dead letters, durable in the dead-letter topic', async (t) => {
      const pipeline = `contract-${++pipelines}`;
      const { store, reopen, log, teardown } = await subject.open(pipeline);
      t.after(teardown);
      const letters = [letter('bad-1', `events/0/0`), letter('bad-2', `events/0/1`)];
      await store.commit(batchOf(pipeline, 2, [], { watermark: T0 }), letters);
      const written = await deadLetterRecords(log, letters.length);
      assert.deepEqual(
        written.map((r) => (r.kind === 'letter' ? [r.letter.eventId, r.letter.reason.code, r.letter.origin, r.letter.original.toString()] : r.kind)),
        letters.map((l) => [l.eventId, l.reason.code, l.origin, l.original.toString()]),
      );
      assert.equal((await (await reopen()).loadCheckpoint(pipeline, 1)).offsets.get(0), 2, 'the refused events are behind the checkpoint');
    });

    it('names only stored ids as stored', async (t) => {
      const pipeline = `contract-${++pipelines}`;
      const { store, teardown } = await subject.open(pipeline);
      t.after(teardown);
      await store.commit(batchOf(pipeline, 1, [['stored-1', T0, 'u1']], { watermark: T0 }), []);
      const found = await store.existingIds(['stored-1', 'never-seen']);
      assert.equal(found.has('never-seen'), false);
      for (const id of found) assert.equal(id, 'stored-1');
      for (const { source, timestamp } of await store.newestEventTimes()) {
        assert.equal(source, 'web');
        assert.equal(timestamp, T0, 'a store that knows the newest event time per source knows it exactly');
      }
    });
  });
}

function sortByWindow(windows: WindowCount[]): WindowCount[] {
  return [...windows].sort((a, b) => a.windowStart - b.windowStart || a.group.localeCompare(b.group));
}
