import type { FastifyInstance } from 'fastify';
import { SightlineError } from '../../core/errors.js';
import type { EventQueries, WindowRow } from '../../core/ports/event-queries.js';
import type { ServedAggregation } from '../api-options.js';
import type { QueryCache } from '../query-cache.js';
import { errorResponses } from '../errors.js';
import { parseTimeParam, TIME_PARAM_SCHEMA } from '../time-param.js';

export interface AggregateRoutesOptions {
  hot: EventQueries;
  aggregations: ServedAggregation[];
  maxLimit: number;
  /** Answers are cached until a window they cover changes. */
  cache?: QueryCache<WindowRow[]>;
}

/**
 * GET /v1/aggregates/{name}, one route per configured aggregation: its windows, oldest first.
 * Open windows are included with final=false; the group filter is named after the group field
 * (page for page-views), and window takes the aggregation's own sizes. Another name is a 404.
 */
export async function aggregateRoutes(app: FastifyInstance, opts: AggregateRoutesOptions): Promise<void> {
  for (const agg of opts.aggregations) aggregationRoute(app, agg, opts);
  const names = opts.aggregations.map((a) => a.name).join(', ') || 'none';
  app.get('/v1/aggregates/:name', { config: { access: { scope: 'query:read', resource: (request) => `aggregates/${(request.params as { name: string }).name}` } }, schema: { hide: true } }, async (request) => {
    throw new SightlineError('SL_API_NOT_FOUND', `no aggregation "${(request.params as { name: string }).name}"; configured: ${names}`);
  });
}

function aggregationRoute(app: FastifyInstance, agg: ServedAggregation, opts: AggregateRoutesOptions): void {
  const labels = agg.windows.map((w) => w.label);
  app.get(
    `/v1/aggregates/${agg.name}`,
    {
      config: { access: { scope: 'query:read', resource: () => `aggregates/${agg.name}` } },
      schema: {
        summary: `Windowed counts of the ${agg.name} aggregation`,
        description:
          `window is one of ${labels.join(', ')} (default ${labels[0]}); from/to bound window_start (from inclusive, to exclusive); ` +
          `${agg.groupField} selects one group.`,
        tags: ['query'],
        querystring: {
          type: 'object',
          additionalProperties: { type: 'string' },
          properties: {
            window: { type: 'string', enum: labels },
            from: TIME_PARAM_SCHEMA,
            to: TIME_PARAM_SCHEMA,
            [agg.groupField]: { type: 'string' },
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
                  required: ['window_start', 'window_end', agg.groupField, 'count', 'final'],
                  additionalProperties: false,
                  properties: {
                    window_start: { type: 'integer' },
                    window_end: { type: 'integer' },
                    [agg.groupField]: { type: 'string' },
                    count: { type: 'integer' },
                    final: { type: 'boolean' },
                  },
                },
              },
            },
          },
          ...errorResponses(400),
        },
      },
    },
    async (request) => {
      const q = request.query as Record<string, string | number | undefined>;
      const from = parseTimeParam('from', q.from as string | undefined);
      const to = parseTimeParam('to', q.to as string | undefined);
      const group = q[agg.groupField] as string | undefined;
      const query = {
        name: agg.name,
        window: (q.window as string | undefined) ?? labels[0]!,
        limit: Number(q.limit),
        ...(from !== undefined && { from }),
        ...(to !== undefined && { to }),
        ...(group !== undefined && { group }),
      };
      const rows = await (opts.cache ? opts.cache.get(JSON.stringify(query), [{ name: agg.name, ...(from !== undefined && { from }), ...(to !== undefined && { to }) }], () => opts.hot.aggregates(query)) : opts.hot.aggregates(query));
      return {
        windows: rows.map((r) => ({ window_start: r.windowStart, window_end: r.windowEnd, [agg.groupField]: r.group, count: r.count, final: r.final })),
      };
    },
  );
}
