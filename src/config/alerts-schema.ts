import { type Static, Type } from '@sinclair/typebox';
import { duration, objectWithDefaults, positive, positiveDuration, recordOf, strictObject } from './schema-types.js';

const severity = (defaultValue: string) => Type.String({ minLength: 1, default: defaultValue });

/** The alert engine (src/alerts, docs/alerts.md): rules over the platform's own signals, listed at /v1/alerts and sent to webhooks. */
export const ALERTS_SCHEMA = objectWithDefaults({
  enabled: Type.Boolean({ default: true }),
  evaluationInterval: positiveDuration({ default: '15s' }),
  /** How long a resolved alert stays listed (and can be seen by a late poller) before it is dropped. */
  resolvedRetention: duration({ default: '1h' }),
  /** A still-firing group is sent again after this long (0 never), as Alertmanager's repeat_interval. */
  repeatInterval: duration({ default: '4h' }),
  /** Base of generatorURL and externalURL in webhook payloads; the server's own URL when absent. */
  externalUrl: Type.Optional(Type.String({ pattern: '^https?://' })),
  volume: objectWithDefaults({
    enabled: Type.Boolean({ default: true }),
    bucket: positiveDuration({ default: '1m' }),
    alpha: Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 0.3 }),
    dropRatio: Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 0.5 }),
    spikeRatio: Type.Number({ exclusiveMinimum: 1, default: 3 }),
    warmupBuckets: positive(5),
    minBaselineEvents: Type.Number({ minimum: 0, default: 10 }),
    hourOfWeek: Type.Boolean({ default: false }),
    /** Consecutive anomalous buckets after which their level is taken as the new normal (0 never). */
    relearnAfterBuckets: Type.Integer({ minimum: 0, default: 60 }),
    for: duration({ default: '0s' }),
    severity: severity('warn'),
  }),
  freshness: objectWithDefaults({
    enabled: Type.Boolean({ default: true }),
    sla: duration({ default: '15m' }),
    sources: recordOf(duration(), { default: {} }),
    for: duration({ default: '1m' }),
    severity: severity('page'),
  }),
  errorRate: objectWithDefaults({
    enabled: Type.Boolean({ default: true }),
    threshold: Type.Number({ minimum: 0, maximum: 1, default: 0.05 }),
    window: duration({ default: '5m' }),
    minEvents: Type.Integer({ minimum: 0, default: 100 }),
    for: duration({ default: '1m' }),
    severity: severity('page'),
  }),
  backlog: objectWithDefaults({
    enabled: Type.Boolean({ default: true }),
    growthEvents: positive(100_000),
    window: duration({ default: '5m' }),
    for: duration({ default: '5m' }),
    severity: severity('warn'),
  }),
  versionDrift: objectWithDefaults({
    enabled: Type.Boolean({ default: true }),
    window: duration({ default: '15m' }),
    for: duration({ default: '0s' }),
    severity: severity('warn'),
  }),
  webhooks: Type.Array(
    strictObject({
      url: Type.String({ pattern: '^https?://' }),
      /** The payload's `receiver` and the metrics' label; webhook-N (from 1) when absent. */
      name: Type.Optional(Type.String({ minLength: 1 })),
      headers: recordOf(Type.String(), { default: {} }),
      maxAttempts: positive(5, 100),
      initialBackoff: duration({ default: '1s' }),
      maxBackoff: duration({ default: '1m' }),
      timeout: duration({ default: '5s' }),
      /** Messages waiting for this webhook; the oldest is dropped (and counted) past it. */
      maxQueue: positive(1000),
    }),
    { default: [] },
  ),
});
export type AlertsDocument = Static<typeof ALERTS_SCHEMA>;
