import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildLineageGraph } from '../../../src/lineage/lineage-graph.js';
import { sampleLineageStats, T0 } from '../../helpers/lineage.js';

describe('lineage graph', () => {
  const graph = buildLineageGraph(sampleLineageStats(), { namespace: 'sightline' });
  const dataset = (id: string) => graph.datasets.find((d) => d.id === id);
  const edge = (from: string, to: string) => graph.edges.find((e) => e.from === from && e.to === to);

  it('names datasets after the OpenLineage naming spec', () => {
    assert.deepEqual(
      graph.datasets.map((d) => [d.kind, d.namespace, d.name]),
      [
        ['source', 'http://127.0.0.1:8080', 'web.page_view'],
        ['source', 'http://127.0.0.1:8080', 'app.click'],
        ['topic', 'file://node-1', '/data/sl/log/events'],
        ['topic', 'file://node-1', '/data/sl/log/dlq'],
        ['reference', 'file://node-1', '/cfg/users.csv'],
        ['table', 'duckdb://node-1/data/sl/hot/sightline.duckdb', 'sightline.main.events'],
        ['table', 'duckdb://node-1/data/sl/hot/sightline.duckdb', 'sightline.main.aggregates'],
        ['files', 'file://node-1', '/data/sl/cold/events'],
      ],
    );
    assert.equal(dataset('file://node-1/data/sl/log/events')?.records, 255);
    assert.deepEqual(dataset('http://127.0.0.1:8080/web.page_view')?.contract, { subject: 'web.page_view', version: 2 });
    assert.equal(dataset('http://127.0.0.1:8080/web.page_view')?.quality.length, 2);
  });

  it('uses kafka://host:port and the bare topic in distributed mode', () => {
    const g = buildLineageGraph(sampleLineageStats({ logNamespace: 'kafka://broker:9092', logDir: null }), { namespace: 'sightline' });
    assert.ok(g.datasets.some((d) => d.namespace === 'kafka://broker:9092' && d.name === 'events'));
    assert.ok(g.edges.some((e) => e.to === 'kafka://broker:9092/events'));
  });

  it('links sources → ingest → topics → process → hot tables → archive → Parquet, with counts and freshness', () => {
    const ingest = 'job:sightline/sightline.ingest';
    const process = 'job:sightline/sightline.process.main';
    const archive = 'job:sightline/sightline.archive';
    const topic = 'file://node-1/data/sl/log/events';
    const hotEvents = 'duckdb://node-1/data/sl/hot/sightline.duckdb/sightline.main.events';
    assert.deepEqual(edge('http://127.0.0.1:8080/web.page_view', ingest), { from: 'http://127.0.0.1:8080/web.page_view', to: ingest, events: 250, lastEventAt: new Date(T0 - 2000).toISOString(), freshnessSeconds: 2 });
    assert.equal(edge(ingest, topic)?.events, 255);
    assert.equal(edge(ingest, 'file://node-1/data/sl/log/dlq')?.events, 5);
    assert.equal(edge(topic, process)?.events, 255);
    assert.equal(edge(topic, process)?.freshnessSeconds, 1);
    assert.equal(edge('file://node-1/cfg/users.csv', process)?.freshnessSeconds, 600);
    assert.equal(edge(process, hotEvents)?.events, 250);
    assert.equal(edge(process, 'file://node-1/data/sl/log/dlq')?.events, 2);
    assert.equal(edge(hotEvents, archive)?.events, 200);
    assert.equal(edge(archive, 'file://node-1/data/sl/cold/events')?.freshnessSeconds, 30);
    // aggregates has no Parquet dataset yet, so the archiver does not read it.
    assert.equal(edge('duckdb://node-1/data/sl/hot/sightline.duckdb/sightline.main.aggregates', archive), undefined);
    assert.equal(graph.edges.length, 11);
    for (const e of graph.edges) {
      assert.ok(graph.datasets.some((d) => d.id === e.from) || graph.jobs.some((j) => j.id === e.from), e.from);
      assert.ok(graph.datasets.some((d) => d.id === e.to) || graph.jobs.some((j) => j.id === e.to), e.to);
    }
  });

  it('lists the three streaming jobs with their inputs and outputs, and a failing one with its error', () => {
    assert.deepEqual(
      graph.jobs.map((j) => [j.name, j.type, j.status, j.inputs.length, j.outputs.length]),
      [
        ['sightline.ingest', 'STREAMING', 'running', 2, 2],
        ['sightline.process.main', 'STREAMING', 'running', 2, 3],
        ['sightline.archive', 'STREAMING', 'running', 1, 1],
      ],
    );
    const failing = buildLineageGraph(sampleLineageStats({ cold: { root: '/c', datasets: [], lastError: 'disk full' } }), { namespace: 'ns' });
    assert.deepEqual(failing.jobs.find((j) => j.name === 'sightline.archive')?.error, 'disk full');
    assert.equal(failing.jobs.find((j) => j.name === 'sightline.archive')?.status, 'failing');
  });

  it('has no dead-letter or reference dataset when the platform has none, and never a negative freshness', () => {
    const g = buildLineageGraph(
      sampleLineageStats({ deadLetterTopic: null, reference: null, sources: [{ source: 'web', type: 'x', events: 1, lastEventAt: T0 + 5000 }] }),
      { namespace: 'sightline' },
    );
    assert.ok(!g.datasets.some((d) => d.kind === 'reference' || d.name.endsWith('/dlq')));
    assert.equal(g.datasets.find((d) => d.kind === 'source')?.freshnessSeconds, 0);
  });
});
