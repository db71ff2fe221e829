import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Admin, ConfigResourceTypes } from '@platformatic/kafka';
import { pino } from 'pino';
import { isSightlineError, type SightlineError } from '../../../src/core/errors.js';
import type { LogRecord } from '../../../src/core/ports/log.js';
import { KafkaLog } from '../../../src/log/kafka/kafka-log.js';
import type { KafkaLogOptions } from '../../../src/log/kafka/options.js';
import { type KafkaCluster, kafkaSkipReason, useKafka } from '../../helpers/kafka.js';
import { eventually } from '../../helpers/wait.js';

const skip = kafkaSkipReason();
/** Records acknowledged in each phase of the failover test once the cluster is in its state: about half a second of appends. */
const PHASE_RECORDS = 1000;
const logger = pino({ level: process.env.SIGHTLINE_TEST_LOG_LEVEL ?? 'silent' });

function open(kafka: KafkaCluster, overrides: Partial<KafkaLogOptions> = {}): Promise<KafkaLog> {
  return KafkaLog.open({ bootstrap: kafka.brokers, clientId: 'kafka-log-test', topicDefaults: { replicationFactor: 1 }, logger, ...overrides });
}

async function topicConfig(kafka: KafkaCluster, topic: string): Promise<Record<string, string | null | undefined>> {
  const admin = new Admin({ clientId: 'kafka-log-test-admin', bootstrapBrokers: kafka.brokers });
  try {
    const [described] = await admin.describeConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: topic }] });
    return Object.fromEntries((described?.configs ?? []).map((c) => [c.name, c.value]));
  } finally {
    await admin.close();
  }
}

async function expectCode(promise: Promise<unknown>, code: string, retryable?: boolean): Promise<SightlineError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isSightlineError(error), `a SightlineError, not ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (retryable !== undefined) assert.equal(error.retryable, retryable, error.message);
    return error;
  }
  assert.fail(`expected ${code}`);
}

describe('KafkaLog on one broker: topics, settings and errors', { skip, timeout: 300_000 }, () => {
  const cluster = useKafka({ brokers: 1 });

  it('creates topics with their settings (compacted registry topic, retention, min ISR) and keeps an existing topic as it is', async () => {
    const kafka = cluster();
    const log = await open(kafka, {
      topicPrefix: 'settings.',
      topicDefaults: { replicationFactor: 1, minInsyncReplicas: 1, retentionMs: 3_600_000 },
      topics: { _schemas: { compact: true, partitions: 1 } },
    });
    try {
      await log.ensureTopic('_schemas', { partitions: 4 });
      await log.ensureTopic('changelog', { partitions: 2, compact: true });
      await log.ensureTopic('events', { partitions: 3, retentionMs: 60_000 });
      assert.equal(log.partitionCount('_schemas'), 1, 'the per-topic override wins');
      const schemas = await topicConfig(kafka, 'settings._schemas');
      assert.equal(schemas['cleanup.policy'], 'compact');
      assert.equal(schemas['min.insync.replicas'], '1');
      assert.equal((await topicConfig(kafka, 'settings.changelog'))['cleanup.policy'], 'compact');
      const events = await topicConfig(kafka, 'settings.events');
      assert.equal(events['cleanup.policy'], 'delete');
      assert.equal(events['retention.ms'], '60000');
    } finally {
      await log.close();
    }
    // Another process asking for more partitions, or for compaction, gets the topic as it is;
    // a topic that should be compacted and is not is logged.
    const warnings: string[] = [];
    const capture = pino({ level: 'warn' }, { write: (line: string) => warnings.push(line) });
    const again = await KafkaLog.open({ bootstrap: kafka.brokers, clientId: 'kafka-log-test', topicPrefix: 'settings.', topicDefaults: { replicationFactor: 1 }, logger: capture });
    try {
      await again.ensureTopic('events', { partitions: 12, compact: true });
      assert.equal(again.partitionCount('events'), 3);
      assert.equal((await topicConfig(kafka, 'settings.events'))['cleanup.policy'], 'delete');
      assert.ok(warnings.some((w) => w.includes('should be compacted') && w.includes('"topic":"events"')), warnings.join('\n'));
    } finally {
      await again.close();
    }
  });

  it('maps failures to SightlineError codes', async () => {
    const kafka = cluster();
    const log = await open(kafka, { topicPrefix: 'errors.' });
    await log.ensureTopic('t', { partitions: 1 });
    assert.throws(() => log.partitionCount('missing'), { code: 'SL_LOG_TOPIC_UNKNOWN' });
    await expectCode(log.append('missing', [{ key: 'k', value: Buffer.from('v'), timestamp: 1 }]), 'SL_LOG_TOPIC_UNKNOWN');
    await expectCode(log.ensureTopic('bad name!', { partitions: 1 }), 'SL_CONFIG_INVALID');
    // Larger than the broker's max.message.bytes (1 MiB): refused by the broker, never retryable.
    await expectCode(log.append('t', [{ key: 'big', value: Buffer.alloc(2 << 20, 1), timestamp: 1 }]), 'SL_LOG_WRITE_FAILED', false);
    // The log still works after a refused record.
    const [ok] = await log.append('t', [{ key: 'small', value: Buffer.from('v'), timestamp: 1 }]);
    assert.equal(ok?.offset, 0);
    await log.close();
    await expectCode(log.append('t', [{ key: 'k', value: Buffer.from('v'), timestamp: 1 }]), 'SL_LOG_CLOSED', true);
    await expectCode(KafkaLog.open({ bootstrap: ['nohost'], clientId: 'x', topicDefaults: { replicationFactor: 1 }, logger }), 'SL_CONFIG_INVALID');
    // More replicas than brokers: the cluster refuses it, a configuration error rather than an outage.
    const overReplicated = await open(kafka, { topicPrefix: 'errors.', topicDefaults: { replicationFactor: 3 } });
    await expectCode(overReplicated.ensureTopic('rf3', { partitions: 1 }), 'SL_CONFIG_INVALID');
    await overReplicated.close();
    // Nothing listening: the brokers are unavailable, retryable.
    await expectCode(KafkaLog.open({ bootstrap: ['127.0.0.1:1'], clientId: 'x', topicDefaults: { replicationFactor: 1 }, logger, requestTimeoutMs: 1000 }), 'SL_LOG_UNAVAILABLE', true);
  });

  it('sees appends of another process after a refresh, and resets a consumer behind the log start to the start', async () => {
    const kafka = cluster();
    const writer = await open(kafka, { topicPrefix: 'shared.' });
    const reader = await open(kafka, { topicPrefix: 'shared.' });
    try {
      await writer.ensureTopic('t', { partitions: 2 });
      await reader.ensureTopic('t', { partitions: 2 });
      await writer.append('t', Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: Buffer.from(String(i)), timestamp: i })));
      await reader.refreshOffsets('t');
      assert.deepEqual(reader.endOffsets('t'), writer.endOffsets('t'));

      // Records before offset 3 of partition 0 are deleted, as retention would.
      const admin = new Admin({ clientId: 'kafka-log-test-admin', bootstrapBrokers: kafka.brokers });
      try {
        await admin.deleteRecords({ topics: [{ name: 'shared.t', partitions: [{ partition: 0, offset: 3n }] }] });
      } finally {
        await admin.close();
      }
      await reader.refreshOffsets('t');
      assert.equal(reader.startOffsets('t').get(0), 3);
      const consumer = await reader.consumer('g', 't');
      const read: LogRecord[] = [];
      const total = [...reader.endOffsets('t').values()].reduce((a, b) => a + b, 0) - 3;
      for (let i = 0; i < 50 && read.length < total; i++) read.push(...(await consumer.poll(100, 100)));
      assert.equal(read.length, total);
      assert.equal(Math.min(...read.filter((r) => r.partition === 0).map((r) => r.offset)), 3);
      await consumer.close();
    } finally {
      await writer.close();
      await reader.close();
    }
  });
});

describe('KafkaLog on three brokers: a broker is SIGKILLed and restarted while appends run', { skip, timeout: 600_000 }, () => {
  const cluster = useKafka({ brokers: 3 });

  it('loses no acknowledged record, writes none twice, and rejects only with SL_LOG_WRITE_FAILED', async (t) => {
    const kafka = cluster();
    const log = await open(kafka, { topicPrefix: 'failover.', topicDefaults: { replicationFactor: 3, minInsyncReplicas: 2 } });
    const topic = 'events';
    await log.ensureTopic(topic, { partitions: 6 });

    // What each resolved append said: key -> partition/offset.
    const acknowledged = new Map<string, { partition: number; offset: number }>();
    const rejections: SightlineError[] = [];
    let next = 0;
    let producing = true;
    const latencies: number[] = [];
    // Three writers at once, 20 records per append, as ingest requests would.
    const writer = async (): Promise<void> => {
      while (producing) {
        const keys = Array.from({ length: 20 }, () => `evt-${next++}`);
        const started = Date.now();
        try {
          const results = await log.append(topic, keys.map((key) => ({ key, value: Buffer.from(key), timestamp: Date.now(), headers: { traceparent: key } })));
          latencies.push(Date.now() - started);
          results.forEach((r, i) => acknowledged.set(keys[i]!, r));
        } catch (error) {
          rejections.push(error as SightlineError);
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    };

    // A consumer reads along the whole time, through the leader changes.
    const live = await log.consumer('live', topic);
    const liveRead: LogRecord[] = [];
    let reading = true;
    const reader = (async () => {
      while (reading) liveRead.push(...(await live.poll(500, 200)));
    })();

    const writers = [writer(), writer(), writer()];
    // Each phase lasts until the cluster is in the state it is about, and then until appends in
    // that state were acknowledged too.
    const admin = new Admin({ clientId: 'kafka-log-test-admin', bootstrapBrokers: kafka.brokers });
    const isrs = async (): Promise<number[][]> => ((await admin.metadata({ topics: [`failover.${topic}`], forceUpdate: true })).topics.get(`failover.${topic}`)?.partitions ?? []).map((p) => [...p.isr]);
    const phase = async (state: string, reached: () => Promise<boolean>): Promise<number> => {
      const before = acknowledged.size;
      await eventually(reached, state, 120_000);
      const then = acknowledged.size;
      await eventually(async () => acknowledged.size >= then + PHASE_RECORDS, `${PHASE_RECORDS} records acknowledged once ${state}`, 120_000);
      return acknowledged.size - before;
    };
    let beforeCrash: number;
    let whileDown: number;
    let afterRestart: number;
    let duringRestart: number;
    try {
      beforeCrash = await phase('all three brokers up', async () => true);
      await kafka.stopBroker(2, 'SIGKILL');
      // The controller fences the crashed node once its session expires and drops it from every ISR.
      whileDown = await phase('node 2 is out of every ISR', async () => (await isrs()).every((isr) => !isr.includes(2)));
      const restarting = acknowledged.size;
      await kafka.startBroker(2);
      duringRestart = acknowledged.size - restarting;
      afterRestart = await phase('node 2 caught up and is back in every ISR', async () => (await isrs()).every((isr) => isr.includes(2)));
    } finally {
      producing = false;
      await Promise.all(writers);
      await admin.close();
    }
    const { sessions, resends } = log.producerStats();
    t.diagnostic(
      `acknowledged ${acknowledged.size} records (${beforeCrash} before the crash, ${whileDown} until node 2 was out of every ISR and after, ${duringRestart} while it restarted, ${afterRestart} until it was back in every ISR and after); ` +
        `${rejections.length} appends rejected; ${resends} re-sends, ${sessions} producer sessions; ` +
        `append latency p50 ${percentile(latencies, 0.5)} ms, p99 ${percentile(latencies, 0.99)} ms, max ${Math.max(...latencies)} ms`,
    );
    for (const rejection of rejections) {
      assert.ok(isSightlineError(rejection), `rejections are SightlineErrors: ${String(rejection)}`);
      assert.equal(rejection.code, 'SL_LOG_WRITE_FAILED', rejection.message);
      assert.equal(rejection.retryable, true);
    }
    assert.ok(beforeCrash > 0 && whileDown > 0 && afterRestart > 0, 'appends were acknowledged in every phase');

    // Every acknowledged record is where its append said, exactly once; a second consumer group
    // reads the topic from the start after the fact.
    await log.refreshOffsets(topic);
    const ends = log.endOffsets(topic);
    const total = [...ends.values()].reduce((a, b) => a + b, 0);
    const consumer = await log.consumer('audit', topic);
    const all: LogRecord[] = [];
    for (let i = 0; i < 600 && all.length < total; i++) all.push(...(await consumer.poll(5000, 200)));
    await consumer.close();
    assert.equal(all.length, total, 'the audit read the whole topic');
    const seen = new Map<string, LogRecord[]>();
    for (const r of all) seen.set(r.key, [...(seen.get(r.key) ?? []), r]);
    const lost = [...acknowledged.keys()].filter((key) => !seen.has(key));
    assert.deepEqual(lost, [], 'no acknowledged record was lost');
    const twice = [...acknowledged.keys()].filter((key) => seen.get(key)!.length > 1);
    assert.deepEqual(twice, [], 'no acknowledged record was written twice');
    for (const [key, at] of acknowledged) {
      const [r] = seen.get(key)!;
      assert.deepEqual({ partition: r!.partition, offset: r!.offset }, at, `${key} is at the offset its append reported`);
    }
    t.diagnostic(`${total} records in the topic; ${total - acknowledged.size} of rejected appends`);

    // The live consumer, reading through the crash, got every acknowledged record too.
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && [...ends].some(([p, end]) => (live.positions().get(p) ?? 0) < end)) await new Promise((r) => setTimeout(r, 200));
    reading = false;
    await reader;
    await live.close();
    const liveKeys = new Set(liveRead.map((r) => r.key));
    assert.deepEqual([...acknowledged.keys()].filter((key) => !liveKeys.has(key)), [], 'the live consumer read every acknowledged record');
    assert.equal(liveRead.length, total, 'the live consumer read each record once');
    await log.close();
  });
  it('re-sends a batch that was in flight to a leader that crashed (platformatic/kafka#377), writing it once', async (t) => {
    const kafka = cluster();
    const log = await open(kafka, { topicPrefix: 'inflight.', topicDefaults: { replicationFactor: 3, minInsyncReplicas: 2 } });
    const admin = new Admin({ clientId: 'kafka-log-test-admin', bootstrapBrokers: kafka.brokers });
    try {
      const topic = 'events';
      await log.ensureTopic(topic, { partitions: 1 });
      await log.append(topic, [{ key: 'warm-up', value: Buffer.from('x'), timestamp: 1 }]);
      const leader = (await admin.metadata({ topics: ['inflight.events'], forceUpdate: true })).topics.get('inflight.events')!.partitions[0]!.leader;
      const pid = kafka.pid(leader)!;
      // Frozen, the leader takes the request and never answers; killed, it closes the connection
      // under the request: the send that was in flight when the leader crashed.
      process.kill(pid, 'SIGSTOP');
      const before = log.producerStats().resends;
      const pending = log.append(topic, Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: Buffer.from(String(i)), timestamp: i })));
      await new Promise((r) => setTimeout(r, 500));
      await kafka.stopBroker(leader, 'SIGKILL');
      const started = Date.now();
      const results = await pending;
      const resends = log.producerStats().resends - before;
      t.diagnostic(`leader ${leader} crashed with the send in flight; acknowledged after ${Date.now() - started} ms more, ${resends} re-sends`);
      assert.ok(resends >= 1, 'the adapter re-sent the batch');
      assert.deepEqual(results.map((r) => r.offset), Array.from({ length: 50 }, (_, i) => i + 1));
      const consumer = await log.consumer('check', topic);
      const read: LogRecord[] = [];
      for (let i = 0; i < 100 && read.length < 51; i++) read.push(...(await consumer.poll(100, 200)));
      await consumer.close();
      assert.deepEqual(read.map((r) => r.key), ['warm-up', ...Array.from({ length: 50 }, (_, i) => `k${i}`)], 'each record once, in order');
      await kafka.startBroker(leader);
    } finally {
      await admin.close();
      await log.close();
    }
  });

  it('rejects with a retryable SL_LOG_WRITE_FAILED when too few replicas are up, and appends again once they are back', async (t) => {
    const kafka = cluster();
    const log = await open(kafka, {
      topicPrefix: 'outage.',
      topicDefaults: { replicationFactor: 3, minInsyncReplicas: 2 },
      appendTimeoutMs: 4000,
      requestTimeoutMs: 2000,
    });
    try {
      const topic = 'events';
      await log.ensureTopic(topic, { partitions: 3 });
      const record = (key: string) => ({ key, value: Buffer.from(key), timestamp: Date.now() });
      await log.append(topic, [record('before')]);
      // Two of three nodes down: no ISR of 2 (and no controller quorum), so acks=all cannot succeed.
      await Promise.all([kafka.stopBroker(2, 'SIGKILL'), kafka.stopBroker(3, 'SIGKILL')]);
      const started = Date.now();
      const error = await expectCode(log.append(topic, ['a', 'b', 'c', 'd', 'e', 'f'].map(record)), 'SL_LOG_WRITE_FAILED', true);
      const rejectedAfter = Date.now() - started;
      t.diagnostic(`rejected after ${rejectedAfter} ms: ${error.message}`);
      assert.ok(rejectedAfter < 4000 + 2 * 2000 + 2000, `rejected within the append timeout (${rejectedAfter} ms)`);
      await Promise.all([kafka.startBroker(2), kafka.startBroker(3)]);
      // The retry a caller makes after SL_LOG_WRITE_FAILED succeeds once the cluster is back.
      let results;
      for (let i = 0; i < 30 && !results; i++) results = await log.append(topic, [record('after')]).catch(() => undefined);
      assert.ok(results, 'appends succeed again after the brokers return');
      assert.ok(log.producerStats().sessions >= 2, 'a given-up batch started a new producer session');
    } finally {
      await log.close();
    }
  });
});

function percentile(values: number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
