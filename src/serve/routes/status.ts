import type { FastifyInstance } from 'fastify';

export interface StatusRoutesOptions {
  status: () => Promise<Record<string, unknown>>;
  ready: () => Promise<{ ready: boolean; reasons: string[] }>;
}

/** /v1/status for `sightline status`; /healthz (the process answers) and /readyz (it can do its job). */
export async function statusRoutes(app: FastifyInstance, opts: StatusRoutesOptions): Promise<void> {
  app.get('/v1/status', { schema: { summary: 'Backlog, offsets and store sizes', tags: ['operations'] } }, async () => opts.status());
  app.get('/healthz', { schema: { summary: 'Liveness', tags: ['operations'] } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { summary: 'Readiness, with reasons when not ready', tags: ['operations'] } }, async (_request, reply) => {
    const { ready, reasons } = await opts.ready();
    return reply.status(ready ? 200 : 503).send({ ready, reasons });
  });
}
