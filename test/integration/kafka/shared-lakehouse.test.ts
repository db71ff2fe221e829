import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { kafkaSkipReason, useKafka } from '../../helpers/kafka.js';
import { getJson, pageView, postEvents } from '../../helpers/events.js';
import { pyicebergSkipReason, readCatalog } from '../../helpers/iceberg.js';
import { type PlatformProcess, startPlatformProcess } from '../../helpers/platform-process.js';
import { type RunningS3, s3SkipReason, startMoto } from '../../helpers/s3.js';
import { tempDir } from '../../helpers/tmp.js';
import { eventually } from '../../helpers/wait.js';

const PAGES = 5;
const HALF = 600;

/** Stored events of a serving node. */
async function storedEvents(url: string): Promise<number> {
  const status = (await getJson(`${url}/v1/status`)).body;
  return (status.hot_store.tables as Array<{ table: string; rows: number }>).find((t) => t.table === 'events')?.rows ?? 0;
}

/** The final windows a serving node holds: what the aggregation's table must hold once each. */
async function finalWindows(url: string): Promise<number> {
  let n = 0;
  for (const window of ['1m', '5m']) {
    for (let p = 0; p < PAGES; p++) n += ((await getJson(`${url}/v1/aggregates/page-views?window=${window}&page=/p${p}&limit=10000`)).body.windows as Array<{ final: boolean }>).filter((w) => w.final).length;
  }
  return n;
}

describe('distributed mode: serving nodes share one lakehouse on an object store', { skip: kafkaSkipReason() || s3SkipReason() || pyicebergSkipReason(), timeout: 600_000 }, () => {
  const cluster = useKafka({ brokers: 1 });
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let moto: RunningS3;
  const nodes: PlatformProcess[] = [];
  before(async () => {
    tmp = await tempDir();
    moto = await startMoto();
    await moto.createBucket('lake');
  });
  after(async () => {
    await Promise.all(nodes.map((n) => n.kill9().catch(() => undefined)));
    await moto?.stop();
    await tmp?.cleanup();
  });

  it('holds each event, contract row and closed window once, whichever node exported it, across a kill -9 and a late joiner', async () => {
    const config = join(tmp.dir, 'sightline.json');
    await writeFile(
      config,
      JSON.stringify({
        logLevel: 'warn',
        log: { partitions: 4, kafka: { bootstrap: cluster().brokers, topicPrefix: 'lake.', replicationFactor: 1, minInsyncReplicas: 1, sessionTimeout: '6s' } },
        contracts: { unknown: 'accept' },
        probe: { interval: '0s' },
        process: { idleTimeout: '2s' },
        cold: { rollRows: 50, rollInterval: '1s', objectStore: { bucket: 'lake', prefix: 'sl' } },
      }),
    );
    const env = { AWS_ENDPOINT_URL: moto.endpoint, AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: moto.root.accessKeyId, AWS_SECRET_ACCESS_KEY: moto.root.secretAccessKey };
    const start = async (role: string, name: string): Promise<PlatformProcess> => {
      const node = await startPlatformProcess(['--config', config, '--data', join(tmp.dir, name)], 90_000, env, role);
      nodes.push(node);
      return node;
    };
    let serveA = await start('serve', 'serve-a');
    await start('process', 'process');
    const ingest = await start('ingest', 'ingest');
    const registered = await fetch(`${serveA.url}/subjects/web.page_view/versions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ schemaType: 'JSON', schema: JSON.stringify({ type: 'object', properties: { user_id: { type: 'string' }, page: { type: 'string' } } }) }),
    });
    assert.equal(registered.status, 200, await registered.text());
    const t0 = Date.UTC(2026, 10, 20, 23, 50);
    const send = async (from: number, to: number): Promise<void> => {
      for (let i = from; i < to; i += 100) {
        const batch = Array.from({ length: Math.min(100, to - i) }, (_, j) => pageView(`e-${i + j}`, t0 + (i + j) * 2_000, `/p${(i + j) % PAGES}`, `u${(i + j) % 7}`));
        // A producer's retry: the first ten again.
        const { status, body } = await postEvents(ingest.url, [...batch, ...batch.slice(0, 10)]);
        assert.ok(status === 200 || status === 202, JSON.stringify(body));
      }
    };
    const tables = async (url: string) => (await readCatalog(`${url}/iceberg`, undefined, { props: { 's3.access-key-id': moto.root.accessKeyId, 's3.secret-access-key': moto.root.secretAccessKey } })).tables;

    // The first half: only A serves, so A exports it.
    await send(0, HALF);
    await eventually(async () => (await storedEvents(serveA.url)) === HALF, 'A holds the first half', 120_000);
    await eventually(async () => (await tables(serveA.url)).events?.rows === HALF, 'the first half in the events table', 120_000);

    // B joins late: it loads everything from the log, and finds the table already holds it.
    const serveB = await start('serve', 'serve-b');
    await eventually(async () => (await storedEvents(serveB.url)) === HALF, 'B holds the first half', 120_000);

    // A dies mid-stream; B exports the second half alone.
    await serveA.kill9();
    await send(HALF, 2 * HALF);
    await eventually(async () => (await storedEvents(serveB.url)) === 2 * HALF, 'B holds everything', 120_000);

    // A comes back on its data folder, catches up from the log and exports what it finds missing: nothing.
    serveA = await start('serve', 'serve-a');
    await eventually(async () => (await storedEvents(serveA.url)) === 2 * HALF, 'A holds everything again', 120_000);
    const windows = await finalWindows(serveB.url);
    assert.ok(windows > 0);
    await eventually(
      async () => {
        const now = await tables(serveB.url);
        return now.events?.rows === 2 * HALF && now.events_web_page_view?.rows === 2 * HALF && now.page_views?.rows === windows;
      },
      'every event and window in the tables',
      120_000,
    );
    // Both nodes have run several exports since; then every table holds each row once.
    await new Promise((r) => setTimeout(r, 4_000));
    const final = await tables(serveA.url);
    for (const name of ['events', 'events_web_page_view']) {
      assert.equal(final[name]!.rows, 2 * HALF, name);
      assert.equal(final[name]!.distinct_keys, 2 * HALF, name);
    }
    assert.equal(final.page_views!.rows, windows);
    assert.equal(final.page_views!.distinct_keys, windows);
    // Both nodes wrote to the events table: A the first half, B the second.
    const listed = await moto.client().send(new ListObjectsV2Command({ Bucket: 'lake', Prefix: 'sl/events/dt=' }));
    const writers = new Set((listed.Contents ?? []).map((o) => /-w([0-9a-f]{8})\.parquet$/.exec(o.Key!)?.[1]).filter(Boolean));
    assert.equal(writers.size, 2, [...writers].join(', '));

    // A deletion request: both nodes apply it to the shared tables, one after the other or at once.
    const requested = await fetch(`${serveA.url}/v1/erasures`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user_id: 'u3' }) });
    const { id } = (await requested.json()) as { id: string };
    assert.equal(requested.status, 202, id);
    // Both serving nodes say what they removed from the cold tier; none failed.
    let last: unknown;
    await eventually(async () => {
      const { body } = await getJson(`${serveB.url}/v1/erasures/${id}`);
      last = body;
      assert.notEqual(body.state, 'failed', JSON.stringify(body));
      return (body.results as Array<{ counts?: { cold?: unknown } }>).filter((r) => r.counts?.cold).length === 2;
    }, 'both serving nodes applied the erasure', 60_000).catch((err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(last)}`);
    });
    const ofU3 = Array.from({ length: 2 * HALF }, (_, i) => i).filter((i) => i % 7 === 3).length;
    await eventually(async () => {
      const after = await tables(serveB.url);
      return after.events?.rows === 2 * HALF - ofU3 && after.events_web_page_view?.rows === 2 * HALF - ofU3 && after.events.user_ids?.u3 === undefined;
    }, 'the user\'s rows gone from both tables of events', 60_000);
  });
});
