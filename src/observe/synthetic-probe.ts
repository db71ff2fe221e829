import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from 'pino';
import { type ProbeResult, runProbe } from '../client/probe.js';
import { ownServerDispatcher } from '../client/tls-trust.js';

/**
 * Runs the synthetic probe against the platform's own API every `intervalMs` and exposes the
 * result, so end-to-end freshness is a metric to alert on (deploy/observability/alerts.yml).
 */
export class SyntheticProbe {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly freshness: Gauge;
  private readonly success: Gauge;
  private readonly runs: Counter<'result'>;
  private readonly dispatcher: ReturnType<typeof ownServerDispatcher> | undefined;
  last: ProbeResult | undefined;

  constructor(
    private readonly options: {
      url: string;
      /** Its API key (ingest:write on its own subject, query:read on events). */
      key?: string;
      /** An HTTPS API's own certificate, which the probe trusts (besides the system's roots). */
      serverCert?: Buffer;
      intervalMs: number;
      timeoutMs: number;
      logger: Logger;
      /** Told of each probe event read back: its stored row has served its purpose. */
      onRead?: (id: string, sentAt: number) => Promise<void>;
    },
    registry: Registry,
  ) {
    this.dispatcher = options.serverCert ? ownServerDispatcher(options.serverCert) : undefined;
    const registers = [registry];
    this.freshness = new Gauge({ name: 'sightline_probe_freshness_seconds', help: 'Seconds the last successful probe event took from its POST until the query API returned it.', registers });
    this.success = new Gauge({ name: 'sightline_probe_success', help: '1 if the last probe event became queryable within its timeout, else 0.', registers });
    this.runs = new Counter({ name: 'sightline_probe_runs_total', help: 'Probe runs, by result.', labelNames: ['result'], registers });
    this.runs.inc({ result: 'ok' }, 0);
    this.runs.inc({ result: 'failed' }, 0);
  }

  start(): void {
    if (this.options.intervalMs <= 0) return;
    this.timer = setInterval(() => void this.runOnce(), this.options.intervalMs);
    this.timer.unref();
  }

  /** One probe now (at most one at a time); the result is also kept in `last`. */
  runOnce(): Promise<void> {
    this.running ??= (async () => {
      const result = await runProbe(this.options.url, { timeoutMs: this.options.timeoutMs, ...(this.options.key !== undefined && { key: this.options.key }), ...(this.dispatcher && { dispatcher: this.dispatcher }) });
      this.last = result;
      this.success.set(result.ok ? 1 : 0);
      this.runs.inc({ result: result.ok ? 'ok' : 'failed' });
      if (result.ok) {
        this.freshness.set(result.seconds);
        await this.options.onRead?.(result.id, result.sentAt).catch((err: unknown) => this.options.logger.warn({ err, probe: result.id }, 'could not delete the probe event read back'));
      } else this.options.logger.warn({ probe: result.id, error: result.error, seconds: result.seconds }, 'synthetic probe failed');
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
