import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorCode } from '../../../core/errors.js';
import { toApiError } from '../../errors.js';

/**
 * Confluent Schema Registry's error_code for each of ours, so its clients (which read the status
 * and message, and some the error_code) see what they expect.
 */
const CONFLUENT_ERROR_CODES: Partial<Record<ErrorCode, number>> = {
  SL_SCHEMA_SUBJECT_NOT_FOUND: 40401,
  SL_SCHEMA_VERSION_NOT_FOUND: 40402,
  SL_SCHEMA_NOT_FOUND: 40403,
  SL_SCHEMA_SUBJECT_SOFT_DELETED: 40404,
  SL_SCHEMA_SUBJECT_NOT_SOFT_DELETED: 40405,
  SL_SCHEMA_VERSION_SOFT_DELETED: 40406,
  SL_SCHEMA_VERSION_NOT_SOFT_DELETED: 40407,
  SL_SCHEMA_SUBJECT_LEVEL_NOT_CONFIGURED: 40408,
  SL_SCHEMA_INCOMPATIBLE: 409,
  SL_SCHEMA_INVALID: 42201,
  SL_SCHEMA_VERSION_INVALID: 42202,
  SL_SCHEMA_COMPATIBILITY_INVALID: 42203,
  SL_SCHEMA_SUBJECT_INVALID: 42208,
  SL_REGISTRY_STORE_FAILED: 50001,
  SL_AUTH_MISSING: 40101,
  SL_AUTH_INVALID: 40101,
  SL_AUTH_EXPIRED: 40101,
  SL_AUTH_REVOKED: 40101,
  SL_AUTH_FORBIDDEN: 40301,
};

export function confluentErrorCode(code: ErrorCode, status: number): number {
  return CONFLUENT_ERROR_CODES[code] ?? status;
}

/** Registry errors as Confluent writes them, `{error_code, message}`, plus our own `code`. */
export function confluentErrorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const error = toApiError(err);
  if (error.status >= 500) request.log.error({ err, code: error.code }, error.message);
  void reply
    .status(error.status)
    .type(REGISTRY_CONTENT_TYPE)
    .send({ error_code: confluentErrorCode(error.code, error.status), message: error.message, code: error.code });
}

export const REGISTRY_CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
