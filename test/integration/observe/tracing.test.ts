import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { pino } from 'pino';
import { buildConfig } from '../../../src/config/config.js';
import { activeTraceFields } from '../../../src/observe/tracing.js';
import { type RunningPlatform, startPlatform } from '../../../src/platform/start-platform.js';
import { getJson, pageView, postEvents, waitForBacklogZero } from '../../helpers/events.js';
import { tempDir } from '../../helpers/tmp.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PRODUCER_SPAN = '00f067aa0ba902b7';

/** One event's trace, from the producer's traceparent through ingest, the log, processing and the store write, and back out of the API. */
describe('traces', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let platform: RunningPlatform;
  const exporter = new InMemorySpanExporter();
  const logLines: Array<Record<string, unknown>> = [];

  before(async () => {
    tmp = await tempDir();
    const logs = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n')) if (line) logLines.push(JSON.parse(line));
        done();
      },
    });
    const config = buildConfig({ dataDir: join(tmp.dir, 'data'), server: { port: 0 }, contracts: { unknown: 'accept' }, probe: { interval: 0 }, logLevel: 'debug' });
    platform = await startPlatform(config, pino({ level: 'debug', mixin: activeTraceFields }, logs), { spanExporter: exporter });
  });
  after(async () => {
    await platform.stop();
    await tmp.cleanup();
  });

  const spans = () => exporter.getFinishedSpans();
  const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;

  it('connects ingest → log → process → hot store write for an event, and the API returns its trace id', async () => {
    const now = Date.now();
    const perEvent = { ...pageView('own-trace', now, '/a'), metadata: { traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01` } };
    const r = await postEvents(platform.url, [pageView('traced', now, '/a'), perEvent], { traceparent: `00-${TRACE}-${PRODUCER_SPAN}-01` });
    assert.equal(r.body.accepted, 2);
    await waitForBacklogZero(platform.url);

    const request = spans().find((s) => s.name === 'POST /v1/events')!;
    assert.equal(request.spanContext().traceId, TRACE, 'the producer trace is continued');
    assert.equal(parentOf(request), PRODUCER_SPAN);
    const batch = spans().find((s) => s.name === 'sightline.ingest.batch')!;
    assert.equal(parentOf(batch), request.spanContext().spanId);
    const append = spans().find((s) => s.name === 'sightline.log.append')!;
    assert.equal(parentOf(append), batch.spanContext().spanId);
    assert.equal(append.spanContext().traceId, TRACE);

    // The event's log record names the ingest batch span (its trace id is stored beside the event,
    // which itself does not grow); the processing batch links to that span.
    const { body } = await getJson(`${platform.url}/v1/events/traced`);
    assert.equal(body.trace_id, TRACE);
    assert.equal(body.event.metadata.traceparent, undefined);
    const processBatch = spans().find((s) => s.name === 'sightline.process.batch' && s.links.some((l) => l.context.spanId === batch.spanContext().spanId))!;
    assert.ok(processBatch, 'a processing batch span links to the ingest span of the event');
    const commit = spans().find((s) => s.name === 'sightline.hot_store.commit' && parentOf(s) === processBatch.spanContext().spanId);
    assert.ok(commit, 'the hot store write is a child of the processing batch');
    assert.ok(spans().some((s) => s.name === 'sightline.process.plan' && parentOf(s) === processBatch.spanContext().spanId));

    // An event with its own traceparent gets an ingest span in its own trace.
    const own = spans().find((s) => s.name === 'sightline.ingest.event')!;
    assert.equal(own.spanContext().traceId, 'a'.repeat(32));
    assert.equal(parentOf(own), 'b'.repeat(16));
    const ownEvent = (await getJson(`${platform.url}/v1/events/own-trace`)).body;
    assert.equal(ownEvent.trace_id, 'a'.repeat(32));
    assert.equal(ownEvent.event.metadata.traceparent, `00-${'a'.repeat(32)}-${own.spanContext().spanId}-01`, 'its metadata names the ingest span to continue from');
    assert.ok(processBatch.links.some((l) => l.context.spanId === own.spanContext().spanId));
  });

  it('starts a trace when the producer sends none, and query requests are spans of their own', async () => {
    await postEvents(platform.url, [pageView('untraced', Date.now(), '/b')]);
    await waitForBacklogZero(platform.url);
    const { body } = await getJson(`${platform.url}/v1/events/untraced`);
    assert.match(body.trace_id, /^[0-9a-f]{32}$/);
    assert.notEqual(body.trace_id, TRACE);
    assert.ok(spans().some((s) => s.name === 'GET /v1/events/:id' && s.attributes['http.response.status_code'] === 200));
  });

  it('writes trace_id and span_id on log lines written inside a request', async () => {
    const resumed = logLines.find((l) => l.msg === 'processor resumed from its checkpoint');
    assert.ok(resumed && !('trace_id' in resumed), 'a line outside any span has no trace fields');
    const traceparent = `00-${'c'.repeat(32)}-${'d'.repeat(16)}-01`;
    const refused = await fetch(`${platform.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'text/plain', traceparent }, body: 'x' });
    assert.equal(refused.status, 415);
    const line = logLines.find((l) => l.code === 'SL_INGEST_UNSUPPORTED_MEDIA_TYPE');
    assert.equal(line?.trace_id, 'c'.repeat(32), JSON.stringify(line));
    const request = spans().find((s) => s.spanContext().traceId === 'c'.repeat(32) && s.name.startsWith('POST'));
    assert.equal(line?.span_id, request?.spanContext().spanId);
  });
});
