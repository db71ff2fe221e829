import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { partitionForKey } from '../../src/core/partitioner.js';
import { isSightlineError } from '../../src/core/errors.js';
import type { GroupMembership, Log, LogRecord } from '../../src/core/ports/log.js';
import { RecordingListener } from '../helpers/group-listener.js';
import { waitUntil } from '../helpers/wait.js';

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

const all = (n: number): number[] => Array.from({ length: n }, (_, p) => p);
// Kafka's member notices a rebalance at its next heartbeat; a rebalance with a leaving or joining
// member settles within a few heartbeat intervals.
const SETTLE_MS = 30_000;

function value(i: number): Buffer {
  return Buffer.from(JSON.stringify({ n: i }));
}

/** Every member holds partitions, no partition is held twice, together they hold all, and each listener agrees with its member. */
function settled(members: Array<[GroupMembership, RecordingListener]>, partitions: number): boolean {
  const held = members.flatMap(([m]) => m.assigned());
  return (
    members.every(([m, l]) => m.assigned().length > 0 && [...l.held].sort((x, y) => x - y).join() === m.assigned().join()) &&
    held.length === partitions &&
    new Set(held).size === partitions
  );
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

    it('gives one group member every partition, and splits them when a second member joins', async () => {
      const log = await s.open('group-split');
      await log.ensureTopic('t', { partitions: 6 });
      const a = new RecordingListener();
      const first = await log.joinGroup('g', 't', a);
      assert.equal(first.group, 'g');
      assert.equal(first.topic, 't');
      assert.ok(first.memberId.length > 0, 'a member id');
      assert.deepEqual(first.assigned(), all(6), 'joinGroup resolves with the first assignment made');
      assert.deepEqual([...a.held].sort((x, y) => x - y), all(6), 'onAssigned was told before joinGroup resolved');

      const b = new RecordingListener();
      const second = await log.joinGroup('g', 't', b);
      assert.notEqual(second.memberId, first.memberId);
      const members: Array<[GroupMembership, RecordingListener]> = [[first, a], [second, b]];
      await waitUntil('both members hold partitions and together exactly all of them', SETTLE_MS, () => settled(members, 6), () => members.map(([m]) => m.assigned()));
      assert.equal(first.assigned().length, 3);
      assert.equal(second.assigned().length, 3);
      assert.ok(a.calls.includes('-0,1,2,3,4,5'), `the first member gave everything up before the split: ${a.calls.join(' ')}`);

      // A member of another group gets every partition of its own and changes nothing here.
      const other = await log.joinGroup('other', 't', new RecordingListener());
      assert.deepEqual(other.assigned(), all(6));
      await other.close();

      await second.close();
      assert.deepEqual(second.assigned(), [], 'a closed member holds nothing');
      assert.equal(b.held.size, 0, 'close revoked what the member held');
      await waitUntil('the remaining member holds every partition', SETTLE_MS, () => first.assigned().length === 6 && a.held.size === 6, () => first.assigned());
      assert.deepEqual(first.assigned(), all(6));
      await first.close();
      assert.equal(a.held.size, 0);
      assert.deepEqual([...a.violations, ...b.violations], []);
      await log.close();
    });

    it('reads, seeks and commits only the partitions a consumer was given', async () => {
      const log = await s.open('group-subset');
      await log.ensureTopic('t', { partitions: 4 });
      const keys = Array.from({ length: 200 }, (_, i) => `k${i}`);
      const results = await log.append('t', keys.map((key, i) => ({ key, value: value(i), timestamp: i })));
      const expected = results.filter((r) => r.partition === 1 || r.partition === 3).length;
      assert.ok(expected > 0 && expected < 200);

      const consumer = await log.consumer('g', 't', { partitions: [3, 1] });
      assert.deepEqual([...consumer.positions().keys()].sort(), [1, 3], 'positions name only the given partitions');
      const records: LogRecord[] = [];
      for (let i = 0; i < 200 && records.length < expected; i++) records.push(...(await consumer.poll(50, 100)));
      assert.equal(records.length, expected);
      assert.ok(records.every((r) => r.partition === 1 || r.partition === 3), 'only partitions 1 and 3 are read');
      assert.deepEqual(await consumer.poll(10, 200), [], 'nothing more');
      assert.throws(() => consumer.seek(0, 0), (e: unknown) => isSightlineError(e));
      await assert.rejects(consumer.commit(new Map([[0, 1]])), (e: unknown) => isSightlineError(e));
      await consumer.commit();
      await consumer.close();

      const committed = await log.committedOffsets('g', 't');
      const ends = log.endOffsets('t');
      assert.equal(committed.get(1), ends.get(1));
      assert.equal(committed.get(3), ends.get(3));
      assert.equal(committed.get(0), 0, 'partitions the consumer did not read keep their offsets');
      assert.equal(committed.get(2), 0);

      // The other half, from another consumer of the group: both halves' commits stand.
      const rest = await log.consumer('g', 't', { partitions: [0, 2] });
      const others: LogRecord[] = [];
      for (let i = 0; i < 200 && others.length < 200 - expected; i++) others.push(...(await rest.poll(50, 100)));
      assert.equal(others.length, 200 - expected);
      await rest.commit();
      await rest.close();
      assert.deepEqual(await log.committedOffsets('g', 't'), ends);

      await assert.rejects(log.consumer('g', 't', { partitions: [4] }), (e: unknown) => isSightlineError(e) && /no partition 4/.test(e.message));
      await log.close();
    });

    it('lets a group member read and commit its assigned partitions while the group has members', async () => {
      const log = await s.open('group-commit');
      await log.ensureTopic('t', { partitions: 3 });
      await log.append('t', Array.from({ length: 30 }, (_, i) => ({ key: `c${i}`, value: value(i), timestamp: i })));
      const [a, b] = [new RecordingListener(), new RecordingListener()];
      const first = await log.joinGroup('g', 't', a);
      const second = await log.joinGroup('g', 't', b);
      const members: Array<[GroupMembership, RecordingListener]> = [[first, a], [second, b]];
      await waitUntil('both members hold partitions', SETTLE_MS, () => settled(members, 3), () => members.map(([m]) => m.assigned()));
      for (const member of [first, second]) {
        const mine = member.assigned();
        const consumer = await log.consumer('g', 't', { partitions: mine });
        const expected = mine.reduce((sum, p) => sum + (log.endOffsets('t').get(p) ?? 0), 0);
        const read: LogRecord[] = [];
        for (let i = 0; i < 200 && read.length < expected; i++) read.push(...(await consumer.poll(100, 100)));
        assert.equal(read.length, expected);
        await consumer.commit();
        await consumer.close();
      }
      assert.deepEqual(await log.committedOffsets('g', 't'), log.endOffsets('t'));
      await first.close();
      await second.close();
      assert.deepEqual([...a.violations, ...b.violations], []);
      await log.close();
    });
  });
}
