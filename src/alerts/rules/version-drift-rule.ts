import type { AlertsConfig } from '../alerts-options.js';
import { KeyedCounterWindows } from '../sample-window.js';
import type { AlertSignals } from '../signals.js';
import type { AlertCondition, AlertRule } from './alert-rule.js';

/** Events of a schema version the processor does not accept arrived within the window, per subject and version. */
export class VersionDriftRule implements AlertRule {
  readonly alertname = 'SightlineSchemaVersionDrift';
  private readonly mismatches: KeyedCounterWindows;

  constructor(readonly config: AlertsConfig['versionDrift']) {
    this.mismatches = new KeyedCounterWindows(config.windowMs);
  }

  evaluate(signals: AlertSignals): AlertCondition[] {
    const increases = this.mismatches.add(signals.now, Object.entries(signals.versionMismatches));
    const conditions: AlertCondition[] = [];
    const windowS = this.config.windowMs / 1000;
    for (const [key, increase] of increases) {
      if (increase <= 0) continue;
      // Subjects may hold '@' themselves; the version is after the last one.
      const at = key.lastIndexOf('@');
      const subject = at < 0 ? key : key.slice(0, at);
      const version = at < 0 ? '' : key.slice(at + 1);
      conditions.push({
        labels: { subject, version },
        annotations: {
          summary: `${increase} events of ${subject} version ${version} in the last ${windowS} s, a version the processor does not accept.`,
          description: `Producers send ${subject} version ${version}, which is not in contracts.acceptedVersions; its events are counted as version mismatches.`,
        },
        value: increase,
      });
    }
    return conditions;
  }
}
