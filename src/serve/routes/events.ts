import type { FastifyInstance } from 'fastify';
import type { EventQueries } from '../../core/ports/event-queries.js';
import { CURSOR_PATTERN, decodeCursor, encodeCursor } from '../cursor.js';
import { SightlineError } from '../../core/errors.js';
import { splitLogPosition } from '../../core/log-position.js';
import { errorResponses } from '../errors.js';

export interface EventRoutesOptions {
  hot: EventQueries;
  defaultLimit: number;
  maxLimit: number;
  /** Where an event's Parquet file is, once exported. */
  coldFileFor?: (commitNo: number, timestamp: number) => Promise<string | undefined>;
}


const EVENT_SCHEMA = {
  type: 'object',
  required: ['id', 'source', 'type', 'timestamp', 'payload', 'metadata'],
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
      config: { access: { scope: 'query:read', resource: () => 'events' } },
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
            cursor: { type: 'string', pattern: CURSOR_PATTERN, description: 'next_cursor of the previous page' },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['events', 'next_cursor'],
            properties: { events: { type: 'array', items: EVENT_SCHEMA }, next_cursor: { type: ['string', 'null'], pattern: CURSOR_PATTERN } },
          },
          ...errorResponses(400),
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

  app.get(
    '/v1/events/:id',
    {
      config: { access: { scope: 'query:read', resource: () => 'events' } },
      schema: {
        summary: 'One stored event by id, with its path through the platform and its trace id',
        tags: ['query'],
        params: { type: 'object', properties: { id: { type: 'string' } } },
        response: {
          200: {
            type: 'object',
            required: ['event', 'trace_id', 'path'],
            properties: {
              event: EVENT_SCHEMA,
              trace_id: { type: ['string', 'null'] },
              path: {
                type: 'object',
                additionalProperties: true,
                properties: {
                  log: { type: 'object', properties: { topic: { type: 'string' }, partition: { type: 'integer' }, offset: { type: 'integer' } } },
                  hot_store: { type: 'object', properties: { commit: { type: 'integer' }, late: { type: 'boolean' } } },
                  cold_store: { type: ['object', 'null'], properties: { file: { type: 'string' } } },
                },
              },
            },
          },
          ...errorResponses(404),
        },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const found = await opts.hot.eventById(id);
      if (!found) throw new SightlineError('SL_API_NOT_FOUND', `no stored event with id "${id}" (it may still wait in the log, or was rejected at ingest)`);
      const { logPos, commitNo, late, traceId, lineage, ...event } = found;
      const coldFile = opts.coldFileFor ? await opts.coldFileFor(commitNo, event.timestamp) : undefined;
      const traceparent = typeof event.metadata.traceparent === 'string' ? event.metadata.traceparent : undefined;
      const position = splitLogPosition(logPos);
      const contract = event.metadata.contract as { subject: string; version: number; id: number } | undefined;
      // Lineage is kept once per commit, not in every event's bytes, and put together here.
      event.metadata = {
        ...event.metadata,
        lineage: {
          source: event.source,
          ingest: { node: lineage?.node ?? null, log: { topic: 'events', ...position } },
          steps: [
            { step: 'envelope' },
            contract ? { step: 'contract', subject: contract.subject, version: contract.version, schema_id: contract.id } : { step: 'contract', subject: null },
            ...(lineage?.steps ?? []),
          ],
          processed_by: lineage ? { node: lineage.node, sightline_version: lineage.version, committed_at: lineage.committedAt, commit: commitNo } : { commit: commitNo },
          destinations: [{ store: 'hot', table: late ? 'events (late)' : 'events', commit: commitNo }, ...(coldFile ? [{ store: 'cold', file: coldFile }] : [])],
        },
      };
      return {
        event,
        trace_id: traceId ?? traceparent?.split('-')[1] ?? null,
        path: {
          log: { topic: 'events', ...position },
          hot_store: { commit: commitNo, late },
          cold_store: coldFile ? { file: coldFile } : null,
        },
      };
    },
  );
}
