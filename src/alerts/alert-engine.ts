import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { AlertsConfig } from './alerts-options.js';
import type { Alert, AlertSink, AlertState } from '../core/ports/alert-sink.js';
import { type AlertView, alertView } from './alert.js';
import { AlertTable, type AlertTransition } from './alert-table.js';
import type { AlertRule } from './rules/alert-rule.js';
import { BacklogRule } from './rules/backlog-rule.js';
import { ErrorRateRule } from './rules/error-rate-rule.js';
import { FreshnessRule } from './rules/freshness-rule.js';
import { VersionDriftRule } from './rules/version-drift-rule.js';
import { VolumeRule } from './rules/volume-rule.js';
import type { AlertSignalSource, AlertSignals } from './signals.js';
import { notifierMetrics, WebhookNotifier } from './webhook-notifier.js';

export interface AlertEngineOptions {
  config: AlertsConfig;
  /** Read at every timed evaluation (and by evaluate() without arguments). */
  signals: AlertSignalSource;
  logger: Logger;
  /** Where sightline_alerts and the notification counters are registered; none without it. */
  registry?: Registry;
  /**
   * The server's URL, for generatorURL and externalURL when config.externalUrl is absent; a
   * function when the engine must exist before the server listens (the routes need it).
   */
  externalUrl: string | (() => string);
  /** Sinks besides the configured webhooks (an in-memory one in tests, say). */
  sinks?: AlertSink[];
}

export interface KeptAlerts {
  alerts: Alert[];
  lastNotified: Record<string, number>;
  rules: Record<string, unknown>;
}

export interface AlertFilter {
  state?: AlertState;
  alertname?: string;
}

const STATE_ORDER: Record<AlertState, number> = { firing: 0, pending: 1, resolved: 2 };

function enabledRules(config: AlertsConfig): AlertRule[] {
  const rules: AlertRule[] = [];
  if (config.volume.enabled) rules.push(new VolumeRule(config.volume));
  if (config.freshness.enabled) rules.push(new FreshnessRule(config.freshness));
  if (config.errorRate.enabled) rules.push(new ErrorRateRule(config.errorRate));
  if (config.backlog.enabled) rules.push(new BacklogRule(config.backlog));
  if (config.versionDrift.enabled) rules.push(new VersionDriftRule(config.versionDrift));
  return rules;
}

/**
 * Evaluates the alert rules over the platform's signals every `evaluationInterval`, keeps each
 * alert's state, and sends what began firing or resolved to the webhooks, grouped by alertname
 * as Alertmanager would. Evaluations run one at a time (rules keep state between them); a failed
 * reading is logged and counted, and the next interval tries again.
 */
export class AlertEngine {
  private readonly rules: AlertRule[];
  private readonly table: AlertTable;
  private readonly sinks: AlertSink[];
  private readonly lastNotified = new Map<string, number>();
  private readonly gauge: Gauge<'alertname' | 'state'> | undefined;
  private readonly evaluations: Counter<'result'> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private queue: Promise<void> = Promise.resolve();
  /** A timed evaluation is still running (a slow reading): the next tick skips instead of queueing behind it. */
  private ticking = false;

  constructor(private readonly options: AlertEngineOptions) {
    const { config, registry, logger } = options;
    this.rules = enabledRules(config);
    this.table = new AlertTable(config.resolvedRetentionMs);
    const serverUrl = options.externalUrl;
    const externalUrl = config.externalUrl !== undefined ? () => config.externalUrl! : () => (typeof serverUrl === 'function' ? serverUrl() : serverUrl).replace(/\/+$/, '');
    const webhooks = new WebhookNotifier(config.webhooks, externalUrl, logger, notifierMetrics(registry));
    this.sinks = [webhooks, ...(options.sinks ?? [])];
    if (registry) {
      const registers = [registry];
      this.gauge = new Gauge({ name: 'sightline_alerts', help: 'Alerts of the alert engine by alertname and state (pending, firing, resolved and still listed).', labelNames: ['alertname', 'state'], registers });
      this.evaluations = new Counter({ name: 'sightline_alert_evaluations_total', help: 'Alert engine evaluations by result (ok; failed: the signals could not be read, or evaluating them threw).', labelNames: ['result'], registers });
      this.evaluations.inc({ result: 'ok' }, 0);
      this.evaluations.inc({ result: 'failed' }, 0);
    }
  }

  start(): void {
    if (!this.options.config.enabled || this.timer) return;
    this.timer = setInterval(() => {
      if (this.ticking) return;
      this.ticking = true;
      void this.evaluate().finally(() => (this.ticking = false));
    }, this.options.config.evaluationIntervalMs);
    this.timer.unref();
  }

  /** Stops the timer, waits for a running evaluation, and closes the sinks (undelivered webhook messages are dropped). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.queue;
    await Promise.all(this.sinks.map((sink) => sink.close()));
  }

  /**
   * One evaluation, after any running one: over `signals` when given (tests drive the clock
   * through signals.now), else over a fresh reading. Never rejects.
   */
  evaluate(signals?: AlertSignals): Promise<void> {
    this.queue = this.queue.then(async () => {
      let reading: AlertSignals;
      try {
        reading = signals ?? (await this.options.signals());
      } catch (err) {
        this.evaluations?.inc({ result: 'failed' });
        this.options.logger.warn({ err }, 'alert signals could not be read; skipping this evaluation');
        return;
      }
      try {
        this.evaluateReading(reading);
        this.evaluations?.inc({ result: 'ok' });
      } catch (err) {
        // A rejection here would break the chain of evaluations for good.
        this.evaluations?.inc({ result: 'failed' });
        this.options.logger.error({ err }, 'alert evaluation failed');
      }
    });
    return this.queue;
  }

  /** Alert states, when each group was last notified, and what the rules learned: kept across restarts. */
  snapshot(): KeptAlerts {
    const rules: Record<string, unknown> = {};
    for (const rule of this.rules) if (rule.snapshot) rules[rule.alertname] = rule.snapshot();
    return { alerts: this.table.all(), lastNotified: Object.fromEntries(this.lastNotified), rules };
  }

  restore(kept: Partial<KeptAlerts>): void {
    if (Array.isArray(kept.alerts)) this.table.restore(kept.alerts);
    for (const [name, at] of Object.entries(kept.lastNotified ?? {})) this.lastNotified.set(name, at);
    for (const rule of this.rules) if (kept.rules?.[rule.alertname] !== undefined) rule.restore?.(kept.rules[rule.alertname]);
    this.updateGauge();
  }

  /** Alerts for GET /v1/alerts: firing first, then pending, then resolved; newest first within a state. */
  list(filter: AlertFilter = {}): AlertView[] {
    return this.table
      .all()
      .filter((a) => (filter.state === undefined || a.state === filter.state) && (filter.alertname === undefined || a.labels.alertname === filter.alertname))
      .sort((a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state] || b.activeAt - a.activeAt || a.fingerprint.localeCompare(b.fingerprint))
      .map(alertView);
  }

  /** Resolves when everything sent to the sinks so far was delivered or given up (for tests). */
  async deliveries(): Promise<void> {
    await Promise.all(this.sinks.map((sink) => sink.flush()));
  }

  private evaluateReading(signals: AlertSignals): void {
    const { now } = signals;
    const transitions: AlertTransition[] = [];
    for (const rule of this.rules) {
      let conditions;
      try {
        conditions = rule.evaluate(signals);
      } catch (err) {
        // A rule that throws on odd input must not take the others down with it.
        this.options.logger.error({ err, alertname: rule.alertname }, 'alert rule failed');
        continue;
      }
      transitions.push(...this.table.apply(rule, conditions, now));
    }
    this.notify(transitions, now);
    this.table.prune(now);
    this.updateGauge();
  }

  /**
   * Each alertname with a transition (or a firing group due for a repeat) is sent as one group:
   * all its firing alerts and those that just resolved, as Alertmanager sends a group.
   */
  private notify(transitions: AlertTransition[], now: number): void {
    const changed = new Set(transitions.map((t) => t.alert.labels.alertname!));
    const firing = new Map<string, Alert[]>();
    for (const alert of this.table.all()) {
      if (alert.state !== 'firing') continue;
      const name = alert.labels.alertname!;
      firing.set(name, [...(firing.get(name) ?? []), alert]);
    }
    const repeatMs = this.options.config.repeatIntervalMs;
    for (const name of firing.keys()) {
      const last = this.lastNotified.get(name);
      if (repeatMs > 0 && last !== undefined && now - last >= repeatMs) changed.add(name);
    }
    for (const name of changed) {
      const resolved = transitions.filter((t) => t.to === 'resolved' && t.alert.labels.alertname === name).map((t) => t.alert);
      const alerts = [...(firing.get(name) ?? []), ...resolved].map((a) => ({ ...a, labels: { ...a.labels }, annotations: { ...a.annotations } }));
      for (const sink of this.sinks) {
        try {
          sink.send({ groupLabels: { alertname: name }, alerts });
        } catch (err) {
          this.options.logger.error({ err, alertname: name }, 'alert sink failed');
        }
      }
      if (firing.has(name)) this.lastNotified.set(name, now);
      else this.lastNotified.delete(name);
    }
  }

  private updateGauge(): void {
    if (!this.gauge) return;
    this.gauge.reset();
    const counts = new Map<string, number>();
    for (const alert of this.table.all()) {
      const key = `${alert.labels.alertname}\u0000${alert.state}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    for (const [key, count] of counts) {
      const [alertname, state] = key.split('\u0000') as [string, AlertState];
      this.gauge.set({ alertname, state }, count);
    }
  }
}
