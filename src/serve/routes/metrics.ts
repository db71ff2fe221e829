import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

/** GET /metrics in the Prometheus text format. */
export async function metricsRoutes(app: FastifyInstance, opts: { metrics: Registry }): Promise<void> {
  const text = { description: 'The Prometheus text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } };
  app.get('/metrics', { config: { access: { scope: 'ops:read' } }, schema: { summary: 'Prometheus metrics', tags: ['operations'], response: { 200: text } } }, async (_request, reply) =>
    reply.type(opts.metrics.contentType).send(await opts.metrics.metrics()),
  );
}
