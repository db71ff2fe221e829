/**
 * Distributed mode on a cluster run as production should be: clients reach the brokers only over
 * TLS with SASL/SCRAM, an ACL authorizer allows nothing by default, and each role connects as its
 * own principal with the ACLs `sightline kafka setup` granted it (docs/security.md).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Admin, Consumer, MessagesStreamModes, ProduceAcks, Producer, stringSerializers } from '@platformatic/kafka';
import { brokerErrorIds } from '../../../src/log/kafka/errors.js';
import { getJson, pageView, postEvents } from '../../helpers/events.js';
import { kafkaSkipReason, useKafka } from '../../helpers/kafka.js';
import { type PlatformProcess, startPlatformProcess } from '../../helpers/platform-process.js';

const skip = kafkaSkipReason();
const CLI = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));
const PREFIX = 'secure.';
const USERS = { ingest: 'ingest-secret-1', process: 'process-secret-2', serve: 'serve-secret-3' } as const;
type RoleName = keyof typeof USERS;

function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, out })));
}

/** The broker error ids a client call failed with (empty when it did not fail). */
async function refusal(call: () => Promise<unknown>): Promise<Set<string>> {
  try {
    await call();
    return new Set();
  } catch (error) {
    const ids = brokerErrorIds(error);
    return ids.size > 0 ? ids : new Set([String((error as Error).message)]);
  }
}

describe('distributed mode with TLS, SCRAM and ACLs: each role as its own principal', { skip, timeout: 420_000 }, () => {
  const cluster = useKafka({ brokers: 1, secure: { users: USERS } });
  let dir = '';
  const nodes: PlatformProcess[] = [];
  const configOf = (user: string): string => join(dir, `${user}.json`);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sightline-secure-'));
    for (const user of ['admin', ...Object.keys(USERS)]) {
      await writeFile(
        configOf(user),
        JSON.stringify({
          logLevel: 'warn',
          log: {
            partitions: 2,
            kafka: {
              bootstrap: cluster().brokers,
              topicPrefix: PREFIX,
              replicationFactor: 1,
              minInsyncReplicas: 1,
              tls: { caFile: cluster().caFile },
              sasl: { mechanism: 'SCRAM-SHA-512', username: user },
            },
          },
          contracts: { unknown: 'accept' },
          probe: { interval: '0s' },
        }),
      );
    }
  });
  after(async () => {
    await Promise.all(nodes.map((n) => n.stop().catch(() => undefined)));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const passwordOf = (user: string): Record<string, string> => ({ SIGHTLINE_KAFKA_PASSWORD: cluster().clientSecurity(user)!.sasl.password });
  const startRole = async (role: RoleName, user: string = role): Promise<PlatformProcess> =>
    startPlatformProcess(['--config', configOf(user), '--data', join(dir, `${role}-${user}-${nodes.length}`)], 120_000, passwordOf(user), role);

  it('refuses a role before setup: nodes may not create topics', async () => {
    await assert.rejects(startRole('ingest'), /SL_LOG_ACCESS_DENIED[\s\S]*TOPIC_AUTHORIZATION_FAILED/);
  });

  it('sets the deployment up as the administrator: topics, and each role its own ACLs', async () => {
    const setup = await runCli(['kafka', 'setup', '--config', configOf('admin'), '--ingest', 'User:ingest', '--process', 'User:process', '--serve', 'User:serve'], passwordOf('admin'));
    assert.equal(setup.code, 0, setup.out);
    assert.match(setup.out, /topics: .*secure\._audit.*secure\.events/);
    assert.match(setup.out, /^ingest: User:ingest allowed \d+ operations$/m);
    // A second run changes nothing and does not fail.
    assert.equal((await runCli(['kafka', 'setup', '--config', configOf('admin'), '--serve', 'User:serve'], passwordOf('admin'))).code, 0);
  });

  it('carries events from ingest to a query, each role connected as its own principal', async () => {
    nodes.push(await startRole('serve'), await startRole('process'), await startRole('ingest'));
    const [serve, , ingest] = nodes as [PlatformProcess, PlatformProcess, PlatformProcess];
    const t0 = Date.now() - 600_000;
    const events = Array.from({ length: 50 }, (_, i) => pageView(`s-${i}`, t0 + i * 1000, `/p${i % 3}`));
    const sent = await postEvents(ingest.url, [...events, { id: 'no-time', source: 'web', type: 'page_view', payload: {} }]);
    assert.equal(sent.body.accepted, 50);
    const deadline = Date.now() + 90_000;
    let stored = 0;
    while (stored < 50 && Date.now() < deadline) {
      const status = (await getJson(`${serve.url}/v1/status`)).body;
      stored = (status.hot_store.tables as Array<{ table: string; rows: number }>).find((t) => t.table === 'events')?.rows ?? 0;
      if (stored < 50) await new Promise((r) => setTimeout(r, 500));
    }
    assert.equal(stored, 50, `every accepted event reached the serving node; what the nodes logged:\n${nodes.map((n) => n.output().slice(-3000)).join('\n---\n')}`);
    const letters = (await getJson(`${serve.url}/v1/dlq?event_id=no-time`)).body.dead_letters as Array<{ code: string }>;
    assert.deepEqual(letters.map((l) => l.code), ['SL_EVENT_FIELD_MISSING'], 'the serving node indexes what ingest dead-lettered');
    // Nothing a role does in the background (offset refreshes, commits, table follows) was refused.
    for (const node of nodes) assert.doesNotMatch(node.output(), /AUTHORIZATION_FAILED|ACCESS_DENIED/, node.output().slice(-3000));
  });

  it("deletes a user's events on the serving node when any node takes the request, and says Kafka keeps its records", async () => {
    const [serve, , ingest] = nodes as [PlatformProcess, PlatformProcess, PlatformProcess];
    const t0 = Date.now() - 300_000;
    const gone = Array.from({ length: 10 }, (_, i) => pageView(`gone-${i}`, t0 + i * 1000, '/p0', 'leaver'));
    assert.equal((await postEvents(ingest.url, gone)).body.accepted, 10);
    // Filed on the ingest node: the table is shared, and the serving node applies it.
    const filed = await fetch(`${ingest.url}/v1/erasures`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user_id: 'leaver' }) });
    assert.equal(filed.status, 202);
    const { id } = (await filed.json()) as { id: string };
    let view: any;
    const deadline = Date.now() + 90_000;
    do {
      await new Promise((r) => setTimeout(r, 500));
      view = (await getJson(`${serve.url}/v1/erasures/${id}`)).body;
    } while (view.state === 'pending' && Date.now() < deadline);
    assert.equal(view.state, 'done', JSON.stringify(view));
    assert.equal(view.results[0].counts.hot.events, 10, 'everything accepted before the request was loaded, then deleted');
    assert.match(view.results[0].counts.log.note, /Kafka/);
    assert.equal((await getJson(`${serve.url}/v1/events/recent?user_id=leaver&limit=100`)).body.events.length, 0);
    assert.equal((await getJson(`${serve.url}/v1/events/recent?user_id=u1&limit=100`)).body.events.length, 50);
    for (const node of nodes) assert.doesNotMatch(node.output(), /AUTHORIZATION_FAILED|ACCESS_DENIED/, node.output().slice(-3000));
  });

  it('refuses each principal outside its ACLs', async () => {
    const c = cluster();
    const clientOf = (user: RoleName) => ({ clientId: `probe-${user}`, bootstrapBrokers: c.brokers, ...c.clientSecurity(user)!, retries: 0, timeout: 10_000 });
    const produce = async (user: RoleName, topic: string) => {
      const producer = new Producer({ ...clientOf(user), serializers: stringSerializers, acks: ProduceAcks.ALL });
      try {
        await producer.send({ messages: [{ topic, key: 'k', value: 'v' }] });
      } finally {
        await producer.close();
      }
    };
    const consume = async (user: RoleName, topic: string, group: string) => {
      const consumer = new Consumer({ ...clientOf(user), groupId: group });
      try {
        const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST, maxWaitTime: 500 });
        await stream.close();
      } finally {
        await consumer.close(true);
      }
    };
    // Serving and processing nodes cannot append events; ingest can.
    assert.ok((await refusal(() => produce('serve', `${PREFIX}events`))).has('TOPIC_AUTHORIZATION_FAILED'));
    assert.ok((await refusal(() => produce('process', `${PREFIX}events`))).has('TOPIC_AUTHORIZATION_FAILED'));
    assert.equal((await refusal(() => produce('ingest', `${PREFIX}events`))).size, 0, 'ingest may append events');
    // Ingest cannot read the events it wrote, nor join the processors' group.
    const ingestReading = () => refusal(() => consume('ingest', `${PREFIX}events`, `${PREFIX}sightline-main`));
    let ingestReads = await ingestReading();
    // The group's coordinator may still be loading the offsets topic: asked again, it answers.
    for (let i = 0; i < 20 && ingestReads.has('COORDINATOR_NOT_AVAILABLE'); i++) {
      await new Promise((r) => setTimeout(r, 500));
      ingestReads = await ingestReading();
    }
    assert.ok(ingestReads.has('GROUP_AUTHORIZATION_FAILED') || ingestReads.has('TOPIC_AUTHORIZATION_FAILED'), [...ingestReads].join());
    // Nobody but the administrator creates topics.
    for (const user of Object.keys(USERS) as RoleName[]) {
      const admin = new Admin(clientOf(user));
      try {
        assert.ok((await refusal(() => admin.createTopics({ topics: [`${PREFIX}made-by-${user}`], partitions: 1, replicas: 1 }))).has('TOPIC_AUTHORIZATION_FAILED'), user);
      } finally {
        await admin.close();
      }
    }
    // A node started as a role its principal has no ACLs for fails to start, saying why.
    await assert.rejects(startRole('process', 'ingest'), /SL_LOG_ACCESS_DENIED/);
  });

  it('refuses a wrong password and a client that does not verify the brokers', async () => {
    const c = cluster();
    await assert.rejects(
      startPlatformProcess(['--config', configOf('ingest'), '--data', join(dir, 'wrong-password')], 60_000, { SIGHTLINE_KAFKA_PASSWORD: 'not-the-password' }, 'ingest'),
      /SL_LOG_/,
    );
    const untrusting = new Admin({ clientId: 'no-ca', bootstrapBrokers: c.brokers, tls: {}, sasl: c.clientSecurity('ingest')!.sasl, retries: 0, timeout: 5_000 });
    try {
      const ids = await refusal(() => untrusting.listTopics());
      assert.ok(ids.size > 0, 'a client that does not trust the CA is not connected');
    } finally {
      await untrusting.close().catch(() => undefined);
    }
  });
});
