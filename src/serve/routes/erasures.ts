import type { FastifyInstance, FastifyRequest } from 'fastify';
import { subjectOf } from '../../core/erasure.js';
import type { Erasures } from '../../erasure/erasures.js';
import { actorOf } from '../access.js';
import { errorResponses } from '../errors.js';
import { parseTimeParam, TIME_PARAM_SCHEMA } from '../time-param.js';

export interface ErasureRoutesOptions {
  erasures: Erasures;
}

const tags = ['deletion'];
const COUNTS = {
  type: 'object',
  properties: {
    hot: { type: 'object', properties: { events: { type: 'integer' }, deadLetters: { type: 'integer' } } },
    cold: { type: 'object', properties: { files: { type: 'integer' }, rows: { type: 'integer' } } },
    log: { type: 'object', properties: { records: { type: 'integer' }, segments: { type: 'integer' }, left: { type: 'integer' }, note: { type: 'string' } } },
  },
} as const;
const VIEW = {
  type: 'object',
  required: ['id', 'subject', 'from', 'to', 'requested_at', 'requested_by', 'state', 'results'],
  properties: {
    id: { type: 'string' },
    subject: { type: 'string', description: 'SHA-256 of the user id: the request never keeps the id' },
    from: { type: ['integer', 'null'] },
    to: { type: 'integer' },
    requested_at: { type: 'integer' },
    requested_by: { type: 'string' },
    state: { type: 'string', enum: ['pending', 'done', 'failed'] },
    results: {
      type: 'array',
      items: {
        type: 'object',
        required: ['node', 'at'],
        properties: { node: { type: 'string' }, at: { type: 'integer' }, counts: COUNTS, error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } } },
      },
    },
  },
} as const;
const ERASURE_ID = '^er_[0-9a-f]{16}$';
/** Event time in a JSON body: epoch milliseconds as a number, or any form a query string takes. */
const TIME_BOUND = { anyOf: [{ type: 'integer', minimum: 0 }, ...TIME_PARAM_SCHEMA.anyOf], description: TIME_PARAM_SCHEMA.description } as const;
const timeOf = (name: string, value: number | string | undefined): number | null => (typeof value === 'number' ? value : (parseTimeParam(name, value) ?? null));

/** Who is erased, as the audit log may name them: a prefix of the hash, never the id. */
const auditTarget = (request: FastifyRequest): string => {
  const userId = (request.body as { user_id?: unknown } | undefined)?.user_id;
  return typeof userId === 'string' ? `user sha256:${subjectOf(userId).slice(0, 16)}` : '(none)';
};

/**
 * Deletion of a user's data (scope admin): a request removes the user's events (by
 * `payload.user_id`, optionally within an event-time range) from the hot store, the cold files and
 * the log's retained segments, and says what each node removed. Aggregates keep their counts.
 */
export async function erasureRoutes(app: FastifyInstance, opts: ErasureRoutesOptions): Promise<void> {
  const { erasures } = opts;
  app.post(
    '/v1/erasures',
    {
      config: { access: { scope: 'admin' }, audit: { action: 'data.erase', target: auditTarget } },
      schema: {
        summary: "Delete a user's events everywhere they are stored",
        description:
          'Answers 202 with the request; GET /v1/erasures/{id} follows it to done. The hot store, the cold Parquet files and the log segments that can be rewritten ' +
          'lose every event whose payload.user_id is the given id (within from..to of event time, when given); aggregates already counted keep their counts.',
        tags,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['user_id'],
          properties: { user_id: { type: 'string', minLength: 1, maxLength: 1024 }, from: TIME_BOUND, to: TIME_BOUND },
        },
        response: { 202: VIEW, ...errorResponses(400) },
      },
    },
    async (request, reply) => {
      const body = request.body as { user_id: string; from?: number | string; to?: number | string };
      const view = await erasures.request(
        body.user_id,
        { from: timeOf('from', body.from), to: timeOf('to', body.to) },
        actorOf(request),
      );
      return reply.code(202).send(view);
    },
  );
  app.get(
    '/v1/erasures',
    { config: { access: { scope: 'admin' } }, schema: { summary: 'Deletion requests, newest first, with what each node removed', tags, response: { 200: { type: 'object', required: ['erasures'], properties: { erasures: { type: 'array', items: VIEW } } } } } },
    async () => ({ erasures: erasures.list() }),
  );
  app.get(
    '/v1/erasures/:id',
    {
      config: { access: { scope: 'admin' } },
      schema: { summary: 'One deletion request and what each node removed', tags, params: { type: 'object', properties: { id: { type: 'string', pattern: ERASURE_ID } } }, response: { 200: VIEW, ...errorResponses(400, 404) } },
    },
    async (request) => erasures.get((request.params as { id: string }).id),
  );
}
