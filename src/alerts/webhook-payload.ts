import type { AlertGroup, AlertLabels as Labels } from '../core/ports/alert-sink.js';

/** Go's zero time, which Alertmanager sends as endsAt of an alert that has not ended. */
const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

/** One alert of a webhook message (Alertmanager template.Alert). */
export interface WebhookAlert {
  status: 'firing' | 'resolved';
  labels: Labels;
  annotations: Labels;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

/**
 * Alertmanager's webhook payload, version 4: notify/webhook.Message, which embeds template.Data
 * (receiver, status, alerts, groupLabels, commonLabels, commonAnnotations, externalURL) and adds
 * version, groupKey and truncatedAlerts. test/tools/webhook-receiver decodes it with
 * Alertmanager's own types.
 */
export interface WebhookMessage {
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
  receiver: string;
  status: 'firing' | 'resolved';
  alerts: WebhookAlert[];
  groupLabels: Labels;
  commonLabels: Labels;
  commonAnnotations: Labels;
  externalURL: string;
}

export function webhookMessage(receiver: string, group: AlertGroup, externalUrl: string): WebhookMessage {
  const alerts = group.alerts.map((alert): WebhookAlert => {
    const status = alert.state === 'resolved' ? 'resolved' : 'firing';
    return {
      status,
      labels: { ...alert.labels },
      annotations: { ...alert.annotations },
      startsAt: new Date(alert.startsAt ?? alert.activeAt).toISOString(),
      endsAt: status === 'resolved' && alert.endsAt !== undefined ? new Date(alert.endsAt).toISOString() : GO_ZERO_TIME,
      generatorURL: `${externalUrl}/v1/alerts?alertname=${encodeURIComponent(alert.labels.alertname ?? '')}`,
      fingerprint: alert.fingerprint,
    };
  });
  return {
    version: '4',
    // Alertmanager's form: the route's matchers, then the group labels.
    groupKey: `{}:{${Object.entries(group.groupLabels)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([name, value]) => `${name}=${JSON.stringify(value)}`)
      .join(', ')}}`,
    truncatedAlerts: 0,
    receiver,
    status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    alerts,
    groupLabels: { ...group.groupLabels },
    commonLabels: common(alerts.map((a) => a.labels)),
    commonAnnotations: common(alerts.map((a) => a.annotations)),
    externalURL: externalUrl,
  };
}

/** The pairs every set has with the same value. */
function common(sets: Labels[]): Labels {
  const [first, ...rest] = sets;
  if (!first) return {};
  return Object.fromEntries(Object.entries(first).filter(([name, value]) => rest.every((set) => set[name] === value)));
}
