import type { FastifyInstance } from 'fastify';
import type { LineageGraph } from '../../lineage/lineage-graph.js';

export interface LineageRoutesOptions {
  /** The current graph (buildLineageGraph over a fresh stats snapshot). */
  graph: () => Promise<LineageGraph>;
}

/**
 * The lineage graph Sightline's OpenLineage events describe, with the same dataset and job
 * identities, plus what the events cannot carry on a link: records and freshness per edge.
 */
export async function lineageRoutes(app: FastifyInstance, opts: LineageRoutesOptions): Promise<void> {
  app.get(
    '/v1/lineage',
    { schema: { summary: 'Datasets and streaming jobs, with counts and freshness on each edge (docs/lineage.md)', tags: ['operations'] } },
    async () => opts.graph(),
  );
}
