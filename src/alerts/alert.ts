import type { Alert, AlertLabels, AlertState } from '../core/ports/alert-sink.js';

/** An alert as GET /v1/alerts shows it. */
export interface AlertView {
  labels: AlertLabels;
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
