import type { FastifyInstance } from 'fastify';
import type { EventQueries } from '../../core/ports/event-queries.js';
import type { QualityRuleConfig } from '../../quality/quality-rules.js';
import type { QualityStats } from '../../quality/quality-stats.js';
import { errorResponses } from '../errors.js';
import { parseTimeParam, TIME_PARAM_SCHEMA } from '../time-param.js';

export interface QualityRoutesOptions {
  hot: EventQueries;
  rules: QualityRuleConfig[];
  stats: QualityStats;
  maxLimit: number;
}

/** GET /v1/quality: the rules, their results since start, and the summary per dataset, rule and event-time bucket. */
export async function qualityRoutes(app: FastifyInstance, opts: QualityRoutesOptions): Promise<void> {
  app.get(
    '/v1/quality',
    {
      config: { access: { scope: 'ops:read' } },
      schema: {
        summary: 'Quality rules and their results per dataset (source.type), rule and event-time bucket',
        tags: ['quality'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            dataset: { type: 'string' },
            rule: { type: 'string' },
            from: { ...TIME_PARAM_SCHEMA, description: `bucket start: ${TIME_PARAM_SCHEMA.description}` },
            to: TIME_PARAM_SCHEMA,
            limit: { type: 'integer', minimum: 1, maximum: opts.maxLimit, default: Math.min(500, opts.maxLimit) },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['rules', 'totals', 'buckets'],
            properties: {
              rules: { type: 'array', items: { type: 'object', additionalProperties: true } },
              totals: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: { dataset: { type: 'string' }, rule: { type: 'string' }, severity: { type: 'string' }, passed: { type: 'integer' }, failed: { type: 'integer' } },
                },
              },
              buckets: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    dataset: { type: 'string' },
                    rule: { type: 'string' },
                    severity: { type: 'string' },
                    bucket_start: { type: 'integer' },
                    bucket_end: { type: 'integer' },
                    passed: { type: 'integer' },
                    failed: { type: 'integer' },
                    pass_ratio: { type: 'number' },
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
      const q = request.query as { dataset?: string; rule?: string; from?: string; to?: string; limit: number };
      const from = parseTimeParam('from', q.from);
      const to = parseTimeParam('to', q.to);
      const buckets = await opts.hot.qualitySummary({
        ...(q.dataset !== undefined && { dataset: q.dataset }),
        ...(q.rule !== undefined && { rule: q.rule }),
        ...(from !== undefined && { from }),
        ...(to !== undefined && { to }),
        limit: q.limit,
      });
      return {
        rules: opts.rules,
        totals: opts.stats.snapshot().filter((t) => (q.dataset === undefined || t.dataset === q.dataset) && (q.rule === undefined || t.rule === q.rule)),
        buckets: buckets.map((b) => ({
          dataset: b.dataset,
          rule: b.rule,
          severity: b.severity,
          bucket_start: b.bucketStart,
          bucket_end: b.bucketEnd,
          passed: b.passed,
          failed: b.failed,
          pass_ratio: b.passed + b.failed === 0 ? 1 : b.passed / (b.passed + b.failed),
        })),
      };
    },
  );
}
