import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pageView, postEvents, waitForBacklogZero } from '../helpers/events.js';
import { type PlatformProcess, startPlatformProcess } from '../helpers/platform-process.js';
import { tempDir } from '../helpers/tmp.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

/** Spans leave over OTLP/HTTP protobuf to the collector the standard OTEL_* variables name. */
describe('OTLP export', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let platform: PlatformProcess;
  let collector: Server;
  const received: Array<{ path: string; type: string; body: Buffer }> = [];

  before(async () => {
    tmp = await tempDir();
    collector = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (c: Buffer) => chunks.push(c));
      request.on('end', () => {
        received.push({ path: request.url ?? '', type: String(request.headers['content-type']), body: Buffer.concat(chunks) });
        response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    const port = (collector.address() as { port: number }).port;
    await writeFile(join(tmp.dir, 'sightline.json'), JSON.stringify({ contracts: { unknown: 'accept' }, probe: { interval: 0 }, logLevel: 'warn' }));
    platform = await startPlatformProcess(['--data', join(tmp.dir, 'data'), '--config', join(tmp.dir, 'sightline.json')], 30_000, {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_SERVICE_NAME: 'sightline-under-test',
    });
  });
  after(async () => {
    if (platform.child.exitCode === null) await platform.stop();
    collector.close();
    await tmp.cleanup();
  });

  it('sends the spans of a traced batch to /v1/traces as protobuf', async () => {
    await postEvents(platform.url, [pageView('otlp', Date.now(), '/')], { traceparent: `00-${TRACE}-00f067aa0ba902b7-01` });
    await waitForBacklogZero(platform.url);
    const traceBytes = Buffer.from(TRACE, 'hex');
    for (let i = 0; i < 50 && !received.some((r) => r.body.includes(traceBytes)); i++) await new Promise((r) => setTimeout(r, 100));
    const request = received.find((r) => r.body.includes(traceBytes));
    assert.ok(request, `a span of trace ${TRACE} reached the collector (${received.length} requests)`);
    assert.equal(request.path, '/v1/traces');
    assert.equal(request.type, 'application/x-protobuf');
    assert.ok(request.body.includes(Buffer.from('sightline-under-test')), 'the service name from OTEL_SERVICE_NAME');
    assert.ok(request.body.includes(Buffer.from('sightline.log.append')));
  });
});
