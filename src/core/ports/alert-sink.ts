export type AlertLabels = Record<string, string>;

export const ALERT_STATES = ['pending', 'firing', 'resolved'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

export interface Alert {
  /** Prometheus's fingerprint of the labels: the alert's identity. */
  fingerprint: string;
  /** alertname, severity and the rule's own (source, type, subject, ...). */
  labels: AlertLabels;
  annotations: { summary: string; description: string };
  state: AlertState;
  /** When the condition became true (ms). */
  activeAt: number;
  /** When it began firing. */
  startsAt: number | undefined;
  /** When it resolved. */
  endsAt: number | undefined;
  /** The last measured value while the condition held. */
  value: number;
}

/** Alerts sent together, as one Alertmanager group: the alert engine groups by alertname. */
export interface AlertGroup {
  groupLabels: AlertLabels;
  /** The group's firing alerts and those that just resolved; copies, the sink may keep them. */
  alerts: Alert[];
}

/**
 * Where the alert engine sends a group when one of its alerts begins firing or resolves (and a
 * still-firing group again after the repeat interval). `send` must not block or throw: delivery,
 * its retries and its failures are the sink's own business.
 */
export interface AlertSink {
  send(group: AlertGroup): void;
  /** Resolves when everything sent so far was delivered or given up. */
  flush(): Promise<void>;
  /** Stops delivering; what is still queued may be dropped. */
  close(): Promise<void>;
}
