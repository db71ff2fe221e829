import type { AlertRuleConfig, AlertsConfig, WebhookConfig } from '../alerts/alerts-options.js';
import { parseDuration } from '../core/duration.js';
import type { AlertsDocument } from './alerts-schema.js';

/** The `alerts` section, validated and defaulted by the schema, as the alert engine's options. */
export function resolveAlertsConfig(raw: AlertsDocument): AlertsConfig {
  const { volume, freshness, errorRate, backlog, versionDrift } = raw;
  return {
    enabled: raw.enabled,
    evaluationIntervalMs: parseDuration(raw.evaluationInterval),
    resolvedRetentionMs: parseDuration(raw.resolvedRetention),
    repeatIntervalMs: parseDuration(raw.repeatInterval),
    // The payloads append paths to it.
    ...(raw.externalUrl !== undefined && { externalUrl: raw.externalUrl.replace(/\/+$/, '') }),
    volume: {
      ...rule(volume),
      bucketMs: parseDuration(volume.bucket),
      alpha: volume.alpha,
      dropRatio: volume.dropRatio,
      spikeRatio: volume.spikeRatio,
      warmupBuckets: volume.warmupBuckets,
      minBaselineEvents: volume.minBaselineEvents,
      hourOfWeek: volume.hourOfWeek,
      relearnAfterBuckets: volume.relearnAfterBuckets,
    },
    freshness: {
      ...rule(freshness),
      slaMs: parseDuration(freshness.sla),
      sourcesMs: Object.fromEntries(Object.entries(freshness.sources).map(([source, sla]) => [source, parseDuration(sla)])),
    },
    errorRate: { ...rule(errorRate), threshold: errorRate.threshold, windowMs: parseDuration(errorRate.window), minEvents: errorRate.minEvents },
    backlog: { ...rule(backlog), growthEvents: backlog.growthEvents, windowMs: parseDuration(backlog.window) },
    versionDrift: { ...rule(versionDrift), windowMs: parseDuration(versionDrift.window) },
    webhooks: raw.webhooks.map(webhook),
  };
}

function rule(raw: Pick<AlertsDocument['volume'], 'enabled' | 'for' | 'severity'>): AlertRuleConfig {
  return { enabled: raw.enabled, forMs: parseDuration(raw.for), severity: raw.severity };
}

function webhook(raw: AlertsDocument['webhooks'][number], index: number): WebhookConfig {
  return {
    url: raw.url,
    name: raw.name ?? `webhook-${index + 1}`,
    headers: raw.headers,
    maxAttempts: raw.maxAttempts,
    initialBackoffMs: parseDuration(raw.initialBackoff),
    maxBackoffMs: parseDuration(raw.maxBackoff),
    timeoutMs: parseDuration(raw.timeout),
    maxQueue: raw.maxQueue,
  };
}
