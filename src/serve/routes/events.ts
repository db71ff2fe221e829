import type { FastifyInstance } from 'fastify';
import type { HotStore } from '../../core/ports/hot-store.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { ERROR_BODY_SCHEMA } from '../errors.js';

export interface EventRoutesOptions {
  hot: HotStore;
  defaultLimit: number;
  maxLimit: number;
}

const EVENT_SCHEMA = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    source: { type: 'string' },
    type: { type: 'string' },
    timestamp: { type: 'integer' },
    payload: { type: 'object', additionalProperties: true },
    metadata: { type: 'object', additionalProperties: true },
  },
} as const;

/** GET /v1/events/recent: newest first by event time, with a cursor that is stable under inserts. */
export async function eventRoutes(app: FastifyInstance, opts: EventRoutesOptions): Promise<void> {
  app.get(
    '/v1/events/recent',
    {
      schema: {
        summary: 'Recent events, newest first',
        tags: ['query'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            source: { type: 'string' },
            type: { type: 'string' },
            user_id: { type: 'string' },
            limit: { type: 'integer', minimum: 1, maximum: opts.maxLimit, default: opts.defaultLimit },
            cursor: { type: 'string', description: 'next_cursor of the previous page' },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['events', 'next_cursor'],
            properties: { events: { type: 'array', items: EVENT_SCHEMA }, next_cursor: { type: ['string', 'null'] } },
          },
          400: ERROR_BODY_SCHEMA,
        },
      },
    },
    async (request) => {
      const q = request.query as { source?: string; type?: string; user_id?: string; limit: number; cursor?: string };
      const rows = await opts.hot.recentEvents({
        ...(q.source !== undefined && { source: q.source }),
        ...(q.type !== undefined && { type: q.type }),
        ...(q.user_id !== undefined && { userId: q.user_id }),
        ...(q.cursor !== undefined && { before: decodeCursor(q.cursor) }),
        limit: q.limit + 1,
      });
      const page = rows.slice(0, q.limit);
      const last = page[page.length - 1];
      return {
        events: page.map(({ logPos: _, ...event }) => event),
        next_cursor: rows.length > q.limit && last ? encodeCursor(last.timestamp, last.logPos) : null,
      };
    },
  );
}
