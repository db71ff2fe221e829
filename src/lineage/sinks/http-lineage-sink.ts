import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { SightlineError } from '../../core/errors.js';
import type { LineageSink, LineageSinkStats } from '../../core/ports/lineage-sink.js';
import type { ComponentMetrics } from '../../observe/metrics.js';
import { DeliveryQueue } from './delivery-queue.js';

export interface HttpLineageSinkOptions {
  /** The endpoint events are POSTed to, e.g. Marquez's http://localhost:5000/api/v1/lineage. */
  url: string;
  /** Sent as `Authorization: Bearer <apiKey>`, as OpenLineage's own HTTP transport does. */
  apiKey?: string;
  timeoutMs: number;
  /** Attempts after the first on a network error, a timeout, 429 or 5xx. */
  retries: number;
  maxQueue: number;
  logger: Logger;
  metrics?: ComponentMetrics;
  /** First backoff; it doubles per attempt, with jitter, up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
}

/** Posts each event as JSON, in order, with retries and backoff, from a bounded queue. */
export class HttpLineageSink implements LineageSink {
  readonly name = 'http';
  private readonly queue: DeliveryQueue<string>;
  private retries = 0;

  constructor(private readonly options: HttpLineageSinkOptions) {
    const { logger, metrics } = options;
    this.queue = new DeliveryQueue<string>({
      maxQueue: options.maxQueue,
      deliver: (body, signal) => this.post(body, signal),
      onFailed: (err) => {
        metrics?.error('SL_LINEAGE_DELIVERY_FAILED');
        logger.error({ err, url: options.url }, 'OpenLineage event not delivered; dropped');
      },
      onDropped: (reason) => {
        metrics?.discarded(reason);
        logger.warn({ reason, url: options.url }, 'OpenLineage event dropped before delivery');
      },
    });
  }

  emit(event: object): void {
    let body: string;
    try {
      body = JSON.stringify(event);
    } catch (err) {
      // A cycle or a BigInt in the event: emit never throws into the platform.
      this.options.metrics?.received(1);
      this.queue.giveUp(new SightlineError('SL_LINEAGE_DELIVERY_FAILED', `the OpenLineage event cannot be serialised: ${(err as Error).message}`, { cause: err }));
      return;
    }
    this.options.metrics?.received(1, body.length);
    this.queue.push(body);
  }

  flush(): Promise<void> {
    return this.queue.flush();
  }

  close(timeoutMs = this.options.timeoutMs): Promise<void> {
    return this.queue.close(timeoutMs);
  }

  stats(): LineageSinkStats {
    return { ...this.queue.counts, retries: this.retries, queued: this.queue.size };
  }

  private async post(body: string, closing: AbortSignal): Promise<void> {
    const { url, apiKey, timeoutMs, retries } = this.options;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (apiKey) headers.authorization = `Bearer ${apiKey}`;
    let lastError = '';
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) {
        const base = Math.min(this.options.maxBackoffMs ?? 30_000, (this.options.backoffMs ?? 500) * 2 ** (attempt - 1));
        // A closing sink stops waiting: what is left is dropped rather than holding up shutdown.
        const waited = await sleep(base / 2 + Math.random() * (base / 2), true, { signal: closing }).catch(() => false);
        if (!waited) break;
        // Counted once it is made: a backoff cut short by close is no retry.
        this.retries++;
      }
      try {
        const response = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), closing]) });
        const text = await response.text().catch(() => '');
        if (response.ok) {
          this.options.metrics?.sent(1, body.length);
          return;
        }
        lastError = `HTTP ${response.status}${text ? `: ${text.slice(0, 200)}` : ''}`;
        // Other 4xx mean the endpoint refuses this event as it is: sending it again cannot help.
        if (response.status !== 429 && response.status < 500) break;
      } catch (err) {
        lastError = (err as Error).message;
      }
      if (closing.aborted) break;
    }
    throw new SightlineError('SL_LINEAGE_DELIVERY_FAILED', `POST ${url} failed: ${lastError}`);
  }
}
