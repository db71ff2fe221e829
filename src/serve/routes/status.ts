import type { FastifyInstance } from 'fastify';

export interface StatusRoutesOptions {
  status: () => Promise<Record<string, unknown>>;
  ready: () => Promise<{ ready: boolean; reasons: string[] }>;
  /** Why the process takes no writes until something outside it changes (a full disk); none when it can. */
  failing: () => Promise<string[]>;
}

/**
 * /v1/status for `sightline status`; /healthz (the process answers and can take writes) and
 * /readyz (it can do its whole job now).
 */
export async function statusRoutes(app: FastifyInstance, opts: StatusRoutesOptions): Promise<void> {
  const tags = ['operations'];
  const status = {
    type: 'object',
    required: ['version', 'roles', 'data_dir'],
    additionalProperties: true,
    properties: { version: { type: 'string' }, roles: { type: 'array', items: { type: 'string' } }, data_dir: { type: 'string' } },
    description: "The node's version, roles and data folder, and each component's part (backlog, offsets, store sizes)",
  };
  app.get('/v1/status', { config: { access: { scope: 'ops:read' } }, schema: { summary: 'Backlog, offsets and store sizes', tags, response: { 200: status } } }, async () => opts.status());
  const health = (state: 'ok' | 'failing') => ({
    type: 'object',
    required: state === 'ok' ? ['status'] : ['status', 'reasons'],
    additionalProperties: false,
    properties: { status: { type: 'string', enum: [state] }, reasons: { type: 'array', items: { type: 'string' } } },
  });
  app.get(
    '/healthz',
    {
      config: { access: 'public' },
      schema: {
        summary: 'Liveness',
        description:
          '200 while the process answers and can take writes; 503 with reasons when it can take none until something outside it ' +
          'changes (a full disk). Writing resumes by itself once space is back, and /healthz answers 200 again.',
        tags,
        response: { 200: health('ok'), 503: { ...health('failing'), description: 'Failing: why' } },
      },
    },
    async (_request, reply) => {
      const reasons = await opts.failing();
      return reasons.length === 0 ? { status: 'ok' } : reply.status(503).send({ status: 'failing', reasons });
    },
  );
  const readiness = (ready: boolean) => ({
    type: 'object',
    required: ['ready', 'reasons'],
    additionalProperties: false,
    properties: { ready: { type: 'boolean', enum: [ready] }, reasons: { type: 'array', items: { type: 'string' } } },
  });
  const readyz = { summary: 'Readiness, with reasons when not ready', tags, response: { 200: readiness(true), 503: { ...readiness(false), description: 'Not ready: why' } } };
  app.get('/readyz', { config: { access: 'public' }, schema: readyz }, async (_request, reply) => {
    const { ready, reasons } = await opts.ready();
    return reply.status(ready ? 200 : 503).send({ ready, reasons });
  });
}
