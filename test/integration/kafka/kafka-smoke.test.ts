import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Admin,
  Consumer,
  type Message,
  ProduceAcks,
  Producer,
  stringDeserializers,
  stringSerializers,
} from '@platformatic/kafka';
import { type KafkaCluster, kafkaSkipReason, useKafka } from '../../helpers/kafka.js';

const skip = kafkaSkipReason();

type StringMessage = Message<string, string, string, string>;

function traceparent(i: number): string {
  return `00-${i.toString(16).padStart(32, '0')}-${(i + 1).toString(16).padStart(16, '0')}-01`;
}

function producer(kafka: KafkaCluster, clientId: string): Producer<string, string, string, string> {
  return new Producer({
    clientId,
    bootstrapBrokers: kafka.brokers,
    serializers: stringSerializers,
    idempotent: true,
    acks: ProduceAcks.ALL,
    // Enough retries to outlast a crashed leader: the controller fences it after 6 s.
    retries: 40,
    retryDelay: 500,
    timeout: 10_000,
  });
}

/** Polls `read` until `done` holds or two minutes pass; returns the last value read, for the assertion. */
async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 120_000;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    value = await read();
  }
  return value;
}

function groupConsumer(kafka: KafkaCluster, groupId: string): Consumer<string, string, string, string> {
  return new Consumer({ clientId: `${groupId}-consumer`, groupId, bootstrapBrokers: kafka.brokers, deserializers: stringDeserializers });
}

/** The sum of every partition's end offset: how many records a topic holds when none were aborted. */
async function endOffsetTotal(consumer: Consumer<string, string, string, string>, topic: string): Promise<number> {
  const offsets = await consumer.listOffsets({ topics: [topic] });
  return (offsets.get(topic) ?? []).reduce((sum, offset) => sum + Number(offset), 0);
}

/**
 * Reads a topic from the start through a consumer group until `count` records arrived, committing
 * the last record of each partition. Resolves with the records in arrival order.
 */
async function consumeAll(consumer: Consumer<string, string, string, string>, topic: string, count: number): Promise<StringMessage[]> {
  const stream = await consumer.consume({ topics: [topic], mode: 'committed', fallbackMode: 'earliest', autocommit: false, maxWaitTime: 500 });
  const records: StringMessage[] = [];
  const lastByPartition = new Map<number, StringMessage>();
  try {
    for await (const message of stream) {
      records.push(message);
      lastByPartition.set(message.partition, message);
      if (records.length >= count) break;
    }
    for (const message of lastByPartition.values()) await message.commit();
  } finally {
    await stream.close();
  }
  return records;
}

describe('Apache Kafka, one broker, through @platformatic/kafka', { skip, timeout: 300_000 }, () => {
  const cluster = useKafka({ brokers: 1 });

  it('creates a 12-partition topic, produces 1000 keyed records with headers idempotently (acks=all), and a consumer group reads each once and commits', async () => {
    const kafka = cluster();
    const topic = 'smoke-events';
    const admin = new Admin({ clientId: 'smoke-admin', bootstrapBrokers: kafka.brokers });
    try {
      const [created] = await admin.createTopics({ topics: [topic], partitions: 12, replicas: 1 });
      assert.equal(created?.partitions, 12);
      const metadata = await admin.metadata({ topics: [topic] });
      assert.equal(metadata.topics.get(topic)?.partitionsCount, 12);
    } finally {
      await admin.close();
    }

    const sent = Array.from({ length: 1000 }, (_, i) => ({
      key: `evt-${i}`,
      value: JSON.stringify({ id: `evt-${i}`, n: i }),
      headers: { traceparent: traceparent(i), 'sl-schema-id': String((i % 5) + 1) },
    }));
    const out = producer(kafka, 'smoke-producer');
    try {
      for (let i = 0; i < sent.length; i += 100) {
        const result = await out.send({ messages: sent.slice(i, i + 100).map((m) => ({ topic, ...m })) });
        assert.ok(result.offsets && result.offsets.length > 0, 'acks=all send reports the offsets written');
      }
      assert.ok(out.producerId !== undefined && out.producerId >= 0n, 'the broker gave the idempotent producer an id');
    } finally {
      await out.close();
    }

    const consumer = groupConsumer(kafka, 'smoke-group');
    try {
      assert.equal(await endOffsetTotal(consumer, topic), 1000, 'the topic holds 1000 records, no duplicates from retries');
      const records = await consumeAll(consumer, topic, 1000);

      const byKey = new Map<string, StringMessage[]>();
      for (const r of records) byKey.set(r.key, [...(byKey.get(r.key) ?? []), r]);
      assert.equal(records.length, 1000);
      assert.equal(byKey.size, 1000, 'every key arrived once');
      for (const expected of sent) {
        const [got] = byKey.get(expected.key) ?? [];
        assert.ok(got, `${expected.key} arrived`);
        assert.equal(got.value, expected.value);
        assert.deepEqual(Object.fromEntries(got.headers), expected.headers);
      }
      // Keys choose partitions: the 1000 keys spread over all 12, and one key never spans two.
      assert.equal(new Set(records.map((r) => r.partition)).size, 12);

      // The committed offsets are the end offsets: a restart of the group would read nothing again.
      const committed = await consumer.listCommittedOffsets({ topics: [{ topic, partitions: Array.from({ length: 12 }, (_, p) => p) }] });
      const ends = await consumer.listOffsets({ topics: [topic] });
      assert.deepEqual(committed.get(topic), ends.get(topic));
    } finally {
      await consumer.close();
    }
  });
});

describe('Apache Kafka, three brokers: a broker crashes and restarts mid-stream', { skip, timeout: 600_000 }, () => {
  const cluster = useKafka({ brokers: 3 });

  it('with replication factor 3 and min ISR 2, every acknowledged record survives, once', async (t) => {
    const kafka = cluster();
    const topic = 'failover-events';
    const partitions = 6;
    const admin = new Admin({ clientId: 'failover-admin', bootstrapBrokers: kafka.brokers });
    const isrOf = async (): Promise<number[][]> => {
      const metadata = await admin.metadata({ topics: [topic], forceUpdate: true });
      return (metadata.topics.get(topic)?.partitions ?? []).map((p) => [...p.isr].sort((a, b) => a - b));
    };
    try {
      await admin.createTopics({ topics: [topic], partitions, replicas: 3, configs: [{ name: 'min.insync.replicas', value: '2' }] });

      const acknowledged: string[] = [];
      let failedSends = 0;
      const sendErrors = new Set<string>();
      const out = producer(kafka, 'failover-producer');
      let next = 0;
      // Small batches, one after another, so the crash lands between and inside in-flight sends.
      const produce = async (batches: number, atBatch?: { index: number; run: () => void }): Promise<void> => {
        for (let b = 0; b < batches; b++) {
          if (b === atBatch?.index) atBatch.run();
          const keys = Array.from({ length: 20 }, () => `evt-${next++}`);
          try {
            await out.send({ messages: keys.map((key) => ({ topic, key, value: key, headers: { traceparent: traceparent(next) } })) });
            acknowledged.push(...keys);
          } catch (error) {
            // Not acknowledged: such records may or may not be in the log; the test does not count them.
            // @platformatic/kafka 1.x retries a send that was in flight to the crashed leader against
            // that same address until its retries run out (platformatic/kafka#377, fixed in 2.x,
            // which needs Node 22), so the send racing the crash can fail here.
            failedSends++;
            sendErrors.add(describeError(error));
          }
        }
      };
      try {
        await produce(10);
        // Node 2 leads some partitions; it crashes while sends run: the kill is not awaited, so
        // the next sends race it, and those to its partitions wait for new leaders.
        let crashed: Promise<void> = Promise.resolve();
        let acknowledgedAtCrash = 0;
        await produce(40, {
          index: 5,
          run: () => {
            acknowledgedAtCrash = acknowledged.length;
            crashed = kafka.stopBroker(2, 'SIGKILL');
          },
        });
        await crashed;
        assert.ok(acknowledged.length > acknowledgedAtCrash, 'sends were acknowledged after node 2 crashed');
        // With two of three replicas in sync, min ISR 2 still lets acks=all succeed.
        await produce(20);
        // The controller fences the crashed node once its session expires and drops it from every ISR.
        const whileDown = await waitFor(isrOf, (all) => all.every((isr) => !isr.includes(2) && isr.length === 2));
        assert.ok(whileDown.every((isr) => !isr.includes(2) && isr.length === 2), `ISR without node 2: ${JSON.stringify(whileDown)}`);

        await kafka.startBroker(2);
        await produce(20);
      } finally {
        await out.close();
      }

      // The restarted node catches up and rejoins every ISR.
      const isr = await waitFor(isrOf, (all) => all.every((replicas) => replicas.length === 3));
      assert.ok(isr.every((replicas) => replicas.length === 3), `node 2 rejoined every ISR: ${JSON.stringify(isr)}`);

      t.diagnostic(`${acknowledged.length} records acknowledged, ${failedSends} sends of 20 failed ${[...sendErrors].join('; ')}`);
      assert.ok(acknowledged.length >= 90 * 20 * 0.9, `most sends were acknowledged (${acknowledged.length}; ${failedSends} failed)`);

      const consumer = groupConsumer(kafka, 'failover-group');
      try {
        const total = await endOffsetTotal(consumer, topic);
        const records = await consumeAll(consumer, topic, total);
        const seen = new Map<string, number>();
        for (const r of records) seen.set(r.key, (seen.get(r.key) ?? 0) + 1);
        const lost = acknowledged.filter((key) => !seen.has(key));
        assert.deepEqual(lost, [], 'no acknowledged record was lost');
        t.diagnostic(`${records.length} records in the topic`);
        const twice = acknowledged.filter((key) => (seen.get(key) ?? 0) > 1);
        assert.deepEqual(twice, [], 'the idempotent producer wrote no acknowledged record twice');
      } finally {
        await consumer.close();
      }
    } finally {
      await admin.close();
    }
  });
});

/** A client error with its nested causes (the client wraps one error per broker request). */
function describeError(error: unknown): string {
  const e = error as { message?: string; code?: string; errors?: unknown[]; cause?: unknown };
  const inner = [...(e.errors ?? []), ...(e.cause ? [e.cause] : [])].map(describeError);
  return `${e.code ?? ''} ${e.message ?? String(error)}${inner.length ? ` [${[...new Set(inner)].join(', ')}]` : ''}`;
}
