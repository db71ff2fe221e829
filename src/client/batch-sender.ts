import { gzipSync } from 'node:zlib';
import { authorization } from './api-url.js';
import { backoffDelayMs, retryAfterMs } from './retry.js';

export interface SendOutcome {
  accepted: number;
  rejected: Array<{ index: number; code: string; message: string }>;
  /** Set when the whole batch was refused for good, or retries ran out. */
  failure?: { status?: number; code: string; message: string };
  attempts: number;
}

export interface BatchSenderOptions {
  url: string;
  /** The API key; SIGHTLINE_KEY when not given. */
  key?: string;
  maxRetries: number;
  gzip: boolean;
  onRetry?: (info: { attempt: number; delayMs: number; reason: string }) => void;
  sleep?: (ms: number) => Promise<void>;
}

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);

/**
 * Posts one NDJSON batch to /v1/events. Retries connection errors, 429 and 5xx with backoff and
 * jitter, waiting at least what Retry-After asks; a 4xx other than 429 is final. Resending is
 * safe: events keep their ids, and the processor drops repeats.
 */
export async function sendBatch(lines: readonly string[], options: BatchSenderOptions): Promise<SendOutcome> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const raw = Buffer.from(lines.join('\n') + '\n');
  const body = options.gzip ? gzipSync(raw) : raw;
  const headers: Record<string, string> = { 'content-type': 'application/x-ndjson', ...authorization(options.key) };
  if (options.gzip) headers['content-encoding'] = 'gzip';
  const endpoint = new URL('/v1/events', options.url).toString();
  let lastReason = '';
  /** The last answer's status; undefined while the last attempt got none (a connection error). */
  let lastStatus: number | undefined;
  for (let attempt = 0; attempt <= options.maxRetries; attempt++) {
    let waitAtLeast = 0;
    try {
      const response = await fetch(endpoint, { method: 'POST', headers, body });
      const text = await response.text();
      if (response.ok) {
        const result = JSON.parse(text) as { accepted: number; rejected: SendOutcome['rejected'] };
        return { accepted: result.accepted, rejected: result.rejected, attempts: attempt + 1 };
      }
      let code = `HTTP_${response.status}`;
      let message = text.slice(0, 500);
      try {
        const parsed = JSON.parse(text) as { code?: string; message?: string };
        code = parsed.code ?? code;
        message = parsed.message ?? message;
      } catch {
        // not a JSON error body: keep the raw text
      }
      if (!RETRYABLE_STATUS.has(response.status)) {
        return { accepted: 0, rejected: [], failure: { status: response.status, code, message }, attempts: attempt + 1 };
      }
      lastReason = `${response.status} ${code}: ${message}`;
      lastStatus = response.status;
      waitAtLeast = retryAfterMs(response.headers.get('retry-after')) ?? 0;
    } catch (err) {
      lastReason = `connection: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`;
      lastStatus = undefined;
    }
    if (attempt === options.maxRetries) break;
    const delayMs = Math.max(waitAtLeast, backoffDelayMs(attempt));
    options.onRetry?.({ attempt: attempt + 1, delayMs, reason: lastReason });
    await sleep(delayMs);
  }
  const failure = { ...(lastStatus !== undefined && { status: lastStatus }), code: 'SL_CLIENT_REQUEST_FAILED', message: `gave up after ${options.maxRetries + 1} attempts: ${lastReason}` };
  return { accepted: 0, rejected: [], failure, attempts: options.maxRetries + 1 };
}
