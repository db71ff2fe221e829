import { createGunzip } from 'node:zlib';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { BatchItem } from '../../core/ports/event-intake.js';

declare module 'fastify' {
  interface FastifyRequest {
    releaseIngestReservation: (() => void) | null;
  }
}
import { SightlineError } from '../../core/errors.js';
import { JS_SPACE } from '../../core/text-patterns.js';
import type { ComponentMetrics } from '../../observe/metrics.js';
import { NO_TRACING, type Tracing } from '../../observe/tracing.js';
import { limitedTo, requireResource } from '../access.js';
import { mediaType } from '../browser-guards.js';
import { errorResponses, toApiError } from '../errors.js';
import type { IngestService } from '../../ingest/ingest-service.js';
import { type BodyFormat, parseBody } from '../../ingest/parse-body.js';

export interface IngestRoutesOptions {
  service: IngestService;
  maxBodyBytes: number;
  maxEventsPerBatch: number;
  metrics?: ComponentMetrics;
  tracing?: Tracing;
}

const FORMATS: Record<string, BodyFormat> = {
  'application/json': 'json',
  'application/x-ndjson': 'ndjson',
  'application/ndjson': 'ndjson',
  'application/jsonl': 'ndjson',
};

const EVENT_NOTES = {
  type: 'array',
  items: {
    type: 'object',
    required: ['index', 'code', 'message'],
    properties: { index: { type: 'integer' }, code: { type: 'string' }, message: { type: 'string' } },
  },
} as const;

const INGEST_RESULT_SCHEMA = {
  type: 'object',
  required: ['accepted', 'rejected'],
  properties: {
    accepted: { type: 'integer', description: 'Events made durable in the log.' },
    rejected: { ...EVENT_NOTES, description: 'Events refused, by index in the batch, with a code and why.' },
    warnings: { ...EVENT_NOTES, description: 'Accepted events with something to fix (SL_CONTRACT_DEPRECATED); absent when none.' },
  },
} as const;

/**
 * The body as the OpenAPI document gives it. Whether each event is valid is not the request's
 * concern: a batch that parses is answered 200, its refused events listed in `rejected`.
 */
const EVENT_DESCRIPTION = 'An event: {id, source, type, timestamp (epoch ms), payload, metadata?}; one that is not valid is listed in rejected';
const JSON_BATCH = {
  description: 'A JSON array of events, or one event object',
  anyOf: [
    { type: 'array', minItems: 1, items: { description: EVENT_DESCRIPTION } },
    { type: 'object', description: EVENT_DESCRIPTION },
  ],
};
const NDJSON_BATCH = { type: 'string', pattern: `[^${JS_SPACE}]`, description: 'One event a line (a line that is not JSON is listed in rejected); blank lines are skipped' };
const INGEST_BODY_SCHEMA = {
  content: Object.fromEntries(Object.entries(FORMATS).map(([type, format]) => [type, { schema: format === 'json' ? JSON_BATCH : NDJSON_BATCH }])),
};

/** POST /v1/events: a JSON array or NDJSON body, optionally gzip, checked per event. */
export async function ingestRoutes(app: FastifyInstance, opts: IngestRoutesOptions): Promise<void> {
  const { service } = opts;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(Object.keys(FORMATS), { parseAs: 'buffer', bodyLimit: opts.maxBodyBytes }, (_req, body, done) => {
    done(null, body);
  });

  // Refuse before reading the body: under backpressure the bytes should stay with the client.
  // The reservation is given back when the response is sent or the client goes away.
  app.decorateRequest('releaseIngestReservation', null);
  app.addHook('onRequest', async (request) => {
    if (request.method !== 'POST') return;
    const length = request.headers['content-length'];
    const encoding = String(request.headers['content-encoding'] ?? 'identity').toLowerCase();
    request.releaseIngestReservation = service.admit(length === undefined ? undefined : Number(length), encoding !== 'identity');
  });
  const release = async (request: FastifyRequest): Promise<void> => {
    request.releaseIngestReservation?.();
  };
  app.addHook('onResponse', release);
  app.addHook('onRequestAbort', release);
  // Whole requests refused (429, 413, 415, 400), by code; refused events are counted as discards.
  app.addHook('onError', async (_request, _reply, err) => {
    opts.metrics?.error(toApiError(err).code);
  });

  // Decompress before the body limit is counted, so the limit bounds what we hold in memory.
  app.addHook('preParsing', async (request, _reply, payload) => {
    const encoding = String(request.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (encoding === 'identity') return payload;
    if (encoding !== 'gzip' && encoding !== 'x-gzip') {
      throw new SightlineError('SL_INGEST_UNSUPPORTED_ENCODING', `Content-Encoding "${encoding}" is not supported; use gzip`);
    }
    const gunzip = createGunzip() as ReturnType<typeof createGunzip> & { receivedEncodedLength: number };
    // Fastify checks Content-Length against this, not against the decompressed bytes.
    gunzip.receivedEncodedLength = 0;
    payload.on('data', (chunk: Buffer) => {
      gunzip.receivedEncodedLength += chunk.length;
    });
    payload.on('error', (err) => gunzip.destroy(err));
    return payload.pipe(gunzip);
  });

  /** The subject an event names (source.type); undefined for one the envelope check refuses anyway. */
  const subjectOf = (item: BatchItem): string | undefined => {
    const value = 'value' in item ? (item.value as { source?: unknown; type?: unknown } | null) : null;
    if (typeof value !== 'object' || value === null || typeof value.source !== 'string' || typeof value.type !== 'string') return undefined;
    return `${value.source}.${value.type}`;
  };

  app.post(
    '/v1/events',
    {
      config: { bodyTypes: Object.keys(FORMATS), bodyTypeError: 'SL_INGEST_UNSUPPORTED_MEDIA_TYPE', access: { scope: 'ingest:write', resourcesInBody: true } },
      schema: {
        summary: 'Ingest a batch of events',
        description:
          'A JSON array of events (or one event) with Content-Type application/json, or NDJSON with application/x-ndjson; ' +
          'Content-Encoding gzip is accepted. Each event is checked on its own: the response counts the accepted ones and lists ' +
          'every rejected one with its index, code and message. Accepted events are durable before the response is sent.',
        tags: ['ingest'],
        body: INGEST_BODY_SCHEMA,
        response: { 200: INGEST_RESULT_SCHEMA, ...errorResponses(400, 413, 415, 429, 503) },
      },
      // parseBody reads the body and checks each event; the body schema documents what it takes.
      validatorCompiler: () => () => true,
    },
    async (request, reply) => {
      const body = request.body as Buffer | undefined;
      if (body === undefined) throw new SightlineError('SL_INGEST_BODY_INVALID', 'the request has no body: send a JSON array of events, or NDJSON');
      const format = FORMATS[mediaType(request.headers['content-type'])] ?? 'json';
      const items = parseBody(body, format, opts.maxEventsPerBatch);
      // A key limited to some subjects sends nothing unless it may write every one the batch names:
      // no part of the batch is stored, not even as a dead letter.
      if (limitedTo(request, 'ingest:write')) {
        for (const item of items) {
          const subject = subjectOf(item);
          if (subject !== undefined) requireResource(request, 'ingest:write', subject);
        }
      }
      const traceparent = request.headers.traceparent;
      const ingest = () => service.ingest(items, body.length, { body, ...(typeof traceparent === 'string' && { traceparent }) });
      // Under the request's span: the batch span, and in it each event's context and the log append.
      const result = await (opts.tracing ?? NO_TRACING).step('sightline.ingest.batch', async (span) => {
        const r = await ingest();
        span?.setAttributes({ 'sightline.events': items.length, 'sightline.accepted': r.accepted, 'sightline.rejected': r.rejected.length });
        return r;
      });
      // From the first byte of the request to every accepted event durable in the log.
      opts.metrics?.observe('receipt_to_durable', reply.elapsedTime / 1000);
      return result;
    },
  );
}
