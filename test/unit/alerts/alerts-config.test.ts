import assert from 'node:assert/strict';
import { it } from 'node:test';
import { buildConfig } from '../../../src/config/config.js';

it('fills the alerts section with its defaults, durations in ms', () => {
  const { alerts } = buildConfig({});
  assert.equal(alerts.enabled, true);
  assert.equal(alerts.evaluationIntervalMs, 15_000);
  assert.equal(alerts.resolvedRetentionMs, 3_600_000);
  assert.equal(alerts.repeatIntervalMs, 4 * 3_600_000);
  assert.equal(alerts.externalUrl, undefined);
  assert.deepEqual(alerts.volume, {
    enabled: true,
    forMs: 0,
    severity: 'warn',
    bucketMs: 60_000,
    alpha: 0.3,
    dropRatio: 0.5,
    spikeRatio: 3,
    warmupBuckets: 5,
    minBaselineEvents: 10,
    hourOfWeek: false,
    relearnAfterBuckets: 60,
  });
  assert.deepEqual(alerts.freshness, { enabled: true, forMs: 60_000, severity: 'page', slaMs: 900_000, sourcesMs: {} });
  assert.deepEqual(alerts.errorRate, { enabled: true, forMs: 60_000, severity: 'page', threshold: 0.05, windowMs: 300_000, minEvents: 100 });
  assert.deepEqual(alerts.backlog, { enabled: true, forMs: 300_000, severity: 'warn', growthEvents: 100_000, windowMs: 300_000 });
  assert.deepEqual(alerts.versionDrift, { enabled: true, forMs: 0, severity: 'warn', windowMs: 900_000 });
  assert.deepEqual(alerts.webhooks, []);
});

it('takes per-source SLAs, webhooks with their own settings, and an external URL without a trailing slash', () => {
  const { alerts } = buildConfig({
    alerts: {
      externalUrl: 'https://sightline.example/',
      freshness: { sources: { web: '5m', batch: 7_200_000 } },
      webhooks: [{ url: 'http://a.example/hook', maxAttempts: 3, timeout: '2s' }, { url: 'https://b.example', name: 'pager' }],
    },
  });
  assert.equal(alerts.externalUrl, 'https://sightline.example');
  assert.deepEqual(alerts.freshness.sourcesMs, { web: 300_000, batch: 7_200_000 });
  assert.deepEqual(alerts.webhooks[0], { url: 'http://a.example/hook', name: 'webhook-1', headers: {}, maxAttempts: 3, initialBackoffMs: 1000, maxBackoffMs: 60_000, timeoutMs: 2000, maxQueue: 1000 });
  assert.equal(alerts.webhooks[1]!.name, 'pager');
});

it('refuses unknown keys, ratios out of range and webhook URLs that are not http(s)', () => {
  assert.throws(() => buildConfig({ alerts: { volume: { treshold: 2 } } }), /\/alerts\/volume\/treshold is not a setting \(the settings here: enabled, bucket, .*dropRatio/);
  assert.throws(() => buildConfig({ alerts: { volume: { dropRatio: 1.5 } } }), /alerts\/volume\/dropRatio/);
  assert.throws(() => buildConfig({ alerts: { volume: { spikeRatio: 1 } } }), /alerts\/volume\/spikeRatio/);
  assert.throws(() => buildConfig({ alerts: { webhooks: [{ url: 'ftp://x' }] } }), /alerts\/webhooks\/0\/url/);
  assert.throws(() => buildConfig({ alerts: { freshness: { sla: 'soon' } } }), /alerts\/freshness\/sla/);
});
