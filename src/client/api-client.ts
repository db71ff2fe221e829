import { ERROR_CODES, type ErrorCode, SightlineError } from '../core/errors.js';
import { authorization, unreachable } from './api-url.js';

/**
 * One request to a running Sightline's API, for the CLI. A refusal keeps the server's code and
 * message (the body's `code`, which the registry API sends beside Confluent's `error_code`), so
 * the CLI prints what the server said; an unreachable server is SL_CLIENT_REQUEST_FAILED.
 */
export async function apiRequest<T = unknown>(baseUrl: string, method: string, path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(new URL(path, baseUrl), {
      method,
      headers: { ...authorization(), ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
  } catch (err) {
    throw unreachable(baseUrl, err);
  }
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // a raw text body (the schema endpoints) stays text
  }
  if (response.ok) return parsed as T;
  const { code, message } = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as { code?: string; message?: string };
  const known = code !== undefined && code in ERROR_CODES ? (code as ErrorCode) : 'SL_CLIENT_REQUEST_FAILED';
  throw new SightlineError(known, message ?? `${method} ${path} answered HTTP ${response.status}: ${text.slice(0, 200)}`);
}
