import type { FastifyInstance } from 'fastify';
import type { LineageGraph } from '../../lineage/lineage-graph.js';

export interface LineageRoutesOptions {
  /** The current graph (buildLineageGraph over a fresh stats snapshot). */
  graph: () => Promise<LineageGraph>;
}

const list = { type: 'array', items: { type: 'object', additionalProperties: true } };
const GRAPH_SCHEMA = {
  type: 'object',
  required: ['generatedAt', 'namespace', 'datasets', 'jobs', 'edges'],
  additionalProperties: false,
  properties: { generatedAt: { type: 'string' }, namespace: { type: 'string' }, datasets: list, jobs: list, edges: list },
};

/**
 * The lineage graph Sightline's OpenLineage events describe, with the same dataset and job
 * identities, plus what the events cannot carry on a link: records and freshness per edge.
 */
export async function lineageRoutes(app: FastifyInstance, opts: LineageRoutesOptions): Promise<void> {
  app.get(
    '/v1/lineage',
    { config: { access: { scope: 'ops:read' } }, schema: { summary: 'Datasets and streaming jobs, with counts and freshness on each edge (docs/lineage.md)', tags: ['operations'], response: { 200: GRAPH_SCHEMA } } },
    async () => opts.graph(),
  );
}
