import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { AlertEngine } from '../../../src/alerts/alert-engine.js';
import { alertsConfig, signalsAt } from '../../helpers/alerts.js';
import { buildWebhookReceiver, goSkipReason, type RunningReceiver, startWebhookReceiver } from '../../helpers/go-webhook-receiver.js';

const skip = goSkipReason();
const BUCKET = 300;
const T0 = Math.ceil(Date.UTC(2026, 10, 27, 12) / BUCKET) * BUCKET;

/**
 * Alertmanager's own webhook.Message type (test/tools/webhook-receiver, built with Go against
 * github.com/prometheus/alertmanager) decodes every message, refusing unknown fields and
 * fingerprints that are not those of the labels.
 */
describe('webhook payload against Alertmanager’s types', { skip, timeout: 660_000 }, () => {
  let receiver: RunningReceiver;
  before(async () => {
    receiver = await startWebhookReceiver(buildWebhookReceiver());
  });
  after(() => receiver?.stop());

  it('takes an injected volume drop raising, then resolving, and every other rule’s alerts', async () => {
    const config = alertsConfig({
      volume: { bucket: `${BUCKET}ms`, alpha: 0.5, warmupBuckets: 3, minBaselineEvents: 10, for: '0s' },
      freshness: { sla: '1s', for: '0s' },
      errorRate: { threshold: 0.1, window: '10s', minEvents: 10, for: '0s' },
      backlog: { growthEvents: 100, window: '10s', for: '0s' },
      versionDrift: { window: '10s', for: '0s' },
      webhooks: [{ url: receiver.url, name: 'alertmanager-types', initialBackoff: '10ms' }],
    });
    const engine = new AlertEngine({ config, signals: () => signalsAt(T0), logger: pino({ level: 'silent' }), externalUrl: 'http://127.0.0.1:8080' });
    let events = 0;
    let now = T0;
    const bucket = async (count: number, over: Parameters<typeof signalsAt>[1] = {}) => {
      events += count;
      now += BUCKET;
      await engine.evaluate(signalsAt(now, { volume: [{ source: 'web', type: 'page_view', events }], newestEventTime: [{ source: 'web', timestamp: now }], ...over }));
    };
    await engine.evaluate(signalsAt(now, { volume: [{ source: 'web', type: 'page_view', events }] }));
    for (let i = 0; i < 4; i++) await bucket(100);
    await bucket(5);
    await engine.deliveries();
    await receiver.waitForAccepted(1);
    await bucket(100);
    await engine.deliveries();
    await receiver.waitForAccepted(2);
    const [drop, back] = receiver.accepted as any[];
    assert.equal(drop.status, 'firing');
    assert.deepEqual(drop.alerts[0].labels, { alertname: 'SightlineVolumeAnomaly', severity: 'warn', source: 'web', type: 'page_view', direction: 'drop' });
    assert.equal(back.status, 'resolved');
    assert.equal(back.alerts[0].fingerprint, drop.alerts[0].fingerprint);
    assert.equal(Date.parse(back.alerts[0].endsAt), now);

    // The other rules at once: a stale source, failures, a growing backlog, a drifting version.
    await bucket(100, {
      newestEventTime: [{ source: 'web', timestamp: now }, { source: 'app', timestamp: T0 }],
      received: 100,
      failed: 50,
      backlog: 1000,
      versionMismatches: { 'web.page_view@1': 3 },
    });
    await engine.deliveries();
    await receiver.waitForAccepted(6);
    assert.deepEqual(receiver.rejected, []);
    const names = (receiver.accepted as any[]).slice(2).map((m) => m.groupLabels.alertname).sort();
    assert.deepEqual(names, ['SightlineBacklogGrowth', 'SightlineErrorRateHigh', 'SightlineSchemaVersionDrift', 'SightlineSourceStale']);
    await engine.stop();
  });

  it('is strict: a field Alertmanager does not know, or a fingerprint not of the labels, is refused', async () => {
    const accepted = receiver.accepted[0] as Record<string, any>;
    const post = (body: unknown) => fetch(receiver.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const extra = await post({ ...accepted, severity: 'page' });
    assert.equal(extra.status, 400);
    assert.match(await extra.text(), /unknown field "severity"/);
    const alert = { ...accepted.alerts[0], labels: { ...accepted.alerts[0].labels, source: 'other' } };
    const wrong = await post({ ...accepted, alerts: [alert] });
    assert.equal(wrong.status, 400);
    assert.match(await wrong.text(), /fingerprint/);
  });
});
