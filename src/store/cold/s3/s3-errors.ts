import { SightlineError } from '../../../core/errors.js';

interface SdkError {
  name?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

/** The HTTP status of an S3 answer that failed, when there was one. */
export function statusOf(err: unknown): number | undefined {
  return (err as SdkError | null)?.$metadata?.httpStatusCode;
}

const REFUSED = new Set(['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken', 'AllAccessDisabled']);

/**
 * The platform's error for a failed object store call. A refusal of the credentials or of the
 * policy is not retried (nothing changes until an operator does); anything else reached the end of
 * the SDK's retries and is worth trying again later.
 */
export function objectStoreError(err: unknown, doing: string): SightlineError {
  if (err instanceof SightlineError) return err;
  const e = (err ?? {}) as SdkError;
  const name = e.name ?? e.Code ?? 'Error';
  const status = statusOf(err);
  const said = `${name}${status ? ` (HTTP ${status})` : ''}: ${e.message ?? String(err)}`;
  if (REFUSED.has(name) || status === 403) {
    return new SightlineError('SL_COLD_ACCESS_DENIED', `the object store refused ${doing}: ${said}`, { cause: err });
  }
  if (name === 'NoSuchBucket') {
    return new SightlineError('SL_CONFIG_INVALID', `the object store has no such bucket (${doing}): ${said}`, { cause: err });
  }
  return new SightlineError('SL_COLD_UNAVAILABLE', `the object store failed ${doing}: ${said}`, { cause: err });
}
