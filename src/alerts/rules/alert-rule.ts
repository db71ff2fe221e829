import type { AlertRuleConfig } from '../alerts-options.js';
import type { AlertLabels } from '../../core/ports/alert-sink.js';
import type { AlertSignals } from '../signals.js';

/** One instance of a rule whose condition holds now (a source, a source/type, a subject version). */
export interface AlertCondition {
  /** Besides alertname and severity, which the engine adds from the rule. */
  labels: AlertLabels;
  annotations: { summary: string; description: string };
  /** The measured value that broke the threshold (events, seconds, a ratio). */
  value: number;
}

/**
 * A rule reads every evaluation's signals (it may keep state between them, as the volume
 * baseline does) and returns the instances whose condition holds. The engine owns pending,
 * firing and resolved; a rule only says what is true now.
 */
export interface AlertRule {
  readonly alertname: string;
  readonly config: AlertRuleConfig;
  evaluate(signals: AlertSignals): AlertCondition[];
  /** What the rule learned (a baseline), for a restart to take back; rules over short windows keep nothing. */
  snapshot?(): unknown;
  restore?(kept: unknown): void;
}
