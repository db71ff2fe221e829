import { randomUUID } from 'node:crypto';

import { PROBE_SOURCE, PROBE_TYPE } from '../core/probe-event.js';
import type { Dispatcher } from 'undici';
import { authorization } from './api-url.js';

export type ProbeResult = { ok: true; id: string; seconds: number; sentAt: number } | { ok: false; id: string; seconds: number; error: string };

/**
 * The synthetic probe: sends one canary event through the public API and times until the query
 * API returns it, i.e. accepted, made durable, processed and committed: end-to-end freshness.
 */
export async function runProbe(url: string, options: { timeoutMs: number; pollMs?: number; key?: string; dispatcher?: Dispatcher }): Promise<ProbeResult> {
  const auth = authorization(options.key);
  // Node's fetch takes an undici dispatcher; its bundled types and the undici package's differ.
  const via = (options.dispatcher ? { dispatcher: options.dispatcher } : {}) as RequestInit;
  const id = `probe-${randomUUID()}`;
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  const sentAt = Date.now();
  try {
    const response = await fetch(new URL('/v1/events', url), {
      method: 'POST',
      ...via,
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify([{ id, source: PROBE_SOURCE, type: PROBE_TYPE, timestamp: sentAt, payload: { sent_at: sentAt } }]),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    const body = (await response.json()) as { accepted?: number; rejected?: Array<{ code: string; message: string }>; message?: string };
    if (response.status !== 200 || body.accepted !== 1) {
      const why = body.rejected?.[0] ? `${body.rejected[0].code}: ${body.rejected[0].message}` : `HTTP ${response.status} ${body.message ?? ''}`;
      return { ok: false, id, seconds: seconds(), error: `the probe event was not accepted (${why})` };
    }
    const deadline = started + options.timeoutMs;
    while (performance.now() < deadline) {
      const found = await fetch(new URL(`/v1/events/${encodeURIComponent(id)}`, url), { ...via, headers: auth, signal: AbortSignal.timeout(options.timeoutMs) });
      await found.arrayBuffer();
      if (found.status === 200) return { ok: true, id, seconds: seconds(), sentAt };
      await new Promise((r) => setTimeout(r, options.pollMs ?? 20));
    }
    return { ok: false, id, seconds: seconds(), error: `not queryable after ${options.timeoutMs} ms` };
  } catch (err) {
    return { ok: false, id, seconds: seconds(), error: (err as Error).message };
  }
}
