import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES, type ErrorCode, isSightlineError, SightlineError } from '../core/errors.js';

/** Fastify's own codes for body and route problems, as our codes. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'SL_INGEST_BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'SL_INGEST_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'SL_API_BAD_REQUEST',
  FST_ERR_CTP_INVALID_JSON_BODY: 'SL_API_BAD_REQUEST',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'SL_INGEST_BODY_INVALID',
  FST_ERR_CTP_EMPTY_TYPE: 'SL_INGEST_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_VALIDATION: 'SL_API_BAD_REQUEST',
};

export function toApiError(err: FastifyError | Error): SightlineError {
  if (isSightlineError(err)) return err;
  const fastifyCode = (err as FastifyError).code;
  if ((err as FastifyError).validation) return new SightlineError('SL_API_BAD_REQUEST', err.message);
  const mapped = fastifyCode ? FASTIFY_CODES[fastifyCode] : undefined;
  if (mapped) return new SightlineError(mapped, mapped === 'SL_API_BAD_REQUEST' ? err.message : ERROR_CODES[mapped].summary);
  // Fastify's JSON parser reports a malformed body as a plain SyntaxError with status 400.
  if (err instanceof SyntaxError && (err as FastifyError).statusCode === 400) return new SightlineError('SL_API_BAD_REQUEST', `the body is not JSON: ${err.message}`);
  if (fastifyCode === 'Z_DATA_ERROR' || fastifyCode === 'Z_BUF_ERROR' || (err as NodeJS.ErrnoException).errno === -3) {
    return new SightlineError('SL_INGEST_BODY_INVALID', `the gzip body could not be decompressed: ${err.message}`);
  }
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

export const ERROR_BODY_SCHEMA = {
  type: 'object',
  required: ['code', 'message'],
  properties: { code: { type: 'string' }, message: { type: 'string' } },
} as const;
