import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { buildConfig } from '../../../src/config/config.js';
import { type RunningPlatform, startPlatform } from '../../../src/platform/start-platform.js';
import { getJson, pageView, postEvents } from '../../helpers/events.js';
import { buildWebhookReceiver, goSkipReason, type RunningReceiver, startWebhookReceiver } from '../../helpers/go-webhook-receiver.js';
import { tempDir } from '../../helpers/tmp.js';

const skip = goSkipReason();

/**
 * The whole path on a running platform: steady traffic teaches the volume baseline, the traffic
 * stops, the drop alert fires and reaches a receiver built on Alertmanager's own webhook types;
 * the traffic comes back and the alert resolves. Timings are generous: buckets of a second.
 */
describe('a volume drop on a running platform raises an alert and resolves it', { skip, timeout: 660_000 }, () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let platform: RunningPlatform;
  let receiver: RunningReceiver;
  let sending = false;
  let sender: Promise<void> | undefined;
  let n = 0;

  before(async () => {
    receiver = await startWebhookReceiver(buildWebhookReceiver());
    tmp = await tempDir();
    platform = await startPlatform(
      buildConfig({
        dataDir: join(tmp.dir, 'data'),
        server: { port: 0 },
        probe: { interval: 0 },
        contracts: { unknown: 'accept' },
        alerts: {
          evaluationInterval: '100ms',
          volume: { bucket: '1s', alpha: 0.5, warmupBuckets: 3, minBaselineEvents: 20, dropRatio: 0.5, for: '0s' },
          freshness: { enabled: false },
          webhooks: [{ url: receiver.url, initialBackoff: '50ms' }],
        },
      }),
      pino({ level: 'silent' }),
    );
  });
  after(async () => {
    sending = false;
    await sender;
    await platform?.stop();
    await receiver?.stop();
    await tmp?.cleanup();
  });

  const startSending = () => {
    sending = true;
    sender = (async () => {
      while (sending) {
        const batch = Array.from({ length: 20 }, () => pageView(`v${n++}`, Date.now(), '/home'));
        await postEvents(platform.url, batch);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
  };
  const stopSending = async () => {
    sending = false;
    await sender;
  };
  const alertsNow = async (state: string) => (await getJson(`${platform.url}/v1/alerts?state=${state}`)).body.alerts as any[];
  const waitFor = async (what: () => Promise<boolean>, timeoutMs: number, label: string) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await what())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  it('fires on the drop, delivers it, and resolves when traffic returns', async () => {
    startSending();
    // Warm-up: three full buckets of steady traffic, and no alert while it is steady.
    await new Promise((r) => setTimeout(r, 5000));
    assert.deepEqual(await alertsNow('firing'), []);
    await stopSending();
    await waitFor(async () => (await alertsNow('firing')).some((a) => a.labels.alertname === 'SightlineVolumeAnomaly'), 10_000, 'the drop alert');
    const firing = (await alertsNow('firing')).find((a) => a.labels.alertname === 'SightlineVolumeAnomaly');
    assert.deepEqual(
      { source: firing.labels.source, type: firing.labels.type, direction: firing.labels.direction },
      { source: 'web', type: 'page_view', direction: 'drop' },
    );
    await receiver.waitForAccepted(1, 10_000);
    const delivered = receiver.accepted[0] as any;
    assert.equal(delivered.status, 'firing');
    assert.equal(delivered.alerts[0].labels.direction, 'drop');
    assert.match(delivered.externalURL, /^http:\/\/127\.0\.0\.1:\d+/);

    startSending();
    await waitFor(async () => (await alertsNow('resolved')).some((a) => a.labels.alertname === 'SightlineVolumeAnomaly'), 15_000, 'the alert to resolve');
    await receiver.waitForAccepted(2, 10_000);
    const resolved = receiver.accepted[1] as any;
    assert.equal(resolved.status, 'resolved');
    assert.equal(resolved.alerts[0].fingerprint, delivered.alerts[0].fingerprint);
    assert.deepEqual(receiver.rejected, []);
    const metrics = await (await fetch(`${platform.url}/metrics`)).text();
    assert.match(metrics, /sightline_alert_notifications_total\{receiver="[^"]+",result="sent"\} 2/);
  });
});
