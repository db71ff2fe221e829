import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { kafkaSkipReason, useKafka } from '../../helpers/kafka.js';
import { getJson, pageView, postEvents } from '../../helpers/events.js';
import { type PlatformProcess, startPlatformProcess } from '../../helpers/platform-process.js';

const skip = kafkaSkipReason();
const PARTITIONS = 12;
const PAGES = 20;

interface Deployment {
  ingest: PlatformProcess;
  serve: PlatformProcess;
  processors: PlatformProcess[];
  all: PlatformProcess[];
}

/** A config file for every role of one deployment on the test cluster, under its own topic prefix. */
async function writeConfig(dir: string, brokers: string[], prefix: string, replication: { factor: number; minIsr: number }): Promise<string> {
  const file = join(dir, 'sightline.json');
  await writeFile(
    file,
    JSON.stringify({
      logLevel: 'warn',
      log: {
        partitions: PARTITIONS,
        maxRecordBytes: 256 * 1024,
        kafka: { bootstrap: brokers, topicPrefix: prefix, replicationFactor: replication.factor, minInsyncReplicas: replication.minIsr, sessionTimeout: '6s' },
      },
      contracts: { unknown: 'accept' },
      // Small records, so a batch of 2,000 processed events is written (and loaded) in chunks.
      ingest: { maxEventBytes: 64 * 1024 },
      process: { batchSize: 2000 },
    }),
  );
  return file;
}

async function startRole(role: string, config: string, data: string): Promise<PlatformProcess> {
  return startPlatformProcess(['--config', config, '--data', data], 90_000, {}, role);
}

/**
 * The serving node first, then the others at once, as an orchestrator starts them. The first node
 * of a deployment writes its first admin key; nodes that start together on an empty deployment can
 * fail that write (CONCURRENT_TRANSACTIONS on the keys' transactional id), so the serving node
 * makes it alone.
 */
async function deploy(dir: string, config: string, processors: number): Promise<Deployment> {
  const serve = await startRole('serve', config, join(dir, 'serve'));
  const settled = await Promise.allSettled([
    startRole('ingest', config, join(dir, 'ingest')),
    ...Array.from({ length: processors }, (_, i) => startRole('process', config, join(dir, `process-${i}`))),
  ]);
  const others = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await Promise.all([serve, ...others].map((p) => p.kill9()));
    throw failed.reason;
  }
  const [ingest, ...started] = others as [PlatformProcess, ...PlatformProcess[]];
  return { ingest, serve, processors: started, all: [serve, ...others] };
}

/**
 * Sends `total` distinct page views (and a repeat of every tenth, as a producer retrying would)
 * in batches, retrying a batch that was not accepted whole, as the SDK does. Returns the distinct
 * ids the platform acknowledged.
 */
async function send(url: string, from: number, total: number, t0: number, onProgress?: (sent: number) => Promise<void>): Promise<number> {
  const batch = 500;
  let acknowledged = 0;
  for (let i = from; i < from + total; i += batch) {
    const events = [];
    for (let j = i; j < Math.min(i + batch, from + total); j++) events.push(pageView(`e-${j}`, t0 + j * 5, `/p${j % PAGES}`, `u${j % 97}`));
    for (let j = i; j < Math.min(i + batch, from + total); j += 10) events.push(pageView(`e-${j}`, t0 + j * 5, `/p${j % PAGES}`, `u${j % 97}`));
    for (let attempt = 0; ; attempt++) {
      const res = await postEvents(url, events).catch((err: Error) => ({ status: 0, body: { message: err.message } }));
      if (res.status === 200 || res.status === 202) break;
      if (attempt > 60) throw new Error(`batch at ${i} not accepted after ${attempt} attempts: ${res.status} ${JSON.stringify(res.body)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    acknowledged += Math.min(batch, from + total - i);
    await onProgress?.(acknowledged);
  }
  return acknowledged;
}

/** What the serving node holds: stored events, their count over the 1-minute windows, and its sink's backlog. */
async function held(serve: string): Promise<{ events: number; counted: number; backlog: number }> {
  const status = (await getJson(`${serve}/v1/status`)).body;
  const events = (status.hot_store.tables as Array<{ table: string; rows: number }>).find((t) => t.table === 'events')?.rows ?? 0;
  let counted = 0;
  for (let p = 0; p < PAGES; p++) {
    const { body } = await getJson(`${serve}/v1/aggregates/page-views?window=1m&page=${encodeURIComponent(`/p${p}`)}&limit=1000`);
    for (const row of body.windows as Array<{ count: number }>) counted += row.count;
  }
  const backlog = Object.values(status.sink.backlog as Record<string, number>).reduce((a, b) => a + b, 0);
  return { events, counted, backlog };
}

/**
 * Polls the serving node until it holds `expected` events, then until its sink has been idle for
 * a while (the offsets it compares against refresh every few seconds), and returns what it holds
 * then: a count that overshoots after first reaching `expected` is seen.
 */
async function waitForStored(serve: string, expected: number, timeoutMs: number): Promise<{ events: number; counted: number }> {
  const deadline = Date.now() + timeoutMs;
  let idleSince: number | undefined;
  for (;;) {
    const now = await held(serve);
    if (now.events >= expected && now.counted >= expected && now.backlog === 0) idleSince ??= Date.now();
    else idleSince = undefined;
    if ((idleSince !== undefined && Date.now() - idleSince > 8_000) || Date.now() > deadline) return { events: now.events, counted: now.counted };
    await new Promise((r) => setTimeout(r, 1000));
  }
}

describe('distributed mode: two processors share 12 partitions; one is killed with kill -9', { skip, timeout: 600_000 }, () => {
  const cluster = useKafka({ brokers: 1 });
  let dir = '';
  let deployment: Deployment | undefined;
  after(async () => {
    await Promise.all((deployment?.all ?? []).map((p) => p.kill9().catch(() => undefined)));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('counts every accepted event exactly once, and the survivor takes every partition', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sightline-dist-'));
    const config = await writeConfig(dir, cluster().brokers, 'kill9.', { factor: 1, minIsr: 1 });
    deployment = await deploy(dir, config, 2);
    const [first, second] = deployment.processors as [PlatformProcess, PlatformProcess];

    // Both members hold partitions before the crash.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const a = (await getJson(`${first.url}/v1/status`)).body.processor.partitions as number[];
      const b = (await getJson(`${second.url}/v1/status`)).body.processor.partitions as number[];
      if (a.length > 0 && b.length > 0 && a.length + b.length === PARTITIONS) break;
      assert.ok(Date.now() < deadline, `the group did not settle: ${JSON.stringify({ a, b })}`);
      await new Promise((r) => setTimeout(r, 250));
    }

    // One registry for the deployment: a contract registered on the serving node is enforced by
    // the ingest node (another process) once it has read it from `_schemas`.
    const schema = { type: 'object', properties: { user_id: { type: 'string' }, page: { type: 'string', pattern: '^/' } }, required: ['user_id', 'page'] };
    const registered = await fetch(`${deployment.serve.url}/subjects/web.page_view/versions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ schema: JSON.stringify(schema), schemaType: 'JSON' }),
    });
    assert.equal(registered.status, 200, await registered.clone().text());
    const registeredAt = Date.now();
    while (!((await getJson(`${deployment.ingest.url}/subjects`)).body as string[]).includes('web.page_view')) {
      assert.ok(Date.now() - registeredAt < 10_000, 'the ingest node did not see the contract within 10 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    const refused = await postEvents(deployment.ingest.url, [pageView('not-a-page', Date.now(), 'no-slash')]);
    assert.equal(refused.body.rejected?.[0]?.code, 'SL_CONTRACT_VIOLATION', JSON.stringify(refused.body));

    const total = 30_000;
    const t0 = Date.now() - 10 * 60_000;
    let killed = false;
    await send(deployment.ingest.url, 0, total, t0, async (sent) => {
      if (!killed && sent >= total / 2) {
        killed = true;
        await first.kill9();
      }
    });
    assert.ok(killed);

    const stored = await waitForStored(deployment.serve.url, total, 180_000);
    assert.equal(stored.events, total, 'every accepted event stored exactly once');
    assert.equal(stored.counted, total, 'every accepted event counted exactly once in the 1-minute windows');
    const survivor = (await getJson(`${second.url}/v1/status`)).body.processor;
    assert.deepEqual(survivor.partitions, Array.from({ length: PARTITIONS }, (_, p) => p));
  });
});

describe('distributed mode on three brokers (RF 3, min ISR 2): a broker is killed and restarted mid-stream', { skip, timeout: 600_000 }, () => {
  const cluster = useKafka({ brokers: 3 });
  let dir = '';
  let deployment: Deployment | undefined;
  after(async () => {
    await Promise.all((deployment?.all ?? []).map((p) => p.kill9().catch(() => undefined)));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('loses nothing acknowledged and counts every accepted event exactly once', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sightline-dist3-'));
    const config = await writeConfig(dir, cluster().brokers, 'broker-failover.', { factor: 3, minIsr: 2 });
    deployment = await deploy(dir, config, 2);
    const total = 30_000;
    const t0 = Date.now() - 10 * 60_000;
    let phase: 'before' | 'down' | 'up' = 'before';
    const victim = cluster().nodeIds[1]!;
    let restarted: Promise<void> | undefined;
    await send(deployment.ingest.url, 0, total, t0, async (sent) => {
      if (phase === 'before' && sent >= total / 3) {
        phase = 'down';
        await cluster().stopBroker(victim, 'SIGKILL');
      } else if (phase === 'down' && sent >= (2 * total) / 3) {
        phase = 'up';
        // Not awaited: the last third is sent while the broker starts again, catches up and rejoins.
        restarted = cluster().startBroker(victim);
      }
    });
    assert.equal(phase, 'up');
    await restarted;
    const stored = await waitForStored(deployment.serve.url, total, 240_000);
    assert.equal(stored.events, total, 'every accepted event stored exactly once');
    assert.equal(stored.counted, total, 'every accepted event counted exactly once in the 1-minute windows');
    for (const p of deployment.all) assert.equal(p.child.exitCode, null, `a role exited:\n${p.output().slice(-2000)}`);
  });
});
