import type { Labels } from './rules/alert-rule.js';

export const ALERT_STATES = ['pending', 'firing', 'resolved'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

export interface Alert {
  fingerprint: string;
  /** alertname, severity and the rule's own (source, type, subject, ...). */
  labels: Labels;
  annotations: { summary: string; description: string };
  state: AlertState;
  /** When the condition became true. */
  activeAt: number;
  /** When it began firing. */
  startsAt: number | undefined;
  /** When it resolved. */
  endsAt: number | undefined;
  /** The last measured value while the condition held. */
  value: number;
}

/** An alert as GET /v1/alerts shows it. */
export interface AlertView {
  labels: Labels;
  annotations: { summary: string; description: string };
  state: AlertState;
  activeAt: string;
  startsAt: string | null;
  endsAt: string | null;
  value: number;
  fingerprint: string;
}

export function alertView(alert: Alert): AlertView {
  const iso = (time: number | undefined) => (time === undefined ? null : new Date(time).toISOString());
  return {
    labels: { ...alert.labels },
    annotations: { ...alert.annotations },
    state: alert.state,
    activeAt: new Date(alert.activeAt).toISOString(),
    startsAt: iso(alert.startsAt),
    endsAt: iso(alert.endsAt),
    value: alert.value,
    fingerprint: alert.fingerprint,
  };
}
