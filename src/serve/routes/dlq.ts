import type { FastifyInstance } from 'fastify';
import { DEAD_LETTER_ID_PATTERN, DEAD_LETTER_STAGES } from '../../core/dead-letter.js';
import { SightlineError } from '../../core/errors.js';
import type { DeadLetterEntry, DeadLetterQuery } from '../../core/ports/dead-letter-index.js';
import type { DeadLetterIndex } from '../../core/ports/dead-letter-index.js';
import type { DeadLetterReplayer } from '../../dlq/replay.js';
import { errorResponses } from '../errors.js';
import { parseTimeParam, TIME_PARAM_SCHEMA } from '../time-param.js';

export interface DlqRoutesOptions {
  hot: DeadLetterIndex;
  /** Absent where ingest, processing and this hot store are not one process (distributed mode): replay is refused. */
  replayer?: DeadLetterReplayer;
  defaultLimit: number;
  maxLimit: number;
  /**
   * Resolves once the table holds every dead letter written before the call, or after the bound:
   * a list asked for right after a send shows what the send was refused for.
   */
  indexed?: (timeoutMs: number) => Promise<boolean>;
}

/** How long a first page waits for the index to catch up before answering with what it has. */
const INDEX_WAIT_MS = 5000;

const ENTRY_SCHEMA = {
  type: 'object',
  required: ['id', 'at', 'stage', 'code', 'rule', 'message', 'event_id', 'source', 'type', 'schema', 'trace_id', 'origin', 'replay_of', 'replay'],
  properties: {
    id: { type: 'string', description: 'partition-offset in the dead-letter topic' },
    at: { type: 'integer' },
    stage: { type: 'string', enum: [...DEAD_LETTER_STAGES] },
    code: { type: 'string' },
    rule: { type: ['string', 'null'] },
    message: { type: 'string' },
    event_id: { type: ['string', 'null'] },
    source: { type: ['string', 'null'] },
    type: { type: ['string', 'null'] },
    schema: { type: ['object', 'null'], properties: { subject: { type: 'string' }, version: { type: 'integer' }, id: { type: 'integer' } } },
    trace_id: { type: ['string', 'null'] },
    origin: { type: ['string', 'null'], description: 'topic/partition/offset of the event in the log, for stages after ingest' },
    replay_of: { type: ['string', 'null'] },
    original_size: { type: 'integer', description: 'present when only the first bytes of a larger event were kept: its full size' },
    replay: {
      type: ['object', 'null'],
      required: ['outcome', 'at'],
      properties: { outcome: { type: 'string', enum: ['replayed', 'duplicate', 'failed'] }, at: { type: 'integer' }, code: { type: 'string' }, message: { type: 'string' } },
    },
  },
} as const;

const FILTER_PROPERTIES = {
  stage: { type: 'string', enum: [...DEAD_LETTER_STAGES] },
  code: { type: 'string' },
  rule: { type: 'string' },
  source: { type: 'string' },
  type: { type: 'string' },
  event_id: { type: 'string' },
  since: TIME_PARAM_SCHEMA,
  until: TIME_PARAM_SCHEMA,
  replayed: { type: 'boolean', description: 'true: replayed ones only; false: not (successfully) replayed yet' },
} as const;

type FilterQuery = { stage?: string; code?: string; rule?: string; source?: string; type?: string; event_id?: string; since?: string; until?: string; replayed?: boolean };

function toQuery(q: FilterQuery, limit: number, before?: string): DeadLetterQuery {
  const since = parseTimeParam('since', q.since);
  const until = parseTimeParam('until', q.until);
  return {
    ...(q.stage !== undefined && { stage: q.stage }),
    ...(q.code !== undefined && { code: q.code }),
    ...(q.rule !== undefined && { rule: q.rule }),
    ...(q.source !== undefined && { source: q.source }),
    ...(q.type !== undefined && { type: q.type }),
    ...(q.event_id !== undefined && { eventId: q.event_id }),
    ...(since !== undefined && { since }),
    ...(until !== undefined && { until }),
    ...(q.replayed !== undefined && { replayed: q.replayed }),
    ...(before !== undefined && { before }),
    limit,
  };
}

/** The original bytes as JSON when they are JSON (almost always), else as text. */
function originalView(entry: DeadLetterEntry, asText: boolean): { original: unknown; original_encoding: 'json' | 'text' } {
  const text = entry.original.toString('utf8');
  if (asText) return { original: text, original_encoding: 'text' };
  try {
    const parsed: unknown = JSON.parse(text);
    // JSON.parse takes nesting deeper than the response's serialiser can write (an event refused
    // for its depth): such an original is given as text.
    JSON.stringify(parsed);
    return { original: parsed, original_encoding: 'json' };
  } catch {
    return { original: text, original_encoding: 'text' };
  }
}

export function entryView(entry: DeadLetterEntry) {
  return {
    id: entry.id,
    at: entry.at,
    stage: entry.reason.stage,
    code: entry.reason.code,
    rule: entry.reason.rule ?? null,
    message: entry.reason.message,
    event_id: entry.eventId ?? null,
    source: entry.source ?? null,
    type: entry.type ?? null,
    schema: entry.reason.schema ?? null,
    trace_id: entry.reason.traceparent?.split('-')[1] ?? null,
    origin: entry.origin ?? null,
    replay_of: entry.replayOf ?? null,
    ...(entry.originalSize !== undefined && { original_size: entry.originalSize }),
    replay: entry.replay ? { outcome: entry.replay.outcome, at: entry.replay.at, ...(entry.replay.code && { code: entry.replay.code }), ...(entry.replay.message && { message: entry.replay.message }) } : null,
  };
}

/**
 * The dead-letter queue: every event refused at ingest or in processing, with its typed reason
 * and original bytes; listed newest first with filters, and replayed after a fix.
 */
export async function dlqRoutes(app: FastifyInstance, opts: DlqRoutesOptions): Promise<void> {
  const tags = ['dead letters'];
  app.get(
    '/v1/dlq',
    {
      config: { access: { scope: 'dlq:read' } },
      schema: {
        summary: 'Dead letters, newest first, filtered by stage, code, rule, source, type, time and replay state',
        description: 'A first page (no cursor) waits up to 5 s for the index to hold every dead letter written before the request, so a refusal just answered is listed.',
        tags,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...FILTER_PROPERTIES,
            limit: { type: 'integer', minimum: 1, maximum: opts.maxLimit, default: opts.defaultLimit },
            cursor: { type: 'string', pattern: DEAD_LETTER_ID_PATTERN, description: 'next_cursor of the previous page' },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['dead_letters', 'next_cursor'],
            properties: { dead_letters: { type: 'array', items: ENTRY_SCHEMA }, next_cursor: { type: ['string', 'null'], pattern: DEAD_LETTER_ID_PATTERN } },
          },
          ...errorResponses(400),
        },
      },
    },
    async (request) => {
      const q = request.query as FilterQuery & { limit: number; cursor?: string };
      if (q.cursor === undefined) await opts.indexed?.(INDEX_WAIT_MS);
      const rows = await opts.hot.deadLetters(toQuery(q, q.limit + 1, q.cursor));
      const page = rows.slice(0, q.limit);
      return { dead_letters: page.map(entryView), next_cursor: rows.length > q.limit ? page[page.length - 1]!.id : null };
    },
  );

  app.get(
    '/v1/dlq/:id',
    {
      config: { access: { scope: 'dlq:read' } },
      schema: {
        summary: 'One dead letter with its original bytes',
        tags,
        params: { type: 'object', properties: { id: { type: 'string', pattern: DEAD_LETTER_ID_PATTERN } } },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { original: { type: 'string', enum: ['json', 'text'], default: 'json', description: 'text: the original bytes as sent, not parsed' } },
        },
        response: {
          200: {
            type: 'object',
            required: [...ENTRY_SCHEMA.required, 'original', 'original_encoding'],
            properties: { ...ENTRY_SCHEMA.properties, original: {}, original_encoding: { type: 'string', enum: ['json', 'text'] } },
          },
          ...errorResponses(400, 404),
        },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const entry = await opts.hot.deadLetter(id);
      if (!entry) throw new SightlineError('SL_DLQ_ENTRY_NOT_FOUND', `no dead letter with id "${id}"`);
      return { ...entryView(entry), ...originalView(entry, (request.query as { original: string }).original === 'text') };
    },
  );

  app.post(
    '/v1/dlq/replay',
    {
      config: { access: { scope: 'dlq:replay' }, audit: { action: 'dlq.replay', target: (request) => `${((request.body as { ids?: unknown[] } | undefined)?.ids ?? []).length} dead letters` } },
      schema: {
        summary: 'Replay dead letters through ingest and processing again',
        description:
          'Each named dead letter goes through the checks it failed again; one that passes is appended to the log with its original id, ' +
          'so a replay never counts an event twice. The answer waits until processing has handled them and gives each outcome: ' +
          'replayed, duplicate (already stored), failed (with the new code), skipped (replayed before; set include_replayed) or not_found.',
        tags,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['ids'],
          properties: {
            ids: { type: 'array', minItems: 1, maxItems: 1000, items: { type: 'string', pattern: DEAD_LETTER_ID_PATTERN } },
            include_replayed: { type: 'boolean', default: false },
            wait_ms: { type: 'integer', minimum: 0, maximum: 120_000, default: 30_000 },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['replayed', 'duplicates', 'failed', 'skipped', 'not_found', 'settled', 'results'],
            properties: {
              replayed: { type: 'integer' },
              duplicates: { type: 'integer' },
              failed: { type: 'integer' },
              skipped: { type: 'integer' },
              not_found: { type: 'integer' },
              settled: { type: 'boolean' },
              results: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['id', 'outcome'],
                  properties: {
                    id: { type: 'string' },
                    event_id: { type: 'string' },
                    outcome: { type: 'string', enum: ['replayed', 'duplicate', 'failed', 'skipped', 'not_found'] },
                    code: { type: 'string' },
                    message: { type: 'string' },
                  },
                },
              },
            },
          },
          ...errorResponses(400, 404, 413, 415),
        },
      },
    },
    async (request) => {
      const body = request.body as { ids: string[]; include_replayed: boolean; wait_ms: number };
      if (!opts.replayer) {
        throw new SightlineError(
          'SL_API_NOT_FOUND',
          'dead-letter replay is not available on this node: it runs where ingest, processing and the hot store share a process (sightline up); distributed serve nodes list dead letters only',
        );
      }
      const report = await opts.replayer.replay(body.ids, { includeReplayed: body.include_replayed, waitMs: body.wait_ms });
      return {
        replayed: report.replayed,
        duplicates: report.duplicates,
        failed: report.failed,
        skipped: report.skipped,
        not_found: report.notFound,
        settled: report.settled,
        results: report.results.map(({ eventId, ...r }) => ({ ...r, ...(eventId !== undefined && { event_id: eventId }) })),
      };
    },
  );
}
