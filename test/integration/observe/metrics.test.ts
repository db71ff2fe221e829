import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { buildConfig } from '../../../src/config/config.js';
import { EMBEDDED_COMPONENTS } from '../../../src/observe/metrics.js';
import { type RunningPlatform, startPlatform } from '../../../src/platform/start-platform.js';
import { getJson, pageView, postEvents, waitForBacklogZero } from '../../helpers/events.js';
import { assertComponentBaseSet, metricValue, parseExposition } from '../../helpers/metrics.js';
import { tempDir } from '../../helpers/tmp.js';

const NOW = Date.now();

/** GET /metrics after traffic through every stage: the base set per component, then each stage's own metrics. */
describe('metrics', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let platform: RunningPlatform;
  let exposition: string;

  before(async () => {
    tmp = await tempDir();
    const config = buildConfig({ dataDir: join(tmp.dir, 'data'), server: { port: 0 }, contracts: { unknown: 'accept' }, cold: { rollInterval: '200ms' }, probe: { interval: 0 } });
    platform = await startPlatform(config, pino({ level: 'silent' }));
    const events = Array.from({ length: 50 }, (_, i) => pageView(`m${i}`, NOW - 60_000 + i * 100, `/p${i % 3}`));
    await postEvents(platform.url, [...events, events[0], { id: 'bad', source: 'web' }]);
    // The watermark must have moved before the late event is processed, or it is not late yet.
    await waitForBacklogZero(platform.url);
    await postEvents(platform.url, [pageView('late-1', NOW - 3_600_000, '/p0'), { ...pageView('clk', NOW, '/'), type: 'click' }]);
    await fetch(`${platform.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
    await waitForBacklogZero(platform.url);
    for (let i = 0; i < 50 && (await getJson(`${platform.url}/v1/status`)).body.cold_store.rows_written.events < 51; i++) await new Promise((r) => setTimeout(r, 100));
    await getJson(`${platform.url}/v1/aggregates/page-views?window=1m`);
    await getJson(`${platform.url}/v1/aggregates/page-views?window=1m`);
    await getJson(`${platform.url}/v1/events/recent?limit=5`);
    exposition = await (await fetch(`${platform.url}/metrics`)).text();
  });
  after(async () => {
    await platform.stop();
    await tmp.cleanup();
  });

  for (const component of EMBEDDED_COMPONENTS) {
    it(`${component} emits the base set of the component spec`, () => assertComponentBaseSet(exposition, component));
  }

  it('ingest: received = accepted + discarded by code; request errors by code; receipt-to-durable latency; events by source and type', () => {
    const s = parseExposition(exposition);
    assert.equal(metricValue(s, 'sightline_events_received_total', { component: 'ingest' }), 54);
    assert.equal(metricValue(s, 'sightline_events_sent_total', { component: 'ingest' }), 53);
    assert.equal(metricValue(s, 'sightline_events_discarded_total', { component: 'ingest', reason: 'SL_EVENT_FIELD_MISSING' }), 1);
    assert.equal(metricValue(s, 'sightline_errors_total', { component: 'ingest', code: 'SL_INGEST_UNSUPPORTED_MEDIA_TYPE' }), 1);
    assert.equal(metricValue(s, 'sightline_operation_duration_seconds_count', { component: 'ingest', operation: 'receipt_to_durable' }), 2);
    assert.equal(metricValue(s, 'sightline_ingest_events_total', { source: 'web', type: 'page_view' }), 52);
    assert.equal(metricValue(s, 'sightline_ingest_events_total', { source: 'web', type: 'click' }), 1);
  });

  it('process: dedup hits, late events, watermark, event-time lag and consumer lag per partition', () => {
    const s = parseExposition(exposition);
    assert.equal(metricValue(s, 'sightline_events_received_total', { component: 'process' }), 53);
    // The late event is dead-lettered (process.lateEvents defaults to dead-letter), not stored.
    assert.equal(metricValue(s, 'sightline_events_sent_total', { component: 'process' }), 51);
    assert.equal(metricValue(s, 'sightline_events_discarded_total', { component: 'process', reason: 'duplicate' }), 1);
    assert.equal(metricValue(s, 'sightline_events_discarded_total', { component: 'process', reason: 'SL_EVENT_LATE' }), 1);
    assert.equal(metricValue(s, 'sightline_dead_letters_total', { stage: 'process', code: 'SL_EVENT_LATE' }), 1);
    assert.equal(metricValue(s, 'sightline_dead_letters_total', { stage: 'ingest', code: 'SL_EVENT_FIELD_MISSING' }), 1);
    assert.equal(metricValue(s, 'sightline_pipeline_dedup_hits_total', { pipeline: 'main' }), 1);
    assert.equal(metricValue(s, 'sightline_pipeline_late_events_total', { pipeline: 'main' }), 1);
    const watermark = metricValue(s, 'sightline_pipeline_watermark_timestamp_seconds', { pipeline: 'main' });
    assert.ok(Math.abs(watermark - (NOW - 5_000) / 1000) < 120, `watermark ${watermark}`);
    assert.ok(metricValue(s, 'sightline_pipeline_event_time_lag_seconds', { pipeline: 'main' }) > 0);
    assert.equal(s.filter((x) => x.name === 'sightline_consumer_lag_events').length, 4, 'one series per partition');
    assert.equal(metricValue(s, 'sightline_consumer_lag_events'), 0);
    assert.ok(metricValue(s, 'sightline_operation_duration_seconds_count', { component: 'process', operation: 'batch' }) > 0);
  });

  it('log, stores and API: offsets, skew, rows, files, bytes, latency per route, cache hits, contracts', () => {
    const s = parseExposition(exposition);
    assert.equal(metricValue(s, 'sightline_log_end_offset', { topic: 'events' }), 53);
    assert.ok(metricValue(s, 'sightline_log_partition_skew_ratio', { topic: 'events' }) >= 1);
    assert.ok(metricValue(s, 'sightline_log_fsyncs_total') > 0);
    assert.equal(metricValue(s, 'sightline_hot_store_rows', { table: 'events' }), 51);
    assert.ok(metricValue(s, 'sightline_hot_store_size_bytes') > 0);
    assert.ok(metricValue(s, 'sightline_cold_store_files', { dataset: 'events' }) > 0);
    assert.ok(metricValue(s, 'sightline_cold_store_size_bytes', { dataset: 'events' }) > 0);
    assert.equal(metricValue(s, 'sightline_cold_store_rows_written_total', { dataset: 'events' }), 51);
    assert.equal(metricValue(s, 'sightline_http_request_duration_seconds_count', { route: '/v1/aggregates/page-views', status_code: '200' }), 2);
    assert.equal(metricValue(s, 'sightline_cache_requests_total', { cache: 'aggregates', result: 'hit' }), 1);
    assert.equal(metricValue(s, 'sightline_cache_requests_total', { cache: 'aggregates', result: 'miss' }), 1);
    assert.equal(metricValue(s, 'sightline_contract_events_total', { subject: 'web.page_view', outcome: 'unknown_accepted' }), 52);
  });
});
