import type { AlertRuleConfig, AlertsConfig } from '../alerts/alerts-options.js';
import { parseDuration } from '../core/duration.js';

/** The `alerts` section, already validated and defaulted by the config schema, with durations in ms. */
export function resolveAlertsConfig(raw: any): AlertsConfig {
  const rule = (r: any): AlertRuleConfig => ({ enabled: r.enabled, forMs: parseDuration(r.for), severity: r.severity });
  const { volume, freshness, errorRate, backlog, versionDrift } = raw;
  return {
    enabled: raw.enabled,
    evaluationIntervalMs: parseDuration(raw.evaluationInterval),
    resolvedRetentionMs: parseDuration(raw.resolvedRetention),
    repeatIntervalMs: parseDuration(raw.repeatInterval),
    ...(raw.externalUrl !== undefined && { externalUrl: String(raw.externalUrl).replace(/\/+$/, '') }),
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
      sourcesMs: Object.fromEntries(Object.entries(freshness.sources as Record<string, string | number>).map(([source, sla]) => [source, parseDuration(sla)])),
    },
    errorRate: { ...rule(errorRate), threshold: errorRate.threshold, windowMs: parseDuration(errorRate.window), minEvents: errorRate.minEvents },
    backlog: { ...rule(backlog), growthEvents: backlog.growthEvents, windowMs: parseDuration(backlog.window) },
    versionDrift: { ...rule(versionDrift), windowMs: parseDuration(versionDrift.window) },
    webhooks: (raw.webhooks as any[]).map((w, i) => ({
      url: w.url,
      name: w.name ?? `webhook-${i + 1}`,
      headers: w.headers,
      maxAttempts: w.maxAttempts,
      initialBackoffMs: parseDuration(w.initialBackoff),
      maxBackoffMs: parseDuration(w.maxBackoff),
      timeoutMs: parseDuration(w.timeout),
      maxQueue: w.maxQueue,
    })),
  };
}
