import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SightlineError } from '../../core/errors.js';
import { SQL_PARAM_TYPES, type SqlEngine, type SqlParam, type SqlResult, type SqlValue } from '../../core/ports/sql-engine.js';
import { errorResponses } from '../errors.js';
import { mayReadTable } from '../table-access.js';
import { clientOf } from '../rate-limits.js';
import { type ClientSlots, holdingSlot } from '../../core/client-slots.js';
import { formatOf, rowStream, SQL_FORMATS, type SqlFormat, STREAMED_CONTENT_TYPES } from '../sql-formats.js';

export interface SqlRoutesOptions {
  engine: SqlEngine;
  /** Statements each client may run at once. */
  slots: ClientSlots;
  /** The longest statement text taken. */
  maxStatementBytes: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The statement's digest once it parsed (for the audit entry). */
    sqlDigest?: string;
  }
}

const PARAM_VALUE = { anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }, { type: 'null' }] } as const;
const PARAM = {
  anyOf: [PARAM_VALUE, { type: 'object', required: ['type', 'value'], additionalProperties: false, properties: { type: { type: 'string', enum: [...SQL_PARAM_TYPES] }, value: PARAM_VALUE } }],
} as const;

/** A parameter as the body gives it: typed, or a bare JSON value whose type follows from it. */
function paramOf(value: unknown): SqlParam {
  if (value !== null && typeof value === 'object') return value as SqlParam;
  if (typeof value === 'boolean') return { type: 'BOOLEAN', value };
  if (typeof value === 'number') return { type: Number.isSafeInteger(value) ? 'BIGINT' : 'DOUBLE', value };
  return { type: 'VARCHAR', value: value as string | null };
}

/**
 * POST /v1/sql: one read-only SELECT over the views (docs/sql.md), with named (`$name`) or
 * positional (`$1`) typed parameters. The answer's format follows Accept: JSON (whole, with the
 * columns and stats), CSV, NDJSON or Arrow IPC (streamed as the rows come).
 */
export async function sqlRoutes(app: FastifyInstance, opts: SqlRoutesOptions): Promise<void> {
  app.post(
    '/v1/sql',
    {
      config: {
        access: { scope: 'query:read', filtersResources: true },
        audit: { action: 'sql.query', target: (request) => `statement ${request.sqlDigest ?? '(did not parse)'}` },
      },
      schema: {
        summary: 'Run one read-only SQL statement over events, dead_letters and each aggregation (hot and cold rows, each once)',
        description:
          'Parameters: `params` is an object for `$name` or an array for `$1`, `$2`; each a JSON value or {type, value} with type one of ' +
          `${SQL_PARAM_TYPES.join(', ')} (times as ISO 8601 or epoch ms). The answer follows Accept: ${SQL_FORMATS.join(', ')}; ` +
          'JSON is sent whole, the others stream (an error after the first rows ends NDJSON with a last line {"error": {code, message}}, and breaks CSV and Arrow off before their end). ' +
          'Each view needs query:read on its dataset (events, dead_letters also dlq:read, aggregates/<name>).',
        tags: ['query'],
        body: {
          type: 'object',
          required: ['sql'],
          additionalProperties: false,
          properties: {
            sql: { type: 'string', minLength: 1, maxLength: opts.maxStatementBytes },
            params: { anyOf: [{ type: 'object', additionalProperties: PARAM, maxProperties: 100 }, { type: 'array', items: PARAM, maxItems: 100 }] },
            max_rows: { type: 'integer', minimum: 1 },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['columns', 'rows', 'stats'],
            properties: {
              columns: { type: 'array', items: { type: 'object', required: ['name', 'type'], properties: { name: { type: 'string' }, type: { type: 'string' } } } },
              rows: { type: 'array', items: { type: 'array', items: {} } },
              stats: {
                type: 'object',
                required: ['rows', 'cold_files', 'elapsed_ms', 'views'],
                properties: { rows: { type: 'integer' }, cold_files: { type: 'integer' }, elapsed_ms: { type: 'integer' }, views: { type: 'array', items: { type: 'string' } } },
              },
            },
          },
          ...errorResponses(400, 406, 422, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const format = formatOf(request.headers.accept);
      const body = request.body as { sql: string; params?: Record<string, unknown> | unknown[]; max_rows?: number };
      const params = body.params === undefined ? undefined : Array.isArray(body.params) ? body.params.map(paramOf) : Object.fromEntries(Object.entries(body.params).map(([k, v]) => [k, paramOf(v)]));
      const release = opts.slots.take(clientOf(request));
      let result: SqlResult;
      try {
        result = holdingSlot(
          await opts.engine.query({
            sql: body.sql,
            ...(params !== undefined && { params }),
            ...(body.max_rows !== undefined && { maxRows: body.max_rows }),
            mayRead: (dataset) => mayReadTable(request, dataset),
            onDigest: (digest) => (request.sqlDigest = digest),
          }),
          release,
        );
      } catch (err) {
        release();
        throw err;
      }
      if (format === 'json') return answerWhole(result);
      return streamRows(request, reply, result, format);
    },
  );
}

async function answerWhole(result: SqlResult): Promise<unknown> {
  const rows: SqlValue[][] = [];
  for await (const chunk of result.chunks()) for (const row of chunk) rows.push(row);
  const stats = result.stats();
  return { columns: result.columns, rows, stats: { rows: stats.rows, cold_files: stats.coldFiles, elapsed_ms: stats.elapsedMs, views: stats.views } };
}

function streamRows(request: FastifyRequest, reply: FastifyReply, result: SqlResult, format: Exclude<SqlFormat, 'json'>): FastifyReply {
  const stats = result.stats();
  reply.header('sightline-sql-views', stats.views.join(',') || '-');
  reply.header('sightline-sql-cold-files', String(stats.coldFiles));
  const stream = rowStream(format, result.columns, result.chunks());
  // Rows already sent cannot become an error status: the stream ends without its last chunk, so
  // no client takes the rows so far for the whole answer.
  stream.on('error', (err: Error) => request.log.warn({ code: (err as SightlineError).code }, `a SQL statement failed after its first rows were sent: ${err.message}`));
  return reply.type(STREAMED_CONTENT_TYPES[format]).send(stream);
}
