import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { brokerErrorIds } from '../../../src/log/kafka/errors.js';
import type { SchemaRegistry } from '../../../src/registry/schema-registry.js';
import { kafkaSkipReason, useKafka } from '../../helpers/kafka.js';
import { compatibleSchema, openRegistryNode, type RegistryNode, registrySnapshot } from '../../helpers/registry-nodes.js';

const skip = kafkaSkipReason();
const WRITER = fileURLToPath(new URL('../../tools/registry-writer.js', import.meta.url));
/** How long another node may take to show a change: "within about a second", with room for a busy CI machine. */
const PROPAGATION_BOUND_MS = 5_000;

/** Polls until `condition` holds; fails after the bound. Resolves with how long it took. */
async function within(what: string, condition: () => boolean, boundMs = PROPAGATION_BOUND_MS): Promise<number> {
  const started = performance.now();
  for (;;) {
    let held = false;
    try {
      held = condition();
    } catch {
      // not there yet (the registry throws for unknown subjects)
    }
    if (held) return performance.now() - started;
    if (performance.now() - started > boundMs) assert.fail(`${what} within ${boundMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const versionsOf = (registry: SchemaRegistry, subject: string): number[] => registry.listVersions(subject);

describe('one schema registry across nodes, on Kafka', { skip, timeout: 600_000 }, () => {
  const cluster = useKafka({ brokers: 1 });
  const PREFIX = 'registry-nodes.';
  const open: RegistryNode[] = [];
  const node = async (name: string, prefix = PREFIX): Promise<RegistryNode> => {
    const opened = await openRegistryNode(cluster().brokers, prefix, name);
    open.push(opened);
    return opened;
  };
  let a: RegistryNode;
  let b: RegistryNode;
  after(async () => {
    await Promise.all(open.map((n) => n.close().catch(() => undefined)));
  });

  it('shows a subject registered on node A on node B, within the bound', async (t) => {
    [a, b] = [await node('a'), await node('b')];
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      const subject = `visible-${i}`;
      const { id } = await a.registry.register(subject, compatibleSchema(i));
      delays.push(await within(`node B sees ${subject}`, () => b.registry.findVersion(subject, 'latest')?.id === id));
      assert.equal(b.registry.schemaById(id).schema, a.registry.schemaById(id).schema);
      assert.equal(b.registry.versionForId(subject, id)?.version, 1, 'the contract checker’s lookup by id sees it too');
    }
    t.diagnostic(`propagation A→B after register resolved: ${delays.map((d) => d.toFixed(0)).join(', ')} ms`);
  });

  it('hands out versions 1..20 once each when 20 registrations race on two nodes, and both end identical', async (t) => {
    const subject = 'raced';
    const started = performance.now();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).registry.register(subject, compatibleSchema(100 + i))),
    );
    const elapsed = performance.now() - started;
    assert.deepEqual(results.map((r) => r.version).sort((x, y) => x - y), Array.from({ length: 20 }, (_, i) => i + 1));
    assert.equal(new Set(results.map((r) => r.id)).size, 20, 'distinct ids');
    assert.ok(results.every((r) => r.created));
    await within('both nodes list 20 versions', () => versionsOf(a.registry, subject).length === 20 && versionsOf(b.registry, subject).length === 20);
    assert.deepEqual(registrySnapshot(b.registry), registrySnapshot(a.registry));
    // Each schema is at the version its registration returned, on both nodes.
    for (const [i, r] of results.entries()) {
      for (const n of [a, b]) assert.equal(n.registry.lookup(subject, compatibleSchema(100 + i)).version, r.version);
    }
    t.diagnostic(`20 racing registrations on 2 nodes: ${elapsed.toFixed(0)} ms in all, ${(elapsed / 20).toFixed(1)} ms each`);
  });

  it('applies a config change made on node B on node A', async () => {
    await b.registry.setLevel('raced', 'FULL');
    await within('node A has the subject level', () => a.registry.getLevel('raced') === 'FULL');
    await b.registry.setLevel(null, 'NONE');
    await within('node A has the global level', () => a.registry.getLevel(null) === 'NONE');
    await b.registry.deleteLevel('raced');
    await within('node A drops the subject level', () => a.registry.getLevel('raced', { defaultToGlobal: true }) === 'NONE');
  });

  it('shows a hard delete made on node A on node B', async () => {
    const subject = 'doomed';
    const { id } = await a.registry.register(subject, compatibleSchema(200));
    await within('node B sees it', () => b.registry.findVersion(subject, 'latest')?.id === id);
    await a.registry.deleteSubject(subject, false);
    await within('node B sees the soft delete', () => b.registry.findVersion(subject, 'latest') === undefined && b.registry.listSubjects({ deletedOnly: true }).includes(subject));
    await a.registry.deleteSubject(subject, true);
    await within('node B sees the hard delete', () => !b.registry.listSubjects({ deleted: true }).includes(subject));
    // The id stays used: the next new schema takes a new one on either node.
    const next = await b.registry.register('after-doomed', compatibleSchema(201));
    assert.ok(next.id > id);
  });

  it('rebuilds the same state on a node that restarts', async () => {
    await b.close();
    await a.registry.register('while-b-was-down', compatibleSchema(300));
    b = await node('b-again');
    assert.deepEqual(registrySnapshot(b.registry), registrySnapshot(a.registry));
  });

  it('measures a write: one node alone, then while the other node writes too', async (t) => {
    const alone: number[] = [];
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      await a.registry.register(`timed-${i}`, compatibleSchema(400 + i));
      alone.push(performance.now() - started);
    }
    // Alternating nodes: every write first fences the other node's producer.
    const lostBefore = [a.store.stats().lostLocks, b.store.stats().lostLocks];
    const alternating: number[] = [];
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      await (i % 2 === 0 ? a : b).registry.register(`alternating-${i}`, compatibleSchema(500 + i));
      alternating.push(performance.now() - started);
    }
    const stats = (xs: number[]) => {
      const sorted = [...xs].sort((x, y) => x - y);
      return `median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} ms, max ${sorted.at(-1)!.toFixed(1)} ms`;
    };
    const lost = [a.store.stats().lostLocks - lostBefore[0]!, b.store.stats().lostLocks - lostBefore[1]!];
    t.diagnostic(`register, same node each time: ${stats(alone)}; alternating nodes (each write fences the other): ${stats(alternating)}; attempts fenced: A ${lost[0]}, B ${lost[1]}`);
    // A node's producer keeps its epoch until another node initialises the transactional id: so
    // with alternating writers each node's first attempt finds itself fenced.
    assert.ok(lost[0]! >= 9 && lost[1]! >= 9, `each node was fenced by the other (${lost.join(', ')})`);
    await within('node B has them all', () => registrySnapshot(b.registry) !== undefined && JSON.stringify(registrySnapshot(b.registry)) === JSON.stringify(registrySnapshot(a.registry)));
  });

  it('aborts the open transaction of a writer that stopped mid-write, and never delivers its records', async () => {
    // A node that died between its send and its commit: a producer of the same transactional id.
    const { Producer } = await import('@platformatic/kafka');
    const dead = new Producer({ clientId: 'dead-node', bootstrapBrokers: cluster().brokers, transactionalId: `${PREFIX}sightline-registry`, idempotent: true });
    try {
      const transaction = await dead.beginTransaction({ producerId: -1n, producerEpoch: -1 });
      const orphan = { kind: 'config', subject: 'orphan', compatibility: 'NONE' };
      await transaction.send({ messages: [{ topic: `${PREFIX}_schemas`, partition: 0, key: Buffer.from('config/orphan'), value: Buffer.from(JSON.stringify(orphan)) }] });
      const started = performance.now();
      await a.registry.register('after-the-dead-node', compatibleSchema(600));
      const took = performance.now() - started;
      await within('node B sees the write that fenced the dead node', () => b.registry.findVersion('after-the-dead-node', 'latest') !== undefined);
      assert.throws(() => a.registry.getLevel('orphan'), { code: 'SL_SCHEMA_SUBJECT_LEVEL_NOT_CONFIGURED' }, 'the aborted record is not applied');
      assert.throws(() => b.registry.getLevel('orphan'), { code: 'SL_SCHEMA_SUBJECT_LEVEL_NOT_CONFIGURED' });
      await assert.rejects(transaction.commit(), (err: Error) => brokerErrorIds(err).has('PRODUCER_FENCED'), 'the dead node’s commit is refused');
      assert.ok(took < 5_000, `the write did not wait for the dead node's transaction to time out (${took.toFixed(0)} ms)`);
    } finally {
      await dead.close().catch(() => undefined);
    }
  });

  it('fences across processes: two processes registering at once hand out each version once', async () => {
    const prefix = 'registry-processes.';
    const subject = 'two-processes';
    const children: ChildProcess[] = [];
    const outputs = [0, 1].map((n) => {
      const child = spawn(process.execPath, [WRITER, '--brokers', cluster().bootstrap, '--prefix', prefix, '--name', `proc-${n}`, '--subject', subject, '--from', String(n * 10), '--count', '10'], {
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      children.push(child);
      const lines = createInterface({ input: child.stdout! });
      const ready = new Promise<void>((resolve, reject) => {
        lines.once('line', (line) => (line === 'ready' ? resolve() : reject(new Error(`process ${n} said ${line}`))));
        child.once('exit', (code) => reject(new Error(`process ${n} exited with ${code} before it was ready`)));
      });
      const result = new Promise<{ results: Array<{ id: number; version: number; created: boolean }>; ms: number }>((resolve, reject) => {
        lines.on('line', (line) => line.startsWith('{') && resolve(JSON.parse(line)));
        child.once('exit', (code) => code !== 0 && reject(new Error(`process ${n} exited with ${code}`)));
      });
      return { child, ready, result };
    });
    try {
      await Promise.all(outputs.map((o) => o.ready));
      for (const o of outputs) o.child.stdin!.write('go\n');
      const [first, second] = await Promise.all(outputs.map((o) => o.result));
      const all = [...first!.results, ...second!.results];
      assert.deepEqual(all.map((r) => r.version).sort((x, y) => x - y), Array.from({ length: 20 }, (_, i) => i + 1));
      assert.equal(new Set(all.map((r) => r.id)).size, 20);
      // A third node, opened afterwards, agrees with what each process was told.
      const reader = await node('reader', prefix);
      for (const [n, output] of [first!, second!].entries()) {
        for (const [i, r] of output.results.entries()) assert.equal(reader.registry.lookup(subject, compatibleSchema(n * 10 + i)).version, r.version);
      }
      assert.deepEqual(versionsOf(reader.registry, subject), Array.from({ length: 20 }, (_, i) => i + 1));
    } finally {
      for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
