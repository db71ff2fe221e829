import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { partitionForKey } from '../../src/core/partitioner.js';
import type { Log, LogRecord } from '../../src/core/ports/log.js';

/**
 * The contract every Log adapter passes. `open` may be called again with the same `id` to reopen
 * the same log (after `close`), which is how durability across restarts is checked.
 */
export interface LogContractSubject {
  open(id: string): Promise<Log>;
  teardown(): Promise<void>;
}

async function drain(log: Log, group: string, topic: string, expected: number): Promise<LogRecord[]> {
  const consumer = await log.consumer(group, topic);
  const out: LogRecord[] = [];
  for (let i = 0; i < 200 && out.length < expected; i++) out.push(...(await consumer.poll(1000, 100)));
  await consumer.close();
  return out;
}

function value(i: number): Buffer {
  return Buffer.from(JSON.stringify({ n: i }));
}

export function logContract(name: string, subject: () => LogContractSubject): void {
  describe(`Log contract: ${name}`, () => {
    let s: LogContractSubject;
    before(() => {
      s = subject();
    });
    after(async () => {
      await s.teardown();
    });

    it('places records by key hash and numbers them densely per partition', async () => {
      const log = await s.open('placement');
      await log.ensureTopic('t', { partitions: 4 });
      const results = await log.append(
        't',
        Array.from({ length: 40 }, (_, i) => ({ key: `k${i % 10}`, value: value(i), timestamp: 1000 + i })),
      );
      const next = new Map<number, number>();
      results.forEach((r, i) => {
        assert.equal(r.partition, partitionForKey(`k${i % 10}`, 4));
        assert.equal(r.offset, next.get(r.partition) ?? 0);
        next.set(r.partition, r.offset + 1);
      });
      for (const [p, end] of log.endOffsets('t')) assert.equal(end, next.get(p) ?? 0);
      await log.close();
    });

    it('gives back keys, values, timestamps and headers in offset order within each partition', async () => {
      const log = await s.open('roundtrip');
      await log.ensureTopic('t', { partitions: 3 });
      const inputs = Array.from({ length: 300 }, (_, i) => ({
        key: `id-${i}`,
        value: value(i),
        timestamp: 1_700_000_000_000 + i,
        headers: { traceparent: `00-${String(i).padStart(32, '0')}-${'1'.repeat(16)}-01`, 'schema-id': String(i % 7) },
      }));
      await log.append('t', inputs);
      const records = await drain(log, 'g', 't', inputs.length);
      assert.equal(records.length, inputs.length);
      const byKey = new Map(records.map((r) => [r.key, r]));
      for (const input of inputs) {
        const r = byKey.get(input.key);
        assert.ok(r, `record ${input.key} read back`);
        assert.deepEqual(JSON.parse(r.value.toString()), JSON.parse(input.value.toString()));
        assert.equal(r.timestamp, input.timestamp);
        assert.deepEqual(r.headers, input.headers);
        assert.equal(r.topic, 't');
      }
      const lastOffset = new Map<number, number>();
      for (const r of records) {
        assert.ok(r.offset > (lastOffset.get(r.partition) ?? -1), 'offsets rise within a partition');
        lastOffset.set(r.partition, r.offset);
      }
      await log.close();
    });

    it('keeps records and committed offsets across a reopen, and a new consumer resumes from the commit', async () => {
      let log = await s.open('reopen');
      await log.ensureTopic('t', { partitions: 2 });
      await log.append('t', Array.from({ length: 50 }, (_, i) => ({ key: `a${i}`, value: value(i), timestamp: i })));
      const consumer = await log.consumer('g', 't');
      const firstBatch: LogRecord[] = [];
      while (firstBatch.length < 20) firstBatch.push(...(await consumer.poll(20 - firstBatch.length, 100)));
      await consumer.commit();
      const committed = consumer.positions();
      await consumer.close();
      await log.close();

      log = await s.open('reopen');
      assert.equal(log.partitionCount('t'), 2);
      assert.deepEqual(await log.committedOffsets('g', 't'), committed);
      const rest = await drain(log, 'g', 't', 30);
      assert.equal(rest.length, 30);
      const seen = new Set([...firstBatch, ...rest].map((r) => r.key));
      assert.equal(seen.size, 50, 'every record read exactly once across the two consumers');
      await log.close();
    });

    it('wakes a waiting poll when records arrive', async () => {
      const log = await s.open('wake');
      await log.ensureTopic('t', { partitions: 1 });
      const consumer = await log.consumer('g', 't');
      const polled = consumer.poll(10, 5000);
      await new Promise((r) => setTimeout(r, 50));
      await log.append('t', [{ key: 'x', value: value(1), timestamp: 1 }]);
      const records = await polled;
      assert.equal(records.length, 1);
      assert.equal(records[0]!.key, 'x');
      await consumer.close();
      await log.close();
    });

    it('numbers concurrent appends without gaps or repeats', async () => {
      const log = await s.open('concurrent');
      await log.ensureTopic('t', { partitions: 2 });
      const calls = await Promise.all(
        Array.from({ length: 50 }, (_, c) =>
          log.append('t', Array.from({ length: 20 }, (_, i) => ({ key: `c${c}-${i}`, value: value(i), timestamp: i }))),
        ),
      );
      const perPartition = new Map<number, number[]>();
      for (const r of calls.flat()) perPartition.set(r.partition, [...(perPartition.get(r.partition) ?? []), r.offset]);
      let total = 0;
      for (const [p, offsets] of perPartition) {
        offsets.sort((a, b) => a - b);
        offsets.forEach((o, i) => assert.equal(o, i));
        assert.equal(log.endOffsets('t').get(p), offsets.length);
        total += offsets.length;
      }
      assert.equal(total, 1000);
      await log.close();
    });

    it('seeks a consumer to any offset', async () => {
      const log = await s.open('seek');
      await log.ensureTopic('t', { partitions: 1 });
      await log.append('t', Array.from({ length: 100 }, (_, i) => ({ key: `s${i}`, value: value(i), timestamp: i })));
      const consumer = await log.consumer('g', 't');
      consumer.seek(0, 73);
      const records = await consumer.poll(5, 100);
      assert.deepEqual(records.map((r) => r.offset), [73, 74, 75, 76, 77]);
      assert.equal(consumer.positions().get(0), 78);
      await consumer.close();
      await log.close();
    });
  });
}
