import { GenericError } from '@platformatic/kafka';
import { type ErrorCode, SightlineError, isSightlineError } from '../../core/errors.js';

/** Broker error ids (ProtocolError.apiId) anywhere in a client error, however deeply nested. */
export function brokerErrorIds(error: unknown): Set<string> {
  const ids = new Set<string>();
  const visit = (e: unknown, depth: number): void => {
    if (!e || typeof e !== 'object' || depth > 8) return;
    const err = e as { apiId?: unknown; errors?: unknown[]; cause?: unknown };
    if (typeof err.apiId === 'string') ids.add(err.apiId);
    for (const inner of err.errors ?? []) visit(inner, depth + 1);
    visit(err.cause, depth + 1);
  };
  visit(error, 0);
  return ids;
}

/** A one-line account of a client error and its nested causes, for messages and logs. */
export function describeKafkaError(error: unknown): string {
  const parts = new Set<string>();
  const visit = (e: unknown, depth: number): void => {
    if (!e || typeof e !== 'object' || depth > 8) {
      if (e !== undefined && depth === 0) parts.add(String(e));
      return;
    }
    const err = e as { message?: string; apiId?: string; errors?: unknown[]; cause?: unknown };
    const nested = [...(err.errors ?? []), ...(err.cause ? [err.cause] : [])];
    // Wrapper messages ("Producing messages failed.") say little; the leaves say what happened.
    if (nested.length === 0 || depth === 0) parts.add(err.apiId ?? err.message ?? String(e));
    for (const inner of nested) visit(inner, depth + 1);
  };
  visit(error, 0);
  return [...parts].join('; ');
}

/** The broker refused this principal: a missing ACL or a failed login, the same however often it is sent. */
const ACCESS_DENIED = new Set([
  'TOPIC_AUTHORIZATION_FAILED',
  'GROUP_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  'SASL_AUTHENTICATION_FAILED',
  'UNSUPPORTED_SASL_MECHANISM',
  'ILLEGAL_SASL_STATE',
]);

// A record the broker refuses for its size or format fails the same way however often it is sent.
const NOT_RETRYABLE = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD', 'CORRUPT_MESSAGE', 'INVALID_TOPIC_EXCEPTION', ...ACCESS_DENIED]);

/** Whether the cluster refused this node's principal (an ACL or its login). */
export function isAccessDenied(error: unknown): boolean {
  for (const id of brokerErrorIds(error)) if (ACCESS_DENIED.has(id)) return true;
  return false;
}

/** Whether sending the same records again can succeed. */
export function isRetryableKafkaError(error: unknown): boolean {
  for (const id of brokerErrorIds(error)) if (NOT_RETRYABLE.has(id)) return false;
  return true;
}

/** Wraps a client failure in the platform's error type; a SightlineError passes through. */
export function wrapKafkaError(error: unknown, code: ErrorCode, what: string, retryable?: boolean): SightlineError {
  if (isSightlineError(error)) return error;
  const detail = error instanceof Error && GenericError.isGenericError(error) ? describeKafkaError(error) : String((error as Error)?.message ?? error);
  // Whatever the operation, a refused principal is an operator's fix, never a retry.
  if (isAccessDenied(error)) return new SightlineError('SL_LOG_ACCESS_DENIED', `${what}: ${detail} (the ACLs each role needs: \`sightline kafka acls\`)`, { cause: error });
  return new SightlineError(code, `${what}: ${detail}`, { cause: error, ...(retryable === undefined ? {} : { retryable }) });
}
