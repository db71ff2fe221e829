import type { FastifyInstance } from 'fastify';

export interface StatusRoutesOptions {
  status: () => Promise<Record<string, unknown>>;
  ready: () => Promise<{ ready: boolean; reasons: string[] }>;
}

/** /v1/status for `sightline status`; /healthz (the process answers) and /readyz (it can do its job). */
export async function statusRoutes(app: FastifyInstance, opts: StatusRoutesOptions): Promise<void> {
  const tags = ['operations'];
  const status = {
    type: 'object',
    required: ['version', 'roles', 'data_dir'],
    additionalProperties: true,
    properties: { version: { type: 'string' }, roles: { type: 'array', items: { type: 'string' } }, data_dir: { type: 'string' } },
    description: "The node's version, roles and data folder, and each component's part (backlog, offsets, store sizes)",
  };
  app.get('/v1/status', { schema: { summary: 'Backlog, offsets and store sizes', tags, response: { 200: status } } }, async () => opts.status());
  const health = { type: 'object', required: ['status'], additionalProperties: false, properties: { status: { type: 'string', enum: ['ok'] } } };
  app.get('/healthz', { schema: { summary: 'Liveness', tags, response: { 200: health } } }, async () => ({ status: 'ok' }));
  const readiness = (ready: boolean) => ({
    type: 'object',
    required: ['ready', 'reasons'],
    additionalProperties: false,
    properties: { ready: { type: 'boolean', enum: [ready] }, reasons: { type: 'array', items: { type: 'string' } } },
  });
  const readyz = { summary: 'Readiness, with reasons when not ready', tags, response: { 200: readiness(true), 503: { ...readiness(false), description: 'Not ready: why' } } };
  app.get('/readyz', { schema: readyz }, async (_request, reply) => {
    const { ready, reasons } = await opts.ready();
    return reply.status(ready ? 200 : 503).send({ ready, reasons });
  });
}
