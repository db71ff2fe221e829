import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { buildConfig } from '../../../src/config/config.js';
import { KafkaLog } from '../../../src/log/kafka/kafka-log.js';
import { type RunningPlatform, startPlatform } from '../../../src/platform/start-platform.js';
import { getJson, pageView, postEvents } from '../../helpers/events.js';
import { kafkaSkipReason, useKafka } from '../../helpers/kafka.js';
import { tempDir } from '../../helpers/tmp.js';

const skip = kafkaSkipReason();
const PREFIX = 'up-on-kafka.';
const PAGE_VIEW = { type: 'object', properties: { user_id: { type: 'string' }, page: { type: 'string' } }, required: ['user_id', 'page'] };

/** Until the processors and the sink have nothing left: everything accepted is queryable. */
async function settle(url: string, timeoutMs = 60_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await getJson(`${url}/v1/status`);
    const sinkIdle = Object.values(body.sink.backlog as Record<string, number>).every((n) => n === 0);
    if (body.processor.backlog === 0 && body.processor.partitions.length === 4 && sinkIdle) return body;
    assert.ok(Date.now() < deadline, `not settled: ${JSON.stringify({ processor: body.processor, sink: body.sink })}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `sightline up --log kafka://…`: every role in one process, on Kafka instead of the embedded log. */
describe('sightline up on Kafka', { skip, timeout: 300_000 }, () => {
  const cluster = useKafka({ brokers: 1 });
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let platform: RunningPlatform;

  before(async () => {
    tmp = await tempDir();
    const config = buildConfig({
      dataDir: join(tmp.dir, 'data'),
      server: { port: 0 },
      log: { partitions: 4, kafka: { bootstrap: cluster().brokers, topicPrefix: PREFIX, replicationFactor: 1, minInsyncReplicas: 1 } },
      quality: { rules: [{ name: 'known-page', match: { type: 'page_view' }, severity: 'error', check: 'regex', field: 'payload.page', pattern: '^/' }] },
      probe: { interval: '0s' },
    });
    platform = await startPlatform(config, pino({ level: process.env.SIGHTLINE_TEST_LOG_LEVEL ?? 'silent' }));
  });
  after(async () => {
    await platform?.stop();
    await tmp?.cleanup();
  });

  it('takes events against a contract, stores and counts them once, and dead-letters the ones a quality rule refuses', async () => {
    const registered = await fetch(`${platform.url}/subjects/web.page_view/versions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ schema: JSON.stringify(PAGE_VIEW), schemaType: 'JSON' }),
    });
    assert.equal(registered.status, 200, await registered.clone().text());
    const schemaId = ((await registered.json()) as { id: number }).id;

    const now = Date.now() - 120_000;
    const events = Array.from({ length: 200 }, (_, i) => pageView(`k-${i}`, now + i * 100, `/p${i % 4}`));
    const first = await postEvents(platform.url, events, { traceparent: `00-${'e'.repeat(32)}-${'f'.repeat(16)}-01` });
    assert.deepEqual(first.body, { accepted: 200, rejected: [] });
    // Producer retries and one event the quality rule refuses.
    const again = await postEvents(platform.url, [...events.slice(0, 50), pageView('k-bad', now, 'no-slash')]);
    assert.equal(again.body.accepted, 51);

    const status = await settle(platform.url);
    assert.equal(status.processor.processed, 251);
    assert.equal(status.processor.duplicates, 50);
    assert.equal(status.sink.rows, 200);
    const stored = (status.hot_store.tables as Array<{ table: string; rows: number }>).find((t) => t.table === 'events')!.rows;
    assert.equal(stored, 200);

    let counted = 0;
    for (let p = 0; p < 4; p++) {
      const { body } = await getJson(`${platform.url}/v1/aggregates/page-views?window=1m&page=/p${p}&limit=100`);
      for (const w of body.windows as Array<{ count: number }>) counted += w.count;
    }
    assert.equal(counted, 200);

    const event = await getJson(`${platform.url}/v1/events/k-7`);
    assert.equal(event.status, 200);
    assert.equal(event.body.trace_id, 'e'.repeat(32));
    assert.deepEqual(event.body.event.metadata.contract, { subject: 'web.page_view', version: 1, id: schemaId });

    // The refused event reaches the dead-letter list through the processor's transaction.
    const deadline = Date.now() + 30_000;
    let letters: Array<{ event_id: string; code: string; stage: string }> = [];
    while (letters.length === 0 && Date.now() < deadline) {
      letters = (await getJson(`${platform.url}/v1/dlq?stage=process`)).body.dead_letters ?? [];
      if (letters.length === 0) await new Promise((r) => setTimeout(r, 200));
    }
    assert.deepEqual(
      letters.map((l) => [l.event_id, l.code]),
      [['k-bad', 'SL_QUALITY_FAILED']],
    );
    const replay = await fetch(`${platform.url}/v1/dlq/replay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"ids":["0-0"]}' });
    assert.equal(replay.status, 404);
    assert.match(((await replay.json()) as { message: string }).message, /not available on this node/);
  });

  it('writes records keyed by event id with the trace context and the contract in headers', async () => {
    const log = await KafkaLog.open({ bootstrap: cluster().brokers, clientId: 'headers-check', topicPrefix: PREFIX, topicDefaults: { replicationFactor: 1 }, logger: pino({ level: 'silent' }) });
    try {
      const consumer = await log.consumer('headers-check', 'events');
      const seen = new Map<string, Record<string, string>>();
      const deadline = Date.now() + 20_000;
      while (!seen.has('k-7') && Date.now() < deadline) for (const r of await consumer.poll(500, 500)) if (!seen.has(r.key)) seen.set(r.key, r.headers);
      await consumer.close();
      const headers = seen.get('k-7');
      assert.ok(headers, 'the record of k-7 is keyed by its id');
      // Its first copy, from the request that carried a traceparent (the retry started a trace of its own).
      assert.equal(headers['sl.schema.subject'], 'web.page_view');
      assert.equal(headers['sl.schema.version'], '1');
      assert.match(headers['sl.schema.id'] ?? '', /^[0-9]+$/);
      assert.match(headers.traceparent ?? '', new RegExp(`^00-${'e'.repeat(32)}-`));
    } finally {
      await log.close();
    }
  });
});
