import type { AlertsConfig } from '../alerts-options.js';
import { SampleWindow } from '../sample-window.js';
import type { AlertSignals } from '../signals.js';
import type { AlertCondition, AlertRule } from './alert-rule.js';

/**
 * Failed (rejected or dead-lettered) over received events in the window. Below `minEvents`
 * received, a handful of bad events would be a large share of nothing, so the rule stays quiet.
 */
export class ErrorRateRule implements AlertRule {
  readonly alertname = 'SightlineErrorRateHigh';
  private readonly received: SampleWindow;
  private readonly failed: SampleWindow;

  constructor(readonly config: AlertsConfig['errorRate']) {
    this.received = new SampleWindow(config.windowMs);
    this.failed = new SampleWindow(config.windowMs);
  }

  evaluate(signals: AlertSignals): AlertCondition[] {
    this.received.add(signals.now, signals.received);
    this.failed.add(signals.now, signals.failed);
    const received = this.received.increase();
    const failed = this.failed.increase();
    if (received < this.config.minEvents || received === 0) return [];
    const ratio = failed / received;
    if (ratio <= this.config.threshold) return [];
    const windowS = this.config.windowMs / 1000;
    return [
      {
        labels: {},
        annotations: {
          summary: `${(ratio * 100).toFixed(1)}% of events failed in the last ${windowS} s (threshold ${this.config.threshold * 100}%).`,
          description: `${failed} of ${received} events received in the last ${windowS} s were rejected at ingest or dead-lettered in processing.`,
        },
        value: ratio,
      },
    ];
  }
}
