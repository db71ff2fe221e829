import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { WebhookConfig } from './alerts-options.js';
import type { AlertGroup, AlertSink } from '../core/ports/alert-sink.js';
import { type WebhookMessage, webhookMessage } from './webhook-payload.js';

/** Statuses worth another attempt: the receiver is overloaded, timed out, or failing on its side. */
function retryable(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

export interface NotifierMetrics {
  /** Messages by receiver and result: sent, failed (attempts used up or refused), dropped (queue full or stopped). */
  notifications: Counter<'receiver' | 'result'>;
  retries: Counter<'receiver'>;
}

export function notifierMetrics(registry: Registry | undefined): NotifierMetrics {
  const registers = registry ? [registry] : [];
  return {
    notifications: new Counter({ name: 'sightline_alert_notifications_total', help: 'Webhook messages by receiver and result (sent, failed, dropped).', labelNames: ['receiver', 'result'], registers }),
    retries: new Counter({ name: 'sightline_alert_notification_retries_total', help: 'Webhook attempts retried after a failure, by receiver.', labelNames: ['receiver'], registers }),
  };
}

/**
 * One webhook's queue, delivered in order by one loop: each message is tried up to
 * `maxAttempts` times with exponential backoff (jittered, capped at `maxBackoffMs`), each attempt
 * bounded by `timeoutMs`. A full queue drops its oldest message, so a dead receiver costs bounded
 * memory and evaluation never waits for delivery.
 */
class WebhookQueue {
  private readonly queue: WebhookMessage[] = [];
  private draining: Promise<void> | undefined;

  constructor(
    private readonly webhook: WebhookConfig,
    private readonly stopping: AbortSignal,
    private readonly logger: Logger,
    private readonly metrics: NotifierMetrics,
  ) {}

  push(message: WebhookMessage): void {
    if (this.stopping.aborted) return this.drop(1, 'stopped');
    this.queue.push(message);
    if (this.queue.length > this.webhook.maxQueue) {
      this.queue.shift();
      this.drop(1, 'queue full');
    }
    this.kick();
  }

  private kick(): void {
    if (this.draining) return;
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      // A message pushed after the loop saw an empty queue, but before this ran, still goes out.
      if (this.queue.length > 0) this.kick();
    });
  }

  /** Resolves when everything queued so far was delivered or given up. */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private async drain(): Promise<void> {
    for (let message = this.queue.shift(); message; message = this.queue.shift()) {
      if (this.stopping.aborted) {
        this.drop(this.queue.length + 1, 'stopped');
        this.queue.length = 0;
        return;
      }
      await this.deliver(message);
    }
  }

  private async deliver(message: WebhookMessage): Promise<void> {
    const { url, name, headers, maxAttempts, timeoutMs } = this.webhook;
    const body = JSON.stringify(message);
    let lastError = '';
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      let retry = true;
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body,
          signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), this.stopping]),
        });
        // Read the body so the connection goes back to the pool.
        const text = await response.text().catch(() => '');
        if (response.ok) {
          this.metrics.notifications.inc({ receiver: name, result: 'sent' });
          return;
        }
        lastError = `HTTP ${response.status}${text ? `: ${text.slice(0, 200)}` : ''}`;
        retry = retryable(response.status);
      } catch (err) {
        lastError = (err as Error).message;
      }
      if (this.stopping.aborted) return this.drop(1, 'stopped');
      if (!retry || attempt === maxAttempts) break;
      this.metrics.retries.inc({ receiver: name });
      this.logger.debug({ receiver: name, attempt, error: lastError }, 'webhook attempt failed; retrying');
      try {
        await sleep(this.backoff(attempt), undefined, { signal: this.stopping });
      } catch {
        return this.drop(1, 'stopped');
      }
    }
    this.metrics.notifications.inc({ receiver: name, result: 'failed' });
    this.logger.warn({ receiver: name, groupKey: message.groupKey, status: message.status, error: lastError }, 'webhook delivery failed');
  }

  private backoff(attempt: number): number {
    const ceiling = Math.min(this.webhook.maxBackoffMs, this.webhook.initialBackoffMs * 2 ** (attempt - 1));
    // Half fixed, half random: receivers coming back are not hit by every sender at once.
    return ceiling / 2 + (Math.random() * ceiling) / 2;
  }

  private drop(count: number, reason: string): void {
    this.metrics.notifications.inc({ receiver: this.webhook.name, result: 'dropped' }, count);
    this.logger.warn({ receiver: this.webhook.name, dropped: count, reason }, 'webhook messages dropped');
  }
}

/** The webhook AlertSink: each group to every configured webhook, each webhook with its own queue. */
export class WebhookNotifier implements AlertSink {
  private readonly queues: Array<{ receiver: string; queue: WebhookQueue }>;
  private readonly stopping = new AbortController();

  constructor(
    webhooks: WebhookConfig[],
    private readonly externalUrl: () => string,
    logger: Logger,
    metrics: NotifierMetrics,
  ) {
    for (const webhook of webhooks) {
      for (const result of ['sent', 'failed', 'dropped']) metrics.notifications.inc({ receiver: webhook.name, result }, 0);
    }
    this.queues = webhooks.map((webhook) => ({ receiver: webhook.name, queue: new WebhookQueue(webhook, this.stopping.signal, logger, metrics) }));
  }

  send(group: AlertGroup): void {
    for (const { receiver, queue } of this.queues) queue.push(webhookMessage(receiver, group, this.externalUrl()));
  }

  async flush(): Promise<void> {
    await Promise.all(this.queues.map(({ queue }) => queue.idle()));
  }

  /** Abandons what is queued (counted as dropped): shutting down should not wait out a dead receiver's backoff. */
  async close(): Promise<void> {
    this.stopping.abort();
    await this.flush();
  }
}
