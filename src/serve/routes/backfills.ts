import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { BackfillService } from '../../core/backfill.js';
import { actorOf } from '../access.js';
import { errorResponses } from '../errors.js';

export interface BackfillRoutesOptions {
  /** Throws SL_BACKFILL_UNAVAILABLE on a node that cannot backfill. */
  backfills: () => BackfillService;
}

const tags = ['lakehouse'];
const DAY = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'A UTC day, YYYY-MM-DD' } as const;
/** In a request, a day that exists (`2026-02-30` does not). */
const DAY_ASKED = { type: 'string', format: 'date', description: 'A UTC day, YYYY-MM-DD' } as const;
const COUNT = { type: 'integer', minimum: 0 } as const;
const VIEW = {
  type: 'object',
  required: ['id', 'from', 'to', 'requested_at', 'requested_by', 'state', 'dry_run', 'days_total', 'days_done', 'counts', 'updated_at'],
  properties: {
    id: { type: 'string' },
    from: DAY,
    to: DAY,
    requested_at: { type: 'integer' },
    requested_by: { type: 'string' },
    state: { type: 'string', enum: ['pending', 'running', 'done', 'failed'] },
    dry_run: { type: 'boolean', description: 'Counted only: nothing was changed' },
    days_total: COUNT,
    days_done: COUNT,
    counts: {
      type: 'object',
      required: ['events', 'changed', 'refused', 'windows'],
      properties: {
        events: { ...COUNT, description: 'Events of the days the events table held' },
        changed: { ...COUNT, description: 'Stored again with other metadata (enrichment, quality warnings)' },
        refused: { ...COUNT, description: 'Refused by processing now: moved to the dead-letter queue' },
        windows: { ...COUNT, description: 'Window counts lowered by the refused events' },
      },
    },
    updated_at: { type: ['integer', 'null'] },
    error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } },
  },
} as const;
const BACKFILL_ID = '^bf_[0-9a-f]{16}$';

const auditTarget = (request: FastifyRequest): string => {
  const body = request.body as { from?: unknown; to?: unknown; dry_run?: unknown } | undefined;
  return `${String(body?.from)}..${String(body?.to)}${body?.dry_run === true ? ' (dry run)' : ''}`;
};

/**
 * Backfill from the cold tier (scope admin): the raw events of whole days, read from the `events`
 * table, go through processing's checks again as configured now (quality rules, enrichment), and
 * the tables, the hot store and the windows of those days are replaced by the result.
 */
export async function backfillRoutes(app: FastifyInstance, opts: BackfillRoutesOptions): Promise<void> {
  app.post(
    '/v1/backfills',
    {
      config: { access: { scope: 'admin' }, audit: { action: 'data.backfill', target: auditTarget } },
      schema: {
        summary: 'Run the events of some days through processing again, from the cold tier',
        description:
          'Answers 202 with the backfill; GET /v1/backfills/{id} follows it to done. Days whose windows are still open are refused (409 SL_BACKFILL_RANGE_OPEN). ' +
          'Each day of the events table is read, checked and enriched as processing would now (quality rules on arrival time and uniqueness were judged on arrival and are not judged again), and replaced in one snapshot; ' +
          'events processing now refuses go to the dead-letter queue and leave the windows they were counted in. A backfill goes on from where it stopped after a restart, and running one twice changes nothing the second time. ' +
          'With dry_run it only counts what it would change.',
        tags,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['from', 'to'],
          properties: { from: DAY_ASKED, to: DAY_ASKED, dry_run: { type: 'boolean', default: false, description: 'Count what it would change (events changed, refused, windows lowered) and change nothing' } },
        },
        response: { 202: VIEW, ...errorResponses(400, 409) },
      },
    },
    async (request, reply) => {
      const body = request.body as { from: string; to: string; dry_run: boolean };
      const view = await opts.backfills().request({ from: body.from, to: body.to, dryRun: body.dry_run }, actorOf(request));
      return reply.code(202).send(view);
    },
  );
  app.get(
    '/v1/backfills',
    { config: { access: { scope: 'admin' } }, schema: { summary: 'Backfills, newest first, with their progress', tags, response: { 200: { type: 'object', required: ['backfills'], properties: { backfills: { type: 'array', items: VIEW } } }, ...errorResponses(409) } } },
    async () => ({ backfills: opts.backfills().list() }),
  );
  app.get(
    '/v1/backfills/:id',
    {
      config: { access: { scope: 'admin' } },
      schema: { summary: 'One backfill and its progress', tags, params: { type: 'object', properties: { id: { type: 'string', pattern: BACKFILL_ID } } }, response: { 200: VIEW, ...errorResponses(400, 404, 409) } },
    },
    async (request) => opts.backfills().get((request.params as { id: string }).id),
  );
}
