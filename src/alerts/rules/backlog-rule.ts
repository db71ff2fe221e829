import type { AlertsConfig } from '../alerts-options.js';
import { SampleWindow } from '../sample-window.js';
import type { AlertSignals } from '../signals.js';
import type { AlertCondition, AlertRule } from './alert-rule.js';

/**
 * The backlog grew by more than `growthEvents` over the window: processing falls behind ingest.
 * Growth, not level: a large backlog that is draining is recovering, and the level already has
 * its guard (ingest answers 429 at ingest.maxBacklogEvents).
 */
export class BacklogRule implements AlertRule {
  readonly alertname = 'SightlineBacklogGrowth';
  private readonly backlog: SampleWindow;

  constructor(readonly config: AlertsConfig['backlog']) {
    this.backlog = new SampleWindow(config.windowMs);
  }

  evaluate(signals: AlertSignals): AlertCondition[] {
    this.backlog.add(signals.now, signals.backlog);
    const growth = this.backlog.change();
    if (growth <= this.config.growthEvents) return [];
    const windowS = this.config.windowMs / 1000;
    return [
      {
        labels: {},
        annotations: {
          summary: `The backlog grew by ${growth} events in the last ${windowS} s to ${signals.backlog}.`,
          description: `Events waiting for processing grew by ${growth} (more than ${this.config.growthEvents}) in the last ${windowS} s; processing is falling behind ingest.`,
        },
        value: growth,
      },
    ];
  }
}
