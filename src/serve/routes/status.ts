import type { FastifyInstance } from 'fastify';

export interface StatusRoutesOptions {
  status: () => Promise<Record<string, unknown>>;
  ready: () => Promise<{ ready: boolean; reasons: string[] }>;
  /** Why the process takes no writes until something outside it changes (a full disk); none when it can. */
  failing: () => Promise<string[]>;
}

const HEALTH_SCHEMA = {
  type: 'object',
  required: ['status'],
  properties: { status: { type: 'string', enum: ['ok', 'failing'] }, reasons: { type: 'array', items: { type: 'string' } } },
} as const;

/**
 * /v1/status for `sightline status`; /healthz (the process answers and can take writes) and
 * /readyz (it can do its whole job now).
 */
export async function statusRoutes(app: FastifyInstance, opts: StatusRoutesOptions): Promise<void> {
  app.get('/v1/status', { schema: { summary: 'Backlog, offsets and store sizes', tags: ['operations'] } }, async () => opts.status());
  app.get(
    '/healthz',
    {
      schema: {
        summary: 'Liveness',
        description:
          '200 while the process answers and can take writes; 503 with reasons when it can take none until something outside it ' +
          'changes (a full disk). Writing resumes by itself once space is back, and /healthz answers 200 again.',
        tags: ['operations'],
        response: { 200: HEALTH_SCHEMA, 503: HEALTH_SCHEMA },
      },
    },
    async (_request, reply) => {
      const reasons = await opts.failing();
      return reasons.length === 0 ? { status: 'ok' } : reply.status(503).send({ status: 'failing', reasons });
    },
  );
  app.get('/readyz', { schema: { summary: 'Readiness, with reasons when not ready', tags: ['operations'] } }, async (_request, reply) => {
    const { ready, reasons } = await opts.ready();
    return reply.status(ready ? 200 : 503).send({ ready, reasons });
  });
}
