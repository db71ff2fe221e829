import type { FastifyInstance } from 'fastify';
import { AUDIT_ACTIONS } from '../../audit/audit-entry.js';
import type { AuditLog } from '../../audit/audit-log.js';
import { errorResponses } from '../errors.js';
import { parseTimeParam, TIME_PARAM_SCHEMA } from '../time-param.js';

export interface AuditRoutesOptions {
  audit: AuditLog;
}

const tags = ['audit'];
const ENTRY = {
  type: 'object',
  required: ['seq', 'at', 'actor', 'action', 'target', 'outcome', 'source', 'trace_id', 'detail', 'prev', 'hash'],
  properties: {
    seq: { type: 'integer' },
    at: { type: 'string', format: 'date-time' },
    actor: { type: 'string', description: 'a key id, "local" (loopback, keys not required) or "unknown"' },
    action: { type: 'string', enum: [...AUDIT_ACTIONS] },
    target: { type: 'string' },
    outcome: { type: 'string', enum: ['ok', 'failed', 'refused'] },
    source: { type: ['string', 'null'] },
    trace_id: { type: ['string', 'null'] },
    detail: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } },
    prev: { type: 'string' },
    hash: { type: 'string' },
  },
} as const;

/** The audit log (scope admin): its entries, newest first, with filters; and the check of its hash chain. */
export async function auditRoutes(app: FastifyInstance, opts: AuditRoutesOptions): Promise<void> {
  app.get(
    '/v1/audit',
    {
      config: { access: { scope: 'admin' } },
      schema: {
        summary: 'Audit entries, newest first',
        tags,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            actor: { type: 'string', maxLength: 64 },
            action: { type: 'string', maxLength: 64, description: 'an action, or its prefix before the dot (key, schema, auth, …)' },
            outcome: { type: 'string', enum: ['ok', 'failed', 'refused'] },
            since: TIME_PARAM_SCHEMA,
            until: TIME_PARAM_SCHEMA,
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          },
        },
        response: { 200: { type: 'object', required: ['entries'], properties: { entries: { type: 'array', items: ENTRY } } }, ...errorResponses(400) },
      },
    },
    async (request) => {
      const q = request.query as { actor?: string; action?: string; outcome?: string; since?: string; until?: string; limit: number };
      const since = parseTimeParam('since', q.since);
      const until = parseTimeParam('until', q.until);
      const entries = opts.audit.list({
        limit: q.limit,
        ...(q.actor !== undefined && { actor: q.actor }),
        ...(q.action !== undefined && { action: q.action }),
        ...(q.outcome !== undefined && { outcome: q.outcome }),
        ...(since !== undefined && { since }),
        ...(until !== undefined && { until }),
      });
      return { entries: entries.map((e) => ({ ...e, at: new Date(e.at).toISOString() })) };
    },
  );

  app.get(
    '/v1/audit/verify',
    {
      config: { access: { scope: 'admin' } },
      schema: {
        summary: 'Check the hash chain of the audit log from its first entry',
        tags,
        response: {
          200: {
            type: 'object',
            required: ['ok', 'entries', 'head'],
            properties: {
              ok: { type: 'boolean' },
              entries: { type: 'integer' },
              head: { type: ['object', 'null'], properties: { seq: { type: 'integer' }, hash: { type: 'string' } } },
              anchor: { type: ['object', 'null'], description: 'the newest entry this node saw before, which the log must still hold', properties: { seq: { type: 'integer' }, hash: { type: 'string' } } },
              problem: { type: 'object', properties: { seq: { type: 'integer' }, reason: { type: 'string' } } },
            },
          },
        },
      },
    },
    async () => opts.audit.verify(),
  );
}
