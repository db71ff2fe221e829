import type { FastifyInstance } from 'fastify';
import { parseDuration } from '../../core/duration.js';
import { SightlineError } from '../../core/errors.js';
import type { EventQueries, WindowRow } from '../../core/ports/event-queries.js';
import type { ServedAggregation } from '../api-options.js';
import type { QueryCache } from '../query-cache.js';
import { ERROR_BODY_SCHEMA } from '../errors.js';
import { parseTimeParam } from '../time-param.js';

export interface AggregateRoutesOptions {
  hot: EventQueries;
  aggregations: ServedAggregation[];
  maxLimit: number;
  /** Hot aggregates are cached until the next processor commit. */
  cache?: QueryCache<WindowRow[]>;
}

/**
 * GET /v1/aggregates/{name}: windows of a configured aggregation, oldest first. Open windows are
 * included with final=false; the group filter is named after the group field (page for page-views).
 */
export async function aggregateRoutes(app: FastifyInstance, opts: AggregateRoutesOptions): Promise<void> {
  const byName = new Map(opts.aggregations.map((a) => [a.name, a]));
  app.get(
    '/v1/aggregates/:name',
    {
      schema: {
        summary: 'Windowed counts of a configured aggregation',
        description:
          'window is one of the aggregation\'s window sizes (1m, 5m for page-views); from/to bound window_start (epoch ms or ISO 8601, ' +
          'from inclusive, to exclusive); a query parameter named after the group field (page for page-views) selects one group.',
        tags: ['query'],
        params: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
        querystring: {
          type: 'object',
          additionalProperties: { type: 'string' },
          properties: {
            window: { type: 'string' },
            from: { type: 'string' },
            to: { type: 'string' },
            limit: { type: 'integer', minimum: 1, maximum: 100_000, default: 10_000 },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['windows'],
            properties: {
              windows: {
                type: 'array',
                items: {
                  type: 'object',
                  additionalProperties: true,
                  properties: { window_start: { type: 'integer' }, window_end: { type: 'integer' }, count: { type: 'integer' }, final: { type: 'boolean' } },
                },
              },
            },
          },
          400: ERROR_BODY_SCHEMA,
          404: ERROR_BODY_SCHEMA,
        },
      },
    },
    async (request) => {
      const { name } = request.params as { name: string };
      const q = request.query as Record<string, string | number | undefined>;
      const agg = byName.get(name);
      if (!agg) {
        throw new SightlineError('SL_API_NOT_FOUND', `no aggregation "${name}"; configured: ${[...byName.keys()].join(', ') || 'none'}`);
      }
      const window = pickWindow(agg, q.window as string | undefined);
      const from = parseTimeParam('from', q.from as string | undefined);
      const to = parseTimeParam('to', q.to as string | undefined);
      const group = q[agg.groupField] as string | undefined;
      const query = {
        name,
        window,
        limit: Number(q.limit),
        ...(from !== undefined && { from }),
        ...(to !== undefined && { to }),
        ...(group !== undefined && { group }),
      };
      const rows = await (opts.cache ? opts.cache.get(JSON.stringify(query), () => opts.hot.aggregates(query)) : opts.hot.aggregates(query));
      return {
        windows: rows.map((r) => ({ window_start: r.windowStart, window_end: r.windowEnd, [agg.groupField]: r.group, count: r.count, final: r.final })),
      };
    },
  );
}

function pickWindow(agg: ServedAggregation, requested: string | undefined): string {
  if (requested === undefined) return agg.windows[0]!.label;
  let ms: number;
  try {
    ms = parseDuration(requested);
  } catch {
    ms = NaN;
  }
  const found = agg.windows.find((w) => w.ms === ms);
  if (!found) {
    throw new SightlineError('SL_API_BAD_REQUEST', `window must be one of ${agg.windows.map((w) => w.label).join(', ')} for "${agg.name}"`);
  }
  return found.label;
}
