import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

/** GET /metrics in the Prometheus text format. */
export async function metricsRoutes(app: FastifyInstance, opts: { metrics: Registry }): Promise<void> {
  app.get('/metrics', { schema: { summary: 'Prometheus metrics', tags: ['operations'] } }, async (_request, reply) =>
    reply.type(opts.metrics.contentType).send(await opts.metrics.metrics()),
  );
}
