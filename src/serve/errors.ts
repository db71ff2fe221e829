import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES, type ErrorCode, isSightlineError, SightlineError } from '../core/errors.js';

/** Fastify's own codes for body and route problems, as our codes. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'SL_INGEST_BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'SL_API_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'SL_API_BAD_REQUEST',
  FST_ERR_CTP_INVALID_JSON_BODY: 'SL_API_BAD_REQUEST',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'SL_INGEST_BODY_INVALID',
  FST_ERR_CTP_EMPTY_TYPE: 'SL_API_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_VALIDATION: 'SL_API_BAD_REQUEST',
};

export function toApiError(err: FastifyError | Error): SightlineError {
  if (isSightlineError(err)) return err;
  const fastifyCode = (err as FastifyError).code;
  const validation = (err as FastifyError).validation;
  if (validation) {
    // A paging cursor that does not match its pattern is not one the API issued.
    const code = validation.some((v) => v.instancePath === '/cursor') && (err as FastifyError).validationContext === 'querystring' ? 'SL_API_CURSOR_INVALID' : 'SL_API_BAD_REQUEST';
    // Ajv's "must be equal to one of the allowed values" says which.
    const allowed = validation.find((v) => v.keyword === 'enum')?.params.allowedValues;
    return new SightlineError(code, Array.isArray(allowed) ? `${err.message}: ${allowed.join(', ')}` : err.message);
  }
  const mapped = fastifyCode ? FASTIFY_CODES[fastifyCode] : undefined;
  if (mapped) return new SightlineError(mapped, mapped === 'SL_API_BAD_REQUEST' ? err.message : ERROR_CODES[mapped].summary);
  // Fastify's JSON parser reports a malformed body as a plain SyntaxError with status 400.
  if (err instanceof SyntaxError && (err as FastifyError).statusCode === 400) return new SightlineError('SL_API_BAD_REQUEST', `the body is not JSON: ${err.message}`);
  if (fastifyCode === 'Z_DATA_ERROR' || fastifyCode === 'Z_BUF_ERROR' || (err as NodeJS.ErrnoException).errno === -3) {
    return new SightlineError('SL_INGEST_BODY_INVALID', `the gzip body could not be decompressed: ${err.message}`);
  }
  // Fastify's other refusals of a request (a method that needs a Content-Type, a malformed path)
  // are the caller's: a 400 with their reason, not an internal error.
  const status = (err as FastifyError).statusCode;
  if (fastifyCode?.startsWith('FST_ERR_') && status !== undefined && status >= 400 && status < 500) return new SightlineError('SL_API_BAD_REQUEST', err.message);
  return new SightlineError('SL_API_INTERNAL', 'internal error', { cause: err });
}

/** Every error leaves the API as {code, message} with the code's status (and Retry-After on 429). */
export function errorHandler(this: unknown, err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const error = toApiError(err);
  if (error.status >= 500) request.log.error({ err, code: error.code }, error.message);
  else request.log.debug({ code: error.code }, error.message);
  if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds));
  void reply.status(error.status).send(error.toBody());
}

/** What Fastify refuses before routing (a path that is not a valid URL): a 400 with the API's body. */
export function answerFrameworkError(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const err = new SightlineError('SL_API_BAD_REQUEST', error.message);
  void reply.status(err.status).send(err.toBody());
}

/**
 * A request Node's HTTP parser refused before Fastify saw it (headers or URL too large, a request
 * that did not arrive in time, bytes that are not HTTP): answered with the API's body, then closed.
 */
export function answerClientError(err: { code?: string }, socket: Duplex): void {
  const error =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? new SightlineError('SL_API_HEADERS_TOO_LARGE', 'the request headers (or its URL) exceed the server limit')
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new SightlineError('SL_API_REQUEST_TIMEOUT', 'the request did not arrive whole in time')
        : new SightlineError('SL_API_BAD_REQUEST', 'the request is not valid HTTP');
  if (!socket.writable) return;
  const body = JSON.stringify(error.toBody());
  socket.end(`HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? ''}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/**
 * JSON and query strings can both name a number too large to be finite (`limit=Infinity`,
 * `1e400`); Ajv coerces it and then skips `maximum` for a non-finite value. No parameter of this
 * API takes one.
 */
export function refuseNonFiniteNumbers(request: FastifyRequest): void {
  for (const [where, value] of [['query', request.query], ['path', request.params]] as const) {
    if (value === null || typeof value !== 'object') continue;
    for (const [name, v] of Object.entries(value)) {
      if (typeof v === 'number' && !Number.isFinite(v)) throw new SightlineError('SL_API_BAD_REQUEST', `${where} parameter ${name} must be a finite number`);
    }
  }
  const body = request.body;
  if (body !== null && typeof body === 'object' && !Buffer.isBuffer(body)) {
    const pending: unknown[] = [body];
    while (pending.length > 0) {
      const v = pending.pop();
      if (typeof v === 'number' && !Number.isFinite(v)) throw new SightlineError('SL_API_BAD_REQUEST', 'the body holds a number too large to be finite');
      if (v !== null && typeof v === 'object') pending.push(...Object.values(v));
    }
  }
}

export const ERROR_BODY_SCHEMA = {
  type: 'object',
  required: ['code', 'message'],
  properties: { code: { type: 'string' }, message: { type: 'string' } },
} as const;

/**
 * The responses a route documents for these error statuses: the API's {code, message}, the code
 * one of those docs/errors.md gives that status (the only codes an error of that status carries).
 */
export function errorResponses(...statuses: number[]): Record<number, object> {
  return Object.fromEntries(statuses.map((status) => [status, errorBodySchema(status)]));
}

export function errorBodySchema(status: number) {
  const codes = Object.entries(ERROR_CODES)
    .filter(([, v]) => v.status === status)
    .map(([code]) => code);
  return {
    description: `${STATUS_CODES[status] ?? status}: {code, message} (docs/errors.md)`,
    type: 'object',
    required: ['code', 'message'],
    additionalProperties: false,
    properties: { code: { type: 'string', enum: codes }, message: { type: 'string' } },
  } as const;
}
