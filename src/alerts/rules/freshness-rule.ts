import type { AlertsConfig } from '../alerts-options.js';
import type { AlertSignals } from '../signals.js';
import type { AlertCondition, AlertRule } from './alert-rule.js';

/**
 * A source is stale when its newest event in the hot store is older than its SLA. It is event
 * time against the clock, so a producer whose clock runs behind looks staler than it is; a
 * source that never sent an event has no newest event and is not judged.
 */
export class FreshnessRule implements AlertRule {
  readonly alertname = 'SightlineSourceStale';

  constructor(readonly config: AlertsConfig['freshness']) {}

  evaluate(signals: AlertSignals): AlertCondition[] {
    const conditions: AlertCondition[] = [];
    for (const { source, timestamp } of signals.newestEventTime) {
      const slaMs = this.config.sourcesMs[source] ?? this.config.slaMs;
      const ageMs = signals.now - timestamp;
      if (ageMs <= slaMs) continue;
      const age = Math.round(ageMs / 1000);
      conditions.push({
        labels: { source },
        annotations: {
          summary: `Source ${source} is stale: its newest event is ${age} s old (SLA ${slaMs / 1000} s).`,
          description: `The newest event of source ${source} in the hot store has event time ${new Date(timestamp).toISOString()}, ${age} s before now; its freshness SLA is ${slaMs / 1000} s.`,
        },
        value: ageMs / 1000,
      });
    }
    return conditions;
  }
}
