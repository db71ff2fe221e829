import type { AlertRuleConfig } from './alerts-options.js';
import type { Alert } from '../core/ports/alert-sink.js';
import { fingerprint } from './fingerprint.js';
import type { AlertCondition } from './rules/alert-rule.js';

/** An alert that began firing or resolved in an evaluation: what a webhook hears about. */
export interface AlertTransition {
  alert: Alert;
  to: 'firing' | 'resolved';
}

/**
 * Every alert and its state, with Prometheus's semantics: a condition that becomes true makes a
 * pending alert (firing at once when `for` is 0); one that stays true for `for` fires; when it
 * stops holding, a pending alert goes away and a firing one resolves. A resolved alert stays
 * listed for `resolvedRetentionMs`, and a condition true again starts a new pending alert.
 */
export class AlertTable {
  private readonly alerts = new Map<string, Alert>();

  constructor(private readonly resolvedRetentionMs: number) {}

  /** Applies one rule's conditions at `now`; returns the alerts that began firing or resolved. */
  apply(rule: { alertname: string; config: AlertRuleConfig }, conditions: AlertCondition[], now: number): AlertTransition[] {
    const transitions: AlertTransition[] = [];
    const holding = new Set<string>();
    for (const condition of conditions) {
      const labels = { alertname: rule.alertname, severity: rule.config.severity, ...condition.labels };
      const id = fingerprint(labels);
      holding.add(id);
      let alert = this.alerts.get(id);
      if (!alert || alert.state === 'resolved') {
        alert = { fingerprint: id, labels, annotations: condition.annotations, state: 'pending', activeAt: now, startsAt: undefined, endsAt: undefined, value: condition.value };
        this.alerts.set(id, alert);
      }
      alert.annotations = condition.annotations;
      alert.value = condition.value;
      if (alert.state === 'pending' && now - alert.activeAt >= rule.config.forMs) {
        alert.state = 'firing';
        alert.startsAt = now;
        transitions.push({ alert, to: 'firing' });
      }
    }
    for (const [id, alert] of this.alerts) {
      if (alert.labels.alertname !== rule.alertname || holding.has(id)) continue;
      if (alert.state === 'pending') this.alerts.delete(id);
      else if (alert.state === 'firing') {
        alert.state = 'resolved';
        alert.endsAt = now;
        transitions.push({ alert, to: 'resolved' });
      }
    }
    return transitions;
  }

  /** Drops resolved alerts older than the retention. */
  prune(now: number): void {
    for (const [id, alert] of this.alerts) {
      if (alert.state === 'resolved' && now - alert.endsAt! >= this.resolvedRetentionMs) this.alerts.delete(id);
    }
  }

  /** Takes back the alerts of a snapshot (`all()`) after a restart: a firing alert goes on firing, not notified again. */
  restore(alerts: readonly Alert[]): void {
    for (const alert of alerts) this.alerts.set(alert.fingerprint, { ...alert });
  }

  all(): Alert[] {
    return [...this.alerts.values()];
  }
}
