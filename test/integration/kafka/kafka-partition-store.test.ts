import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ProduceAcks, Producer } from '@platformatic/kafka';
import { pino } from 'pino';
import { encodeEventRows } from '../../../src/core/event-rows.js';
import type { EventRow, ProcessedBatch, WindowCount } from '../../../src/core/ports/processed-batch.js';
import { DLQ_TOPIC, readDeadLetterRecord } from '../../../src/core/dead-letter.js';
import { decodeBatchChunk } from '../../../src/core/batch-chunk.js';
import { KafkaPartitionStore } from '../../../src/log/kafka/kafka-partition-store.js';
import { pipelineTopics } from '../../../src/core/pipeline-topics.js';
import { KafkaLog } from '../../../src/log/kafka/kafka-log.js';
import { kafkaSkipReason, useKafka } from '../../helpers/kafka.js';
import { oneStreamAt } from '../../helpers/stream-time.js';

const skip = kafkaSkipReason();
const T0 = Date.UTC(2026, 10, 27, 6, 0, 0);
const logger = pino({ level: process.env.SIGHTLINE_TEST_LOG_LEVEL ?? 'silent' });
const PIPELINE = 'store-test';
const topics = pipelineTopics(PIPELINE);

function rowOf(id: string, timestamp: number, offset: number): EventRow {
  const event = { id, source: 'web', type: 'page_view', timestamp, payload: { page: '/' } };
  return { logPos: offset, id, timestamp, userId: null, late: false, json: Buffer.from(JSON.stringify(event)), metadata: null };
}

function window(start: number, count: number): WindowCount {
  return { name: 'pv', window: '1m', windowStart: start, windowEnd: start + 60_000, group: '/', stream: 'web/page_view', count };
}

function batchOf(offset: number, ids: Array<[string, number]>, over: Partial<ProcessedBatch> = {}): ProcessedBatch {
  return {
    pipeline: PIPELINE,
    rows: encodeEventRows(ids.map(([id, t], i) => rowOf(id, t, offset - ids.length + i))),
    windows: [],
    finalBounds: {},
    watermark: null,
    streams: [],
    offsets: new Map([[0, offset]]),
    duplicates: 0,
    late: 0,
    changelog: { ids: ids.map(([id, timestamp]) => ({ id, timestamp, stream: 'web/page_view' })), unique: [] },
    ...over,
  };
}

describe('KafkaPartitionStore: one partition\'s state and output in Kafka transactions', { skip, timeout: 300_000 }, () => {
  const cluster = useKafka({ brokers: 1 });
  let log: KafkaLog;
  const stores: KafkaPartitionStore[] = [];
  const open = async (partition = 0): Promise<KafkaPartitionStore> => {
    const store = new KafkaPartitionStore({ log, pipeline: PIPELINE, partition, dedupWindowMs: 300_000, maxRecordBytes: 1 << 20, maxOriginalBytes: 512 * 1024, logger });
    stores.push(store);
    await store.open();
    return store;
  };

  before(async () => {
    log = await KafkaLog.open({ bootstrap: cluster().brokers, clientId: 'partition-store-test', topicPrefix: 'pst.', topicDefaults: { replicationFactor: 1 }, logger });
    await log.ensureTopic(topics.rows, { partitions: 2 });
    await log.ensureTopic(topics.state, { partitions: 2, compact: true });
    await log.ensureTopic(DLQ_TOPIC, { partitions: 1 });
  });
  after(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await log?.close();
  });

  it('restores the checkpoint, open windows and dedup ids a new owner needs, without what expired or became final', async () => {
    const first = await open();
    assert.equal((await first.loadCheckpoint()).offsets.get(0), 0, 'a partition never processed starts at 0');
    await first.commit(batchOf(3, [['a', T0], ['b', T0 + 1000], ['c', T0 + 61_000]], { windows: [window(T0, 2), window(T0 + 60_000, 1)], watermark: T0 + 10_000, duplicates: 1 }), []);
    await first.commit(
      batchOf(5, [['d', T0 + 400_000], ['e', T0 + 401_000]], {
        windows: [window(T0 + 360_000, 2)],
        // The first two windows are final now, and a, b, c are older than the dedup window.
        ...oneStreamAt(T0 + 420_000, T0 + 120_000),
        duplicates: 2,
        late: 1,
      }),
      [],
    );
    // The tombstones for a, b, c go with the next commit.
    await first.commit(batchOf(6, [['f', T0 + 402_000]], { ...oneStreamAt(T0 + 420_000, T0 + 120_000), duplicates: 2, late: 1 }), []);

    const next = await open();
    const checkpoint = await next.loadCheckpoint();
    assert.equal(checkpoint.offsets.get(0), 6);
    assert.equal(checkpoint.watermark, T0 + 420_000);
    assert.deepEqual(checkpoint.finalBounds, { pv: T0 + 120_000 });
    assert.equal(checkpoint.duplicates, 2);
    assert.equal(checkpoint.late, 1);
    assert.deepEqual(checkpoint.openWindows, [window(T0 + 360_000, 2)]);
    assert.deepEqual((await next.idsSince(T0 + 120_000)).map((x) => x.id).sort(), ['d', 'e', 'f']);
  });

  it('fences the previous owner: its next commit fails with SL_PARTITION_FENCED and leaves nothing behind', async () => {
    const old = await open(1);
    await old.commit(batchOf(2, [['x1', T0], ['x2', T0 + 1]], { windows: [window(T0, 2)], offsets: new Map([[1, 2]]) }), []);
    const owner = await open(1);
    await assert.rejects(
      old.commit(batchOf(4, [['zombie1', T0 + 2], ['zombie2', T0 + 3]], { windows: [window(T0, 4)], offsets: new Map([[1, 4]]) }), []),
      (err: any) => err.code === 'SL_PARTITION_FENCED',
    );
    await owner.commit(batchOf(3, [['y', T0 + 5]], { windows: [window(T0, 3)], offsets: new Map([[1, 3]]) }), []);
    const restored = await (await open(1)).loadCheckpoint();
    assert.equal(restored.offsets.get(1), 3, "the zombie's offset 4 never committed");
    assert.deepEqual(restored.openWindows, [window(T0, 3)]);

    // What a read_committed reader of the rows topic sees: the two owners' batches, not the zombie's.
    const consumer = await log.consumer('pst-check', topics.rows, { partitions: [1] });
    consumer.seek(1, 0);
    await log.refreshOffsets(topics.rows);
    const seen: string[] = [];
    const deadline = Date.now() + 20_000;
    while ((consumer.positions().get(1) ?? 0) < (log.endOffsets(topics.rows).get(1) ?? 0) && Date.now() < deadline) {
      for (const r of await consumer.poll(100, 500)) {
        const { rows } = decodeBatchChunk(r.value, 'rows');
        for (const line of Buffer.from(rows).toString().split('\n').filter(Boolean)) seen.push((JSON.parse(line) as { e: { id: string } }).e.id);
      }
    }
    await consumer.close();
    assert.deepEqual(seen, ['x1', 'x2', 'y']);
  });

  it('writes dead letters in the batch\'s transaction', async () => {
    const store = await open(0);
    const before = (await log.committedOffsets('none', DLQ_TOPIC)).get(0) ?? 0;
    await store.commit(batchOf(7, [['g', T0 + 403_000]], { ...oneStreamAt(T0 + 420_000, T0 + 120_000), duplicates: 2, late: 1 }), [
      { reason: { code: 'SL_QUALITY_FAILED', stage: 'process', message: 'bad', rule: 'r1' }, original: Buffer.from('{"id":"bad"}'), at: Date.now(), origin: 'events/0/6', eventId: 'bad' },
    ]);
    const consumer = await log.consumer('pst-dlq', DLQ_TOPIC);
    consumer.seek(0, before);
    const letters = [];
    const deadline = Date.now() + 20_000;
    while (letters.length === 0 && Date.now() < deadline) for (const r of await consumer.poll(10, 500)) letters.push(readDeadLetterRecord(r));
    await consumer.close();
    assert.equal(letters.length, 1);
    const read = letters[0];
    assert.ok(read && read.kind === 'letter');
    assert.equal(read.letter.eventId, 'bad');
    assert.equal(read.letter.reason.code, 'SL_QUALITY_FAILED');
    assert.equal(read.letter.origin, 'events/0/6');
  });
});

describe('reading transactional topics read_committed', { skip, timeout: 120_000 }, () => {
  const cluster = useKafka({ brokers: 1 });

  it('returns every committed record and no aborted one, even around an aborted transaction that wrote nothing', async () => {
    const log = await KafkaLog.open({
      bootstrap: cluster().brokers,
      clientId: 'txn-read-test',
      topicPrefix: 'txn-read.',
      topicDefaults: { replicationFactor: 1 },
      topics: { t: { configs: { 'max.message.bytes': '2000' } } },
      logger,
    });
    const producer = new Producer({ clientId: 'txn-read-writer', bootstrapBrokers: cluster().brokers, idempotent: true, transactionalId: 'txn-read-writer', acks: ProduceAcks.ALL, retries: 0 });
    try {
      await log.ensureTopic('t', { partitions: 1 });
      const message = (key: string, bytes = 10) => ({ topic: 'txn-read.t', partition: 0, key: Buffer.from(key), value: Buffer.alloc(bytes, 120) });
      const run = async (key: string, outcome: 'commit' | 'abort', bytes?: number): Promise<void> => {
        const tx = await producer.beginTransaction({ producerId: -1n, producerEpoch: -1 });
        try {
          await tx.send({ messages: [message(key, bytes)] });
        } catch {
          // the broker refused the record (too large) after the partition joined the transaction
        }
        if (outcome === 'commit') await tx.commit();
        else await tx.abort();
      };
      // One producer id throughout: two aborted transactions, then a committed one, then an aborted
      // one the broker refused the record of (after AddPartitionsToTxn, so its abort marker has no
      // records of its own), then a committed one. The client's own filter took one range per
      // producer id, from its last aborted transaction with records to its last abort marker, and
      // dropped committed-1.
      await run('aborted-1', 'abort');
      await run('aborted-2', 'abort');
      await run('committed-1', 'commit');
      await run('too-large', 'abort', 10_000);
      await run('committed-2', 'commit');

      await log.refreshOffsets('t');
      const end = log.endOffsets('t').get(0) ?? 0;
      const consumer = await log.consumer('txn-read', 't');
      const keys: string[] = [];
      const deadline = Date.now() + 20_000;
      while ((consumer.positions().get(0) ?? 0) < end && Date.now() < deadline) for (const r of await consumer.poll(100, 500)) keys.push(r.key);
      await consumer.close();
      assert.deepEqual(keys, ['committed-1', 'committed-2']);
    } finally {
      await producer.close();
      await log.close();
    }
  });
});
