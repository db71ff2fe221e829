import { pino } from 'pino';
import { AlertEngine } from '../../src/alerts/alert-engine.js';
import type { AlertSignals } from '../../src/alerts/signals.js';
import type { AlertsConfig } from '../../src/alerts/alerts-options.js';
import { buildConfig } from '../../src/config/config.js';
import type { AlertGroup, AlertSink } from '../../src/core/ports/alert-sink.js';

/** The alerts section as the config file would give it (validated, defaulted, durations resolved). */
export function alertsConfig(section: Record<string, unknown> = {}): AlertsConfig {
  return buildConfig({ alerts: section }).alerts;
}

/** A config with only the named rule on, so a test sees that rule's alerts alone. */
export function onlyRule(rule: 'volume' | 'freshness' | 'errorRate' | 'backlog' | 'versionDrift', settings: Record<string, unknown> = {}, rest: Record<string, unknown> = {}): AlertsConfig {
  // One object each: the schema's defaults are filled into them.
  return alertsConfig({
    volume: { enabled: false },
    freshness: { enabled: false },
    errorRate: { enabled: false },
    backlog: { enabled: false },
    versionDrift: { enabled: false },
    ...rest,
    [rule]: { enabled: true, ...settings },
  });
}

/** Quiet signals at `now`: nothing received, nothing waiting. */
export function signalsAt(now: number, over: Partial<AlertSignals> = {}): AlertSignals {
  return { now, volume: [], newestEventTime: [], received: 0, failed: 0, backlog: 0, versionMismatches: {}, ...over };
}

export function testEngine(config: AlertsConfig, options: { externalUrl?: string; sinks?: AlertSink[] } = {}): AlertEngine {
  return new AlertEngine({
    config,
    signals: () => {
      throw new Error('this test passes signals to evaluate()');
    },
    logger: pino({ level: 'silent' }),
    externalUrl: options.externalUrl ?? 'http://127.0.0.1:8080',
    sinks: options.sinks ?? [],
  });
}

/** An AlertSink that keeps what it is sent, as OpenTelemetry's in-memory exporter does for spans. */
export class MemoryAlertSink implements AlertSink {
  readonly groups: AlertGroup[] = [];
  send(group: AlertGroup): void {
    this.groups.push(group);
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}
