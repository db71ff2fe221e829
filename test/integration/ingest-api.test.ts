import assert from 'node:assert/strict';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildConfig } from '../../src/config/config.js';
import { IngestService } from '../../src/ingest/ingest-service.js';
import { EmbeddedLog } from '../../src/log/embedded/embedded-log.js';
import { ContractStats } from '../../src/contracts/contract-stats.js';
import { Metrics } from '../../src/observe/metrics.js';
import { SchemaRegistry } from '../../src/registry/schema-registry.js';
import { LogSchemaStore } from '../../src/registry/store/log-schema-store.js';
import { operationsRoutes } from '../../src/serve/server.js';
import { testApiServer } from '../helpers/api-server.js';
import { aggregateRoutes } from '../../src/serve/routes/aggregates.js';
import { contractRoutes } from '../../src/serve/routes/contracts.js';
import { eventRoutes } from '../../src/serve/routes/events.js';
import { ingestRoutes } from '../../src/serve/routes/ingest.js';
import { DuckDbHotStore } from '../../src/store/hot/duckdb-hot-store.js';
import { pageView } from '../helpers/events.js';
import { tempDir } from '../helpers/tmp.js';

describe('ingest API limits and errors', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let log: EmbeddedLog;
  let hot: DuckDbHotStore;
  let app: FastifyInstance;
  let registry: SchemaRegistry;
  let backlog = 0;
  let service: IngestService;
  const now = Date.now();

  before(async () => {
    tmp = await tempDir();
    const config = buildConfig({ ingest: { maxBodyBytes: 4096, maxEventsPerBatch: 5, maxBacklogEvents: 100, retryAfterSeconds: 3 } });
    log = await EmbeddedLog.open({ dir: join(tmp.dir, 'log'), segmentBytes: 1 << 20, maxRecordBytes: 1 << 20 });
    await log.ensureTopic('events', { partitions: 2 });
    hot = await DuckDbHotStore.open(join(tmp.dir, 'hot.duckdb'));
    service = new IngestService({
      log,
      topic: 'events',
      limits: { maxEventBytes: 1024, maxDepth: 8, maxStringLength: 256, maxFutureSkewMs: 60_000 },
      maxBacklogEvents: 100,
      maxInFlightBytes: 8000,
      maxBodyBytes: 4096,
      retryAfterSeconds: 3,
      backlog: () => backlog,
    });
    const metrics = new Metrics();
    registry = await SchemaRegistry.open(await LogSchemaStore.open(log));
    // The routes an embedded node serves for ingest and queries, on the platform's API server.
    app = await testApiServer(metrics);
    await app.register(ingestRoutes, { service, maxBodyBytes: config.ingest.maxBodyBytes, maxEventsPerBatch: config.ingest.maxEventsPerBatch, metrics: metrics.component('ingest') });
    await app.register(eventRoutes, { hot, defaultLimit: config.api.defaultLimit, maxLimit: config.api.maxLimit });
    await app.register(aggregateRoutes, { hot, aggregations: config.aggregations, maxLimit: config.api.maxLimit });
    await app.register(contractRoutes, { registry, stats: new ContractStats(metrics.registry) });
    await operationsRoutes(app, { status: async () => ({}), ready: async () => ({ ready: true, reasons: [] }), failing: async () => [], metrics });
  });
  after(async () => {
    await app.close();
    await registry.close();
    await hot.close();
    await log.close();
    await tmp.cleanup();
  });

  const post = (payload: string | Buffer, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    app.inject({ method: 'POST', url: '/v1/events', payload, headers });

  it('makes accepted events durable in the log before answering', async () => {
    const before = [...log.endOffsets('events').values()].reduce((a, b) => a + b, 0);
    const r = await post(JSON.stringify([pageView('x1', now, '/'), pageView('x2', now, '/')]), {
      'content-type': 'application/json',
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    });
    assert.equal(r.statusCode, 200);
    assert.deepEqual(r.json(), { accepted: 2, rejected: [] });
    const after = [...log.endOffsets('events').values()].reduce((a, b) => a + b, 0);
    assert.equal(after - before, 2);
    const consumer = await log.consumer('check', 'events');
    const records = await consumer.poll(10, 10);
    assert.equal(records.find((rec) => rec.key === 'x1')?.headers.traceparent, '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
  });

  it('takes gzip NDJSON', async () => {
    const body = gzipSync([pageView('g1', now, '/'), pageView('g2', now, '/')].map((e) => JSON.stringify(e)).join('\n'));
    const r = await post(body, { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' });
    assert.equal(r.statusCode, 200);
    assert.equal(r.json().accepted, 2);
  });

  const cases: Array<[string, () => Promise<{ statusCode: number; json: () => any }>, number, string]> = [
    ['unparseable JSON', () => post('[{'), 400, 'SL_INGEST_BODY_INVALID'],
    ['no body at all', () => app.inject({ method: 'POST', url: '/v1/events' }), 400, 'SL_INGEST_BODY_INVALID'],
    ['body over the limit', () => post(JSON.stringify([{ pad: 'x'.repeat(5000) }])), 413, 'SL_INGEST_BODY_TOO_LARGE'],
    ['gzip bomb over the limit once inflated', () => post(gzipSync(Buffer.alloc(1 << 20, 0x20)), { 'content-type': 'application/json', 'content-encoding': 'gzip' }), 413, 'SL_INGEST_BODY_TOO_LARGE'],
    ['too many events', () => post(JSON.stringify(Array.from({ length: 6 }, (_, i) => pageView(`m${i}`, now, '/')))), 413, 'SL_INGEST_TOO_MANY_EVENTS'],
    ['unsupported media type', () => post('x', { 'content-type': 'text/plain' }), 415, 'SL_INGEST_UNSUPPORTED_MEDIA_TYPE'],
    ['unsupported encoding', () => post('x', { 'content-type': 'application/json', 'content-encoding': 'br' }), 415, 'SL_INGEST_UNSUPPORTED_ENCODING'],
    ['broken gzip', () => post('not gzip', { 'content-type': 'application/json', 'content-encoding': 'gzip' }), 400, 'SL_INGEST_BODY_INVALID'],
  ];
  for (const [name, send, status, code] of cases) {
    it(`answers ${status} ${code} for ${name}`, async () => {
      const r = await send();
      assert.equal(r.statusCode, status);
      assert.equal(r.json().code, code);
      assert.equal(typeof r.json().message, 'string');
    });
  }

  it('pushes back with 429 and Retry-After while the backlog is over its bound', async () => {
    backlog = 101;
    const r = await post(JSON.stringify([pageView('bp', now, '/')]));
    assert.equal(r.statusCode, 429);
    assert.equal(r.headers['retry-after'], '3');
    assert.equal(r.json().code, 'SL_INGEST_BACKPRESSURE');
    backlog = 0;
    assert.equal((await post(JSON.stringify([pageView('bp', now, '/')]))).statusCode, 200);
  });

  it('bounds the request bytes held at once, and gives the room back after each response', async () => {
    const admitted = service.admit(6000, false);
    const second = await post(JSON.stringify([pageView('if1', now, '/')]), {
      'content-type': 'application/json',
      'content-encoding': 'identity',
    });
    assert.equal(second.statusCode, 200, 'a small body fits next to the 4096 reserved');
    const gzipped = await post(gzipSync(JSON.stringify([pageView('if2', now, '/')])), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    assert.equal(gzipped.statusCode, 429, 'a compressed body is counted at maxBodyBytes, which no longer fits');
    assert.equal(gzipped.headers['retry-after'], '3');
    admitted();
    admitted();
    assert.equal(service.bytesInFlight, 0, 'every response released its reservation, and release is idempotent');
    const again = await post(gzipSync(JSON.stringify([pageView('if3', now, '/')])), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    assert.equal(again.statusCode, 200);
  });

  it('describes the API in OpenAPI, and answers unknown routes and bad queries with {code, message}', async () => {
    const spec = (await app.inject({ url: '/openapi.json' })).json();
    assert.equal(spec.openapi, '3.1.0');
    for (const path of ['/v1/events', '/v1/events/recent', '/v1/aggregates/page-views', '/v1/status', '/healthz', '/readyz']) {
      assert.ok(spec.paths[path], `OpenAPI lists ${path}`);
    }
    const missing = await app.inject({ url: '/v2/nothing' });
    assert.equal(missing.statusCode, 404);
    assert.deepEqual(Object.keys(missing.json()).sort(), ['code', 'message']);
    const bad = await app.inject({ url: '/v1/events/recent?limit=0' });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().code, 'SL_API_BAD_REQUEST');
    const cursor = await app.inject({ url: '/v1/events/recent?cursor=abc' });
    assert.equal(cursor.json().code, 'SL_API_CURSOR_INVALID');
  });

  it('takes every request its OpenAPI document allows, and refuses the others with a status it documents', async () => {
    const spec = (await app.inject({ url: '/openapi.json' })).json();
    const get = async (url: string) => (await app.inject({ url })).statusCode;
    // One route per aggregation: its own window sizes, its group parameter by its name.
    const aggregates = spec.paths['/v1/aggregates/page-views'].get;
    assert.deepEqual(aggregates.parameters.find((p: any) => p.name === 'window').schema.enum, ['1m', '5m']);
    assert.ok(aggregates.parameters.some((p: any) => p.name === 'page'));
    assert.deepEqual(Object.keys(aggregates.responses), ['200', '400', '401', '403'], 'its own, and what access control answers');
    assert.equal(await get('/v1/aggregates/page-views?window=5m&page=/&from=2026-11-26&to=2016-12-31T23:59:60Z'), 200);
    assert.equal(await get('/v1/aggregates/page-views?window=60s'), 400);
    assert.equal(await get(`/v1/aggregates/page-views?from=${'9'.repeat(16)}`), 400, 'epoch ms beyond 15 digits');
    const unknown = await app.inject({ url: '/v1/aggregates/nothing' });
    assert.equal(unknown.statusCode, 404);
    assert.match(unknown.json().message, /configured: page-views/);
    // Any cursor of the documented form pages from where it points.
    for (const cursor of ['0-0', '999999999999999-9999999999999999']) assert.equal(await get(`/v1/events/recent?cursor=${cursor}`), 200, cursor);
    // A deprecation: the version as the document gives it, the sunset an RFC 3339 date-time.
    const deprecate = (version: string, body: unknown) => app.inject({ method: 'PUT', url: `/v1/contracts/web.x/versions/${version}/deprecation`, payload: body as object });
    assert.equal((await deprecate('0', {})).statusCode, 400);
    assert.equal((await deprecate('1', { sunset: 26993 })).statusCode, 400);
    assert.equal((await deprecate('1', { sunset: 'next year' })).statusCode, 400);
    assert.equal((await deprecate('1', { sunset: '2099-01-01T00:00:00Z' })).json().code, 'SL_SCHEMA_SUBJECT_NOT_FOUND');
    assert.equal((await app.inject({ method: 'DELETE', url: '/v1/contracts/web.x/versions/latest/deprecation' })).statusCode, 404);
  });
});
