/**
 * Edge cases of distributed mode an independent review found, each of which lost, double-stored or
 * miscounted events (or left a partition unprocessed) before it was fixed: aborted transactions of
 * one producer id, a batch loaded in chunks, a partition's first share of a window already final,
 * a commit paused past the transaction timeout, and a fenced partition still assigned here.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ProduceAcks, Producer } from '@platformatic/kafka';
import { pino } from 'pino';
import { encodeEventRows } from '../../../src/core/event-rows.js';
import type { EventRow, ProcessedBatch, WindowCount } from '../../../src/core/ports/processed-batch.js';
import { DLQ_TOPIC } from '../../../src/core/dead-letter.js';
import { encodeBatchChunks } from '../../../src/core/batch-chunk.js';
import { partitionForKey } from '../../../src/core/partitioner.js';
import { KafkaPartitionStore, kafkaPartitionStores } from '../../../src/log/kafka/kafka-partition-store.js';
import { PartitionProcessors } from '../../../src/process/partition-processors.js';
import { RowsLoader } from '../../../src/store/hot/rows-loader.js';
import { pipelineTopics, transactionalId } from '../../../src/core/pipeline-topics.js';
import { KafkaLog } from '../../../src/log/kafka/kafka-log.js';
import { DuckDbHotStore } from '../../../src/store/hot/duckdb-hot-store.js';
import { kafkaSkipReason, useKafka } from '../../helpers/kafka.js';
import { tempDir } from '../../helpers/tmp.js';
import { waitUntil } from '../../helpers/wait.js';
import { oneStreamAt } from '../../helpers/stream-time.js';

const skip = kafkaSkipReason();
const T0 = Date.UTC(2026, 10, 27, 6, 0, 0);
const W = T0; // the window [W, W + 1m)
const logger = pino({ level: process.env.SIGHTLINE_TEST_LOG_LEVEL ?? 'silent' });

function rowOf(id: string, timestamp: number, offset: number, pad = 0): EventRow {
  const event = { id, source: 'web', type: 'page_view', timestamp, payload: { page: '/', pad: 'x'.repeat(pad) } };
  return { logPos: offset, id, timestamp, userId: null, late: false, json: Buffer.from(JSON.stringify(event)), metadata: null };
}

function share(count: number, start = W): WindowCount {
  return { name: 'pv', window: '1m', windowStart: start, windowEnd: start + 60_000, group: '/', stream: 'web/page_view', count };
}

function batchOf(pipeline: string, partition: number, offset: number, ids: string[], over: Partial<ProcessedBatch> = {}, pad = 0): ProcessedBatch {
  return {
    pipeline,
    rows: encodeEventRows(ids.map((id, i) => rowOf(id, W + 1000 + i, offset - ids.length + i, pad))),
    windows: [],
    finalBounds: {},
    watermark: null,
    streams: [],
    offsets: new Map([[partition, offset]]),
    duplicates: 0,
    late: 0,
    changelog: { ids: ids.map((id, i) => ({ id, timestamp: W + 1000 + i, stream: 'web/page_view' })), unique: [] },
    ...over,
  };
}

describe('distributed mode: edge cases', { skip, timeout: 600_000 }, () => {
  const cluster = useKafka({ brokers: 1, config: { 'transaction.abort.timed.out.transaction.cleanup.interval.ms': 1000 } });
  let log: KafkaLog;
  const closers: Array<() => Promise<unknown>> = [];
  let n = 0;

  /** A pipeline of its own per test: rows, state topics with `partitions` partitions. */
  async function pipeline(partitions: number): Promise<{ name: string; store: (p: number, maxRecordBytes?: number, on?: KafkaLog) => Promise<KafkaPartitionStore>; sink: () => Promise<{ hot: DuckDbHotStore; sink: RowsLoader }> }> {
    const name = `review${++n}`;
    const topics = pipelineTopics(name);
    await log.ensureTopic(topics.rows, { partitions });
    await log.ensureTopic(topics.state, { partitions, compact: true });
    return {
      name,
      store: async (partition, maxRecordBytes = 1 << 20, on = log) => {
        const s = new KafkaPartitionStore({ log: on, pipeline: name, partition, dedupWindowMs: 300_000, maxRecordBytes, maxOriginalBytes: 512 * 1024, logger });
        closers.push(() => s.close());
        await s.open();
        return s;
      },
      sink: async () => {
        const { dir, cleanup } = await tempDir('sl-review-');
        const hot = await DuckDbHotStore.open(join(dir, 'hot.duckdb'));
        const sink = new RowsLoader({ log, hot, pipeline: name, logger });
        await sink.start();
        closers.push(async () => {
          await sink.stop();
          await hot.close();
          await cleanup();
        });
        return { hot, sink };
      },
    };
  }

  const windowCount = async (hot: DuckDbHotStore, start = W): Promise<{ count: number; final: boolean } | undefined> => {
    const rows = await hot.aggregates({ name: 'pv', window: '1m', limit: 100 });
    const r = rows.find((x) => x.windowStart === start);
    return r && { count: r.count, final: r.final };
  };

  before(async () => {
    log = await KafkaLog.open({ bootstrap: cluster().brokers, clientId: 'review-test', topicPrefix: 'rv.', topicDefaults: { replicationFactor: 1 }, logger });
    await log.ensureTopic(DLQ_TOPIC, { partitions: 1 });
  });
  after(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await log?.close();
  });

  it('sink: a batch cut into chunks finalizes its windows only with its own share in them', async () => {
    const p = await pipeline(2);
    const p0 = await p.store(0, 256 * 1024);
    const p1 = await p.store(1);
    const { hot, sink } = await p.sink();
    // Both partitions have shares of W; neither is past it yet.
    await p0.commit(batchOf(p.name, 0, 5, ['a1', 'a2', 'a3', 'a4', 'a5'], { windows: [share(5)], ...oneStreamAt(W + 10_000, W - 50_000) }), []);
    await p1.commit(batchOf(p.name, 1, 3, ['b1', 'b2', 'b3'], { windows: [share(3)], ...oneStreamAt(W + 70_000, W + 60_000) }), []);
    await waitUntil('sink loaded both partitions', 20_000, () => sink.counters.records >= 2);
    assert.deepEqual(await windowCount(hot), { count: 8, final: false });
    // One big batch of partition 0 (as when it catches up: rows > maxRecordBytes - 64 KiB, so more
    // than one chunk): 3 more events of W, and its watermark moves past W in the same batch.
    const ids = Array.from({ length: 300 }, (_, i) => `c${i}`);
    const big = batchOf(p.name, 0, 305, ids, { windows: [share(8)], ...oneStreamAt(W + 130_000, W + 60_000) }, 1500);
    assert.ok(encodeBatchChunks(big, 2, { offset: 305, watermark: null, streams: [], finalBounds: {}, duplicates: 0, late: 0 }, 256 * 1024 - 64 * 1024).length > 1, 'the batch is chunked');
    await p0.commit(big, []);
    await waitUntil('sink loaded the chunked batch', 20_000, () => sink.counters.rows >= 308);
    // 8 from partition 0, 3 from partition 1.
    assert.deepEqual(await windowCount(hot), { count: 11, final: true });
  });

  it('sink: a partition with nothing processed yet that then reports a share of a finalized window does not reset it', async () => {
    const p = await pipeline(2);
    const p0 = await p.store(0);
    const p1 = await p.store(1);
    const { hot, sink } = await p.sink();
    // Partition 0 counted 5 in W and is past it; partition 1 never received an event, so the
    // serving node's bound is partition 0's alone and W is final with 5.
    await p0.commit(batchOf(p.name, 0, 5, ['a1', 'a2', 'a3', 'a4', 'a5'], { windows: [share(5)], ...oneStreamAt(W + 130_000, W + 60_000) }), []);
    await waitUntil('sink loaded partition 0', 20_000, () => sink.counters.records >= 1);
    assert.deepEqual(await windowCount(hot), { count: 5, final: true });
    // Partition 1's first event has an event time in W. Its processor has no watermark, so the
    // event is on time there (planBatch: lateBefore is -Infinity without a watermark) and its
    // batch carries partition 1's share of W: 1.
    await p1.commit(batchOf(p.name, 1, 1, ['b1'], { windows: [share(1)], watermark: W + 1000 - 5000 }), []);
    await waitUntil('sink loaded partition 1', 20_000, () => sink.counters.records >= 2);
    const w = await windowCount(hot);
    // Either the event is refused as late, or W holds 6; W must not lose partition 0's 5.
    assert.ok(w && w.count >= 5, `window W went from 5 (final) to ${JSON.stringify(w)}`);
  });

  /**
   * A producer of its own on the partition's transactional id, its first transaction begun: its
   * InitProducerId bumps the id's epoch, so whoever held the id before is fenced.
   */
  async function takeTransactionalId(name: string, partition: number): Promise<{ producer: Producer; tx: Awaited<ReturnType<Producer['beginTransaction']>> }> {
    const c = log.connection();
    const producer = new Producer({
      clientId: `review-zombie-${partition}`,
      bootstrapBrokers: c.bootstrap,
      idempotent: true,
      transactionalId: c.topicPrefix + transactionalId(name, partition),
      acks: ProduceAcks.ALL,
      timeout: 60_000,
      retries: 20,
      retryDelay: 250,
    });
    closers.push(async () => {
      await producer.close(true);
    });
    return { producer, tx: await producer.beginTransaction({ producerId: -1n, producerEpoch: -1 }) };
  }

  /** A transaction of the partition's id left open, as by a processor that died mid-commit. */
  async function abandonedTransaction(name: string, partition: number, checkpointOffset: number, rowIds: string[]): Promise<Producer> {
    const c = log.connection();
    const { producer, tx } = await takeTransactionalId(name, partition);
    const topics = pipelineTopics(name);
    const progress = { offset: checkpointOffset, watermark: W + 10_000, streams: [], finalBounds: {}, duplicates: 0, late: 0 };
    const rows = encodeBatchChunks(batchOf(name, partition, checkpointOffset, rowIds), 99, progress, 1 << 20);
    await tx.send({
      messages: [
        ...rows.map((value) => ({ topic: c.topicPrefix + topics.rows, partition, key: Buffer.from('99'), value })),
        { topic: c.topicPrefix + topics.state, partition, key: Buffer.from('cp'), value: Buffer.from(JSON.stringify({ ...progress, commitNo: 99 })) },
      ] as never,
    });
    return producer;
  }

  it('restore and sink: two aborted transactions of the partition\'s producer id are both invisible (read_committed)', async () => {
    const p = await pipeline(1);
    const first = await p.store(0);
    await first.commit(batchOf(p.name, 0, 2, ['ok1', 'ok2'], { windows: [share(2)], watermark: W + 5000 }), []);
    await first.close();
    // A processor takes the partition, sends its batch (events 2..101 of the events topic) and dies
    // before committing; the next owner does the same; a third owner takes over. Each
    // InitProducerId keeps the transactional id's producer id and bumps its epoch, so both aborted
    // transactions belong to one producer id.
    await abandonedTransaction(p.name, 0, 102, ['lost1', 'lost2']);
    await abandonedTransaction(p.name, 0, 202, ['lost3', 'lost4']);
    const problems: string[] = [];
    const third = await p.store(0);
    const checkpoint = await third.loadCheckpoint();
    // Else events 2..101 are never processed: the new owner reads on from 102.
    if (checkpoint.offsets.get(0) !== 2) problems.push(`restored checkpoint offset ${checkpoint.offsets.get(0)} (commitNo ${checkpoint.commitNo}), not the committed 2`);
    const restoredIds = (await third.idsSince(0)).map((x) => x.id).sort();
    if (restoredIds.length !== 2) problems.push(`restored dedup ids ${JSON.stringify(restoredIds)}`);
    const { hot, sink } = await p.sink();
    await log.refreshOffsets(pipelineTopics(p.name).rows);
    await waitUntil('sink caught up', 20_000, () => sink.counters.records >= 1 && (sink.backlog().get(0) ?? 1) === 0);
    const ids = (await hot.recentEvents({ limit: 100 })).map((e) => e.id).sort();
    if (JSON.stringify(ids) !== JSON.stringify(['ok1', 'ok2'])) problems.push(`serving node loaded ${JSON.stringify(ids)}`);
    assert.deepEqual(problems, []);
  });

  /**
   * The prototype of the client's Transaction, whose commit (EndTxn) is delayed once by `pauseMs`:
   * what a processor paused between its send and its commit (GC, SIGSTOP shorter than the session,
   * a slow broker) looks like to the transaction coordinator.
   */
  async function pauseNextCommit(pauseMs: number): Promise<{ paused: () => boolean }> {
    const c = log.connection();
    const probe = new Producer({ clientId: 'review-probe', bootstrapBrokers: c.bootstrap, idempotent: true, transactionalId: c.topicPrefix + `review-probe-${++n}`, acks: ProduceAcks.ALL });
    const tx = await probe.beginTransaction({ producerId: -1n, producerEpoch: -1 });
    const proto = Object.getPrototypeOf(tx) as { commit: (...args: unknown[]) => unknown };
    await probe.close(true);
    const original = proto.commit;
    let pending = true;
    let paused = false;
    proto.commit = function (this: unknown, ...args: unknown[]) {
      if (!pending) return original.apply(this, args);
      pending = false;
      paused = true;
      return new Promise((r) => setTimeout(r, pauseMs)).then(() => {
        proto.commit = original;
        return original.apply(this, args);
      });
    };
    closers.push(async () => {
      proto.commit = original;
    });
    return { paused: () => paused };
  }

  it('a commit paused longer than the request timeout (no other owner) is not aborted as a takeover: the transaction timeout is 60 s', async () => {
    const p = await pipeline(1);
    // The transaction timeout used to be the request timeout (10 s by default), so a commit paused
    // past it was aborted by the coordinator and reported as a takeover. A log with a 3 s request
    // timeout shows it in a 6 s pause: past that timeout and the coordinator's check that follows
    // (every 1 s on this broker), well inside the store's 60 s, and shorter than a 30 s session,
    // so the group would not move the partition.
    const shortTimeouts = await KafkaLog.open({ bootstrap: cluster().brokers, clientId: 'review-short-timeouts', topicPrefix: 'rv.', topicDefaults: { replicationFactor: 1 }, logger, requestTimeoutMs: 3000 });
    closers.push(() => shortTimeouts.close());
    const topics = pipelineTopics(p.name);
    await shortTimeouts.ensureTopic(topics.rows, { partitions: 1 });
    await shortTimeouts.ensureTopic(topics.state, { partitions: 1, compact: true });
    await shortTimeouts.ensureTopic(DLQ_TOPIC, { partitions: 1 });
    const store = await p.store(0, undefined, shortTimeouts);
    await store.commit(batchOf(p.name, 0, 2, ['t1', 't2'], { watermark: W + 5000 }), []);
    const pause = await pauseNextCommit(6000);
    let error: any;
    await store.commit(batchOf(p.name, 0, 4, ['t3', 't4'], { watermark: W + 6000 }), []).catch((e) => (error = e));
    assert.ok(pause.paused(), 'the commit was paused');
    assert.equal(error?.code ?? 'committed', 'committed', `commit failed: ${error?.code}: ${error?.message}`);
  });

  it('process node: a partition still assigned here is processed again after its store reported SL_PARTITION_FENCED', async () => {
    const name = `review${++n}`;
    const events = `events-${name}`;
    const topics = pipelineTopics(name);
    await log.ensureTopic(events, { partitions: 2 });
    await log.ensureTopic(topics.rows, { partitions: 2 });
    await log.ensureTopic(topics.state, { partitions: 2, compact: true });
    // The node's warnings, to see the fence happen.
    const warnings: string[] = [];
    const processors = new PartitionProcessors({
      log,
      topic: events,
      spec: { name, dedupWindowMs: 300_000, allowedLatenessMs: 60_000, watermarkDelayMs: 5000, idleTimeoutMs: 60_000, aggregations: [] },
      openStore: kafkaPartitionStores({ log, pipeline: name, dedupWindowMs: 300_000, maxRecordBytes: 1 << 20, maxOriginalBytes: 512 * 1024 }),
      batchSize: 1000,
      logger: pino({ level: 'warn' }, { write: (line: string) => warnings.push(line) }),
      group: { sessionTimeoutMs: 30_000 },
    });
    closers.push(() => processors.stop());
    await processors.start();
    await waitUntil('both partitions run here', 30_000, () => processors.partitions().length === 2, () => processors.partitions());
    // Ids whose records land on partition 0.
    const event = (prefix: string, t: number) => {
      let i = 0;
      while (partitionForKey(`${prefix}-${i}`, 2) !== 0) i++;
      const id = `${prefix}-${i}`;
      return { key: id, value: Buffer.from(JSON.stringify({ id, source: 'web', type: 'page_view', timestamp: t, payload: {} })), timestamp: t };
    };
    await log.append(events, [event('e1', W + 1000)]);
    await waitUntil('partition 0 processed e1', 30_000, () => processors.totalBacklog() === 0 && processors.counters.stored >= 1, () => processors.counters);
    // Another producer takes partition 0's transactional id. The coordinator does the same to a
    // commit paused past the transaction timeout (it aborts it and bumps the id's epoch), but that
    // takes a pause of over 60 s: either way this node's next commit of partition 0 is fenced
    // while the group (this node its only member) still assigns the partition here.
    await takeTransactionalId(name, 0);
    await log.append(events, [event('e2', W + 2000)]);
    const fenced = () => warnings.filter((w) => w.includes('partition fenced') && w.includes('"partition":0'));
    await waitUntil('the store of partition 0 reported SL_PARTITION_FENCED', 30_000, () => fenced().length > 0, () => warnings);
    assert.match(fenced()[0]!, /taken over by another processor/, 'SL_PARTITION_FENCED, not another failure');
    await log.append(events, [event('e3', W + 3000)]);
    await log.refreshOffsets(events);
    await waitUntil('partition 0 processed again on this node, its only member', 30_000, () => processors.partitions().includes(0) && processors.counters.stored >= 3, () => ({
      running: processors.partitions(),
      stored: processors.counters.stored,
      health: processors.health(),
    }));
  });
});
