import assert from 'node:assert/strict';
import { it } from 'node:test';
import Fastify from 'fastify';
import { buildLineageGraph } from '../../../src/lineage/lineage-graph.js';
import { lineageRoutes } from '../../../src/serve/routes/lineage.js';
import { sampleLineageStats } from '../../helpers/lineage.js';

it('GET /v1/lineage serves the graph of a fresh snapshot', async () => {
  const app = Fastify();
  let calls = 0;
  await app.register(lineageRoutes, {
    graph: async () => {
      calls++;
      return buildLineageGraph(sampleLineageStats(), { namespace: 'sightline' });
    },
  });
  const res = await app.inject({ method: 'GET', url: '/v1/lineage' });
  assert.equal(res.statusCode, 200);
  const body = res.json();
  assert.equal(calls, 1);
  assert.deepEqual(Object.keys(body).sort(), ['datasets', 'edges', 'generatedAt', 'jobs', 'namespace']);
  assert.equal(body.jobs.length, 3);
  assert.ok(body.edges.every((e: any) => typeof e.from === 'string' && typeof e.to === 'string' && 'freshnessSeconds' in e));
  await app.close();
});
