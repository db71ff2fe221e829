/** What every alert rule has: whether it runs, how long its condition must hold, its severity label. */
export interface AlertRuleConfig {
  enabled: boolean;
  /** Prometheus `for`: how long a condition stays pending before the alert fires (0 fires at once). */
  forMs: number;
  severity: string;
}

export interface WebhookConfig {
  url: string;
  /** The payload's `receiver` and the metrics' `receiver` label. */
  name: string;
  headers: Record<string, string>;
  maxAttempts: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  timeoutMs: number;
  maxQueue: number;
}

/** The alert engine's options: the `alerts` config section with durations in ms. */
export interface AlertsConfig {
  enabled: boolean;
  evaluationIntervalMs: number;
  resolvedRetentionMs: number;
  /** 0: a firing group is sent once, when it changes. */
  repeatIntervalMs: number;
  externalUrl?: string;
  volume: AlertRuleConfig & {
    bucketMs: number;
    alpha: number;
    dropRatio: number;
    spikeRatio: number;
    warmupBuckets: number;
    minBaselineEvents: number;
    hourOfWeek: boolean;
    relearnAfterBuckets: number;
  };
  freshness: AlertRuleConfig & { slaMs: number; sourcesMs: Record<string, number> };
  errorRate: AlertRuleConfig & { threshold: number; windowMs: number; minEvents: number };
  backlog: AlertRuleConfig & { growthEvents: number; windowMs: number };
  versionDrift: AlertRuleConfig & { windowMs: number };
  webhooks: WebhookConfig[];
}
