import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { buildConfig } from '../../../src/config/config.js';
import { type RunningPlatform, startPlatform } from '../../../src/platform/start-platform.js';
import { getJson, pageView, postEvents, waitForBacklogZero } from '../../helpers/events.js';
import { openLineageValidator } from '../../helpers/openlineage.js';
import { tempDir } from '../../helpers/tmp.js';

/**
 * A running platform reports its jobs as OpenLineage 2-0-2 RunEvents to an HTTP endpoint standing
 * in for Marquez and to a file, every one valid against the official schemas, and serves the same
 * datasets and jobs as a graph at GET /v1/lineage.
 */
describe('lineage of a running platform', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let platform: RunningPlatform;
  let marquez: Server;
  const received: any[] = [];

  before(async () => {
    tmp = await tempDir();
    marquez = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        if (req.url === '/api/v1/lineage' && req.method === 'POST') received.push(JSON.parse(body));
        res.writeHead(201).end();
      });
    });
    await new Promise<void>((r) => marquez.listen(0, '127.0.0.1', r));
    await writeFile(join(tmp.dir, 'users.csv'), 'user_id,plan\nu1,pro\n');
    const contract = join(tmp.dir, 'page_view.json');
    await writeFile(contract, JSON.stringify({ type: 'object', properties: { user_id: { type: 'string' }, page: { type: 'string' } }, required: ['page'] }));
    platform = await startPlatform(
      buildConfig(
        {
          dataDir: join(tmp.dir, 'data'),
          server: { port: 0 },
          probe: { interval: 0 },
          enrichment: { referenceData: { path: 'users.csv' } },
          contracts: { register: [{ subject: 'web.page_view', path: 'page_view.json' }] },
          quality: { rules: [{ name: 'has-user', match: { type: 'page_view' }, check: 'required', fields: ['payload.user_id'] }] },
          cold: { rollInterval: '200ms' },
          lineage: { interval: '300ms', http: { url: `http://127.0.0.1:${(marquez.address() as AddressInfo).port}/api/v1/lineage` }, file: 'lineage.ndjson' },
        },
        tmp.dir,
      ),
      pino({ level: 'silent' }),
    );
  });
  after(async () => {
    await platform?.stop().catch(() => undefined);
    marquez?.close();
    await tmp.cleanup();
  });

  it('serves the graph: sources → ingest → topic → process → tables → archive → Parquet, with counts and freshness', async () => {
    const now = Date.now();
    const r = await postEvents(platform.url, [pageView('a', now, '/'), pageView('b', now, '/x'), { ...pageView('c', now, '/'), payload: { page: '/' } }]);
    assert.equal(r.body.accepted, 3);
    await waitForBacklogZero(platform.url);
    const graph = (await getJson(`${platform.url}/v1/lineage`)).body;
    const jobs = graph.jobs.map((j: any) => j.name).sort();
    assert.deepEqual(jobs, ['sightline.archive', 'sightline.ingest', 'sightline.lifecycle', 'sightline.process.main']);
    // The lifecycle works on the archiver's outputs: every cold table is its input and its output.
    const archive = graph.jobs.find((j: any) => j.name === 'sightline.archive');
    const lifecycle = graph.jobs.find((j: any) => j.name === 'sightline.lifecycle');
    assert.deepEqual(lifecycle.inputs.sort(), archive.outputs.sort());
    assert.ok(archive.outputs.every((o: string) => lifecycle.outputs.includes(o)), JSON.stringify({ archive, lifecycle }));
    const byName = (name: string) => graph.datasets.find((d: any) => d.name.endsWith(name));
    const source = graph.datasets.find((d: any) => d.kind === 'source');
    assert.ok(source, JSON.stringify(graph.datasets.map((d: any) => [d.kind, d.namespace, d.name])));
    assert.equal(source.records, 3);
    assert.deepEqual(source.contract, { subject: 'web.page_view', version: 1 });
    assert.deepEqual(source.fields.map((f: any) => f.name).sort(), ['page', 'user_id']);
    const process = graph.jobs.find((j: any) => j.name === 'sightline.process.main');
    assert.equal(process.status, 'running');
    const events = graph.datasets.find((d: any) => d.kind === 'table' && d.name.endsWith('.events'));
    assert.ok(events, 'the events table');
    assert.equal(events.records, 2, 'the quality error is not stored');
    assert.ok(events.fields.some((f: any) => f.name === 'payload'));
    assert.ok(byName('users.csv'), 'the reference file is an input');
    // An edge into the events table carries the stored count and a freshness.
    const into = graph.edges.find((e: any) => e.to === events.id);
    assert.equal(into.from, process.id);
    assert.equal(into.events, 2);
    assert.equal(typeof into.freshnessSeconds, 'number');
    const quality = graph.datasets.flatMap((d: any) => d.quality).find((q: any) => q.rule === 'has-user');
    assert.deepEqual([quality.passed, quality.failed], [2, 1]);
  });

  it('sends START, RUNNING and COMPLETE for every job, each valid against the OpenLineage 2-0-2 schemas, to HTTP and the file', async () => {
    const deadline = Date.now() + 10_000;
    while (!received.some((e) => e.eventType === 'RUNNING') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await platform.stop();
    const { problems } = openLineageValidator();
    for (const event of received) assert.deepEqual(problems(event), [], `${event.eventType} ${event.job.name}`);
    for (const job of ['sightline.ingest', 'sightline.process.main', 'sightline.archive', 'sightline.lifecycle']) {
      const types = received.filter((e) => e.job.name === job).map((e) => e.eventType);
      assert.equal(types[0], 'START', `${job}: ${types}`);
      assert.ok(types.includes('RUNNING'), `${job}: ${types}`);
      assert.equal(types[types.length - 1], 'COMPLETE', `${job}: ${types}`);
      assert.equal(received.find((e) => e.job.name === job).job.facets.jobType.processingType, 'STREAMING');
    }
    const complete = received.find((e) => e.job.name === 'sightline.process.main' && e.eventType === 'COMPLETE');
    const stats = complete.outputs.map((o: any) => o.outputFacets?.outputStatistics).filter(Boolean);
    assert.ok(stats.some((s: any) => s.rowCount === 2), JSON.stringify(complete.outputs));
    const lines = (await readFile(join(tmp.dir, 'data', 'lineage.ndjson'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((e) => e.run.runId + e.eventType), received.map((e) => e.run.runId + e.eventType));
  });
});
