import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { buildConfig } from '../../../src/config/config.js';
import { type RunningPlatform, startPlatform } from '../../../src/platform/start-platform.js';
import { getJson, postEvents, waitForBacklogZero } from '../../helpers/events.js';
import { tempDir } from '../../helpers/tmp.js';

const NOW = Date.now();
const ORDER_V1 = { type: 'object', properties: { order_id: { type: 'string' }, amount: { type: 'number' }, coupon: { type: 'string' } }, required: ['order_id', 'amount', 'coupon'] };
// The fix: a coupon is optional (BACKWARD compatible: v2 reads everything v1 accepted).
const ORDER_V2 = { ...ORDER_V1, required: ['order_id', 'amount'] };

const order = (id: string, payload: Record<string, unknown>, timestamp = NOW - 10 * 60_000) => ({ id, source: 'shop', type: 'order', timestamp, payload });

async function post(url: string, path: string, body: unknown): Promise<{ status: number; body: any }> {
  const r = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: r.status, body: await r.json() };
}

/** Every refused event lands in the dead-letter queue with its reason and bytes, survives a restart, and replays after a fix. */
describe('dead-letter queue round trip', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let platform: RunningPlatform;
  const start = async () => {
    const config = buildConfig({
      dataDir: join(tmp.dir, 'data'),
      server: { port: 0 },
      probe: { interval: 0 },
      // Small records, to show an event too large for one still leaves its dead letter.
      log: { maxRecordBytes: 200 * 1024 },
      ingest: { maxEventBytes: 100 * 1024 },
      process: { watermarkDelay: '0s', allowedLateness: '15m', dedupWindow: '1h' },
      quality: {
        bucket: '1m',
        rules: [
          { name: 'amount-positive', match: { source: 'shop', type: 'order' }, check: 'range', field: 'payload.amount', min: 0 },
          { name: 'order-unique', match: { type: 'order' }, check: 'unique', field: 'payload.order_id' },
          { name: 'big-order', match: { type: 'order' }, severity: 'warn', check: 'range', field: 'payload.amount', max: 1000 },
        ],
      },
    });
    platform = await startPlatform(config, pino({ level: 'silent' }));
  };
  const dlq = async (query = '') => (await getJson(`${platform.url}/v1/dlq${query}`)).body.dead_letters as any[];
  const waitForDlq = async (n: number, query = '') => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const rows = await dlq(query);
      if (rows.length >= n || Date.now() > deadline) return rows;
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  before(async () => {
    tmp = await tempDir();
    await start();
    const r = await post(platform.url, '/subjects/shop.order/versions', { schema: JSON.stringify(ORDER_V1), schemaType: 'JSON' });
    assert.equal(r.status, 200);
  });
  after(async () => {
    await platform.stop();
    await tmp.cleanup();
  });

  it('dead-letters refusals at ingest (envelope, contract, unparseable) and in processing (quality, late), each with its reason', async () => {
    const good = order('o-1', { order_id: 'A', amount: 10, coupon: 'X' });
    const r = await postEvents(platform.url, [
      good,
      order('o-2', { order_id: 'B', amount: 5 }), // no coupon: contract v1 refuses it
      { id: 'o-3', source: 'shop', type: 'order', payload: {} }, // no timestamp
      order('o-4', { order_id: 'C', amount: -3, coupon: 'X' }), // quality error
      order('o-5', { order_id: 'A', amount: 7, coupon: 'Y' }), // order id A again: unique rule
      order('o-6', { order_id: 'D', amount: 5000, coupon: 'X' }), // quality warning only
    ]);
    assert.equal(r.status, 200);
    assert.equal(r.body.accepted, 4);
    assert.deepEqual(r.body.rejected.map((x: any) => x.code), ['SL_CONTRACT_VIOLATION', 'SL_EVENT_FIELD_MISSING']);
    const nd = await fetch(`${platform.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: '{"id": "broken", \n' });
    assert.equal(nd.status, 200);
    await waitForBacklogZero(platform.url);
    // An event of now moves the watermark to now; one 30 minutes old is then later than the 15 allowed.
    await postEvents(platform.url, [order('o-7', { order_id: 'E', amount: 1, coupon: 'X' }, NOW)]);
    await waitForBacklogZero(platform.url);
    await postEvents(platform.url, [order('o-8', { order_id: 'F', amount: 1, coupon: 'X' }, NOW - 30 * 60_000)]);
    await waitForBacklogZero(platform.url);

    const rows = await waitForDlq(6);
    const byEvent = new Map(rows.map((d) => [d.event_id ?? 'none', d]));
    assert.equal(rows.length, 6, JSON.stringify(rows, null, 1));
    assert.equal(byEvent.get('o-2').code, 'SL_CONTRACT_VIOLATION');
    assert.equal(byEvent.get('o-2').stage, 'ingest');
    assert.deepEqual(byEvent.get('o-2').schema, { subject: 'shop.order', version: 1, id: 1 });
    assert.match(byEvent.get('o-2').message, /coupon/);
    assert.equal(byEvent.get('o-3').code, 'SL_EVENT_FIELD_MISSING');
    assert.equal(byEvent.get('none').code, 'SL_EVENT_UNPARSEABLE');
    assert.equal(byEvent.get('o-4').code, 'SL_QUALITY_FAILED');
    assert.equal(byEvent.get('o-4').stage, 'process');
    assert.equal(byEvent.get('o-4').rule, 'amount-positive');
    assert.match(byEvent.get('o-4').origin, /^events\/\d+\/\d+$/);
    assert.equal(byEvent.get('o-5').rule, 'order-unique');
    assert.equal(byEvent.get('o-8').code, 'SL_EVENT_LATE');
    for (const d of rows) assert.ok(d.at >= NOW - 1000 && d.at <= Date.now(), `time of ${d.id}`);

    // Filters.
    assert.deepEqual((await dlq('?stage=process')).map((d) => d.event_id).sort(), ['o-4', 'o-5', 'o-8']);
    assert.deepEqual((await dlq('?code=SL_QUALITY_FAILED&rule=order-unique')).map((d) => d.event_id), ['o-5']);
    // Paging, newest first.
    const page1 = (await getJson(`${platform.url}/v1/dlq?limit=4`)).body;
    const page2 = (await getJson(`${platform.url}/v1/dlq?limit=4&cursor=${page1.next_cursor}`)).body;
    assert.deepEqual([...page1.dead_letters, ...page2.dead_letters].map((d: any) => d.id), rows.map((d) => d.id));
    assert.equal(page2.next_cursor, null);

    // The original bytes, and the flagged event stored with its warning.
    const shown = (await getJson(`${platform.url}/v1/dlq/${byEvent.get('o-2').id}`)).body;
    assert.deepEqual(shown.original, order('o-2', { order_id: 'B', amount: 5 }));
    assert.equal((await getJson(`${platform.url}/v1/dlq/${byEvent.get('none').id}`)).body.original, '{"id": "broken", ');
    assert.equal((await getJson(`${platform.url}/v1/dlq/0-999999`)).status, 404);
    const flagged = (await getJson(`${platform.url}/v1/events/o-6`)).body.event;
    assert.deepEqual(flagged.metadata.quality.warnings.map((w: any) => w.rule), ['big-order']);
    // Its lineage: where it came from, each step with its version, where it went.
    const lineage = flagged.metadata.lineage;
    assert.equal(lineage.source, 'shop');
    assert.equal(typeof lineage.ingest.node, 'string');
    assert.deepEqual(lineage.steps.map((s: any) => s.step), ['envelope', 'contract', 'dedup', 'late_check', 'quality', 'aggregation']);
    assert.deepEqual(lineage.steps[1], { step: 'contract', subject: 'shop.order', version: 1, schema_id: 1 });
    assert.deepEqual(lineage.steps[4].rules, ['amount-positive', 'order-unique', 'big-order']);
    assert.match(lineage.steps[4].digest, /^[0-9a-f]{12}$/);
    assert.equal(lineage.destinations[0].table, 'events');
    assert.match(lineage.processed_by.sightline_version, /^\d+\.\d+\.\d+/);
    assert.equal((await getJson(`${platform.url}/v1/events/o-4`)).status, 404);

    // Quality summary per dataset, rule and bucket, and the metrics.
    const quality = (await getJson(`${platform.url}/v1/quality?dataset=shop.order`)).body;
    const totals = Object.fromEntries(quality.totals.map((t: any) => [t.rule, [t.passed, t.failed]]));
    assert.deepEqual(totals['amount-positive'], [4, 1]);
    // Every rule runs on every event of its dataset, whatever another rule says.
    assert.deepEqual(totals['order-unique'], [4, 1]);
    assert.deepEqual(totals['big-order'], [4, 1]);
    const bucketSum = (rule: string) => quality.buckets.filter((b: any) => b.rule === rule).reduce((n: number, b: any) => n + b.failed, 0);
    assert.equal(bucketSum('amount-positive'), 1);
    const metrics = await (await fetch(`${platform.url}/metrics`)).text();
    assert.match(metrics, /sightline_quality_checks_total\{dataset="shop.order",rule="amount-positive",severity="error",outcome="fail"\} 1/);
    assert.match(metrics, /sightline_dead_letters_total\{stage="process",code="SL_QUALITY_FAILED"\} 2/);
    assert.match(metrics, /sightline_dead_letters_total\{stage="ingest",code="SL_CONTRACT_VIOLATION"\} 1/);
  });

  it('keeps a refused line larger than a log record as its first bytes, with its size, and answers 200', async () => {
    const huge = `{"id":"huge","source":"shop","type":"order","timestamp":${NOW},"payload":{"x":"${'y'.repeat(300 * 1024)}"}`; // no closing brace
    const r = await fetch(`${platform.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: `${huge}\n${JSON.stringify(order('o-9', { order_id: 'G', amount: 1, coupon: 'X' }))}\n` });
    assert.equal(r.status, 200);
    const body = (await r.json()) as any;
    assert.equal(body.accepted, 1);
    assert.deepEqual(body.rejected.map((x: any) => x.code), ['SL_EVENT_UNPARSEABLE']);
    // Newest first: the broken line of the first test, then this one.
    const [letter] = await waitForDlq(2, '?code=SL_EVENT_UNPARSEABLE');
    const shown = (await getJson(`${platform.url}/v1/dlq/${letter.id}`)).body;
    assert.equal(shown.original_size, huge.length);
    assert.equal(shown.original_encoding, 'text');
    assert.ok(huge.startsWith(shown.original) && shown.original.length === 200 * 1024 - 64 * 1024);
    const replay = await post(platform.url, '/v1/dlq/replay', { ids: [letter.id] });
    assert.deepEqual(replay.body.results.map((x: any) => [x.outcome, x.code]), [['failed', 'SL_EVENT_TOO_LARGE']]);
  });

  it('keeps every dead letter across a restart', async () => {
    const before = await dlq();
    await platform.stop();
    await start();
    assert.deepEqual(await dlq(), before);
  });

  it('replays after a schema fix: the event is stored once, a second replay is a duplicate, an unfixed one fails again', async () => {
    const rows = await dlq();
    const id = (eventId: string) => rows.find((d) => d.event_id === eventId).id;
    // An NDJSON line is kept exactly as sent (numbers JSON cannot hold exactly included).
    const line = '{"id":"o-10","source":"shop","type":"order","timestamp":' + (NOW - 600_000) + ',"payload":{"order_id":"H","amount":12345678901234567890,"coupon":1.50}}';
    await fetch(`${platform.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: line + '\n' });
    const [exact] = await waitForDlq(1, '?event_id=o-10');
    const raw = (await (await fetch(`${platform.url}/v1/dlq/${exact.id}?original=text`)).json()) as any;
    assert.equal(raw.original, line);
    assert.equal(raw.original_encoding, 'text');
    const failedBefore = await post(platform.url, '/v1/dlq/replay', { ids: [id('o-2')] });
    assert.equal(failedBefore.status, 200);
    assert.deepEqual(failedBefore.body.results.map((x: any) => [x.outcome, x.code]), [['failed', 'SL_CONTRACT_VIOLATION']]);

    const fixed = await post(platform.url, '/subjects/shop.order/versions', { schema: JSON.stringify(ORDER_V2), schemaType: 'JSON' });
    assert.equal(fixed.status, 200, JSON.stringify(fixed.body));
    const replay = await post(platform.url, '/v1/dlq/replay', { ids: [id('o-2'), id('o-4'), id('o-3'), '0-999999'] });
    assert.equal(replay.status, 200);
    assert.deepEqual(
      replay.body.results.map((x: any) => [x.event_id ?? null, x.outcome, x.code ?? null]),
      [['o-2', 'replayed', null], ['o-4', 'failed', 'SL_QUALITY_FAILED'], ['o-3', 'failed', 'SL_EVENT_FIELD_MISSING'], [null, 'not_found', null]],
    );
    assert.equal(replay.body.settled, true);
    const stored = (await getJson(`${platform.url}/v1/events/o-2`)).body.event;
    assert.deepEqual(stored.payload, { order_id: 'B', amount: 5 });
    assert.deepEqual(stored.metadata.contract, { subject: 'shop.order', version: 2, id: 2 });
    // The entry records its outcome; replaying it again is skipped, or a duplicate when forced.
    const entry = (await getJson(`${platform.url}/v1/dlq/${id('o-2')}`)).body;
    assert.equal(entry.replay.outcome, 'replayed');
    assert.equal((await post(platform.url, '/v1/dlq/replay', { ids: [id('o-2')] })).body.skipped, 1);
    const again = await post(platform.url, '/v1/dlq/replay', { ids: [id('o-2')], include_replayed: true });
    assert.deepEqual(again.body.results.map((x: any) => x.outcome), ['duplicate']);
    // A leading zero names the same letter: it is answered once, by its own id (this was a 500).
    const [partition, offset] = id('o-2').split('-');
    const aliased = await post(platform.url, '/v1/dlq/replay', { ids: [`${partition}-0${offset}`, id('o-2')], include_replayed: true });
    assert.equal(aliased.status, 200, JSON.stringify(aliased.body));
    assert.deepEqual(aliased.body.results.map((x: any) => [x.id, x.outcome]), [[id('o-2'), 'duplicate']]);
    const status = (await getJson(`${platform.url}/v1/status`)).body;
    // o-1, o-6, o-7, o-9 and the replayed o-2.
    assert.equal(status.hot_store.tables.find((t: any) => t.table === 'events').rows, 5);
    assert.deepEqual((await dlq('?replayed=false')).map((d) => d.event_id).sort(), [null, null, 'o-10', 'o-3', 'o-4', 'o-5', 'o-8']);
  });

  it('a replayed event refused again in processing becomes a new dead letter naming the old one', async () => {
    const rows = await dlq();
    const dup = rows.find((d) => d.event_id === 'o-5');
    // order id A is stored (o-1) and still within the dedup window: the unique rule refuses it again.
    const replay = await post(platform.url, '/v1/dlq/replay', { ids: [dup.id] });
    assert.deepEqual(replay.body.results.map((x: any) => [x.outcome, x.code]), [['failed', 'SL_QUALITY_FAILED']]);
    const children = await waitForDlq(1, `?event_id=o-5&stage=process`);
    const child = children.find((d) => d.replay_of === dup.id);
    assert.ok(child, JSON.stringify(children));
    assert.equal((await getJson(`${platform.url}/v1/dlq/${dup.id}`)).body.replay.outcome, 'failed');
    // Two letters of one event in one replay: only one copy goes back.
    const both = await post(platform.url, '/v1/dlq/replay', { ids: [dup.id, child.id], include_replayed: true });
    assert.deepEqual(both.body.results.map((x: any) => x.outcome), ['failed', 'duplicate']);
    assert.match(both.body.results[1].message, /another dead letter of this replay carries the same event id/);
  });
});
