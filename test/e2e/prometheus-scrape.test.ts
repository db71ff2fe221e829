import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pageView, postEvents, waitForBacklogZero } from '../helpers/events.js';
import { type PlatformProcess, startPlatformProcess } from '../helpers/platform-process.js';
import { prometheusSkipReason, type RunningPrometheus, startPrometheus } from '../helpers/prometheus.js';
import { tempDir } from '../helpers/tmp.js';

const skip = prometheusSkipReason();

/** A real Prometheus (Debian's package) scrapes `sightline up`, and PromQL finds the series. */
describe('Prometheus scrapes Sightline', { skip }, () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let platform: PlatformProcess;
  let prometheus: RunningPrometheus;

  before(async () => {
    tmp = await tempDir();
    await writeFile(join(tmp.dir, 'sightline.json'), JSON.stringify({ contracts: { unknown: 'accept' }, probe: { interval: 0 }, logLevel: 'warn' }));
    platform = await startPlatformProcess(['--data', join(tmp.dir, 'data'), '--config', join(tmp.dir, 'sightline.json')]);
    prometheus = await startPrometheus(tmp.dir, [new URL(platform.url).host]);
  });
  after(async () => {
    await prometheus?.stop();
    if (platform?.child.exitCode === null) await platform.stop();
    await tmp.cleanup();
  });

  it('scrapes /metrics, and queries return the pipeline series with the values Sightline counted', async () => {
    const now = Date.now();
    await postEvents(platform.url, Array.from({ length: 40 }, (_, i) => pageView(`p${i}`, now - i * 1000, `/p${i % 4}`)));
    await waitForBacklogZero(platform.url);
    const deadline = Date.now() + 30_000;
    let received = 0;
    while (Date.now() < deadline) {
      const result = await prometheus.query('sum(sightline_events_received_total{component="ingest"})');
      received = Number(result[0]?.value[1] ?? 0);
      const rows = await prometheus.query('sightline_hot_store_rows{table="events"}');
      if (received === 40 && Number(rows[0]?.value[1] ?? 0) === 40) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.equal(received, 40);
    assert.equal((await prometheus.query('up{job="sightline"}'))[0]?.value[1], '1');
    const bySource = await prometheus.query('sum by (source, type) (sightline_ingest_events_total)');
    assert.deepEqual(bySource.map((r) => [r.metric.source, r.metric.type, r.value[1]]), [['web', 'page_view', '40']]);
    const components = await prometheus.query('count by (component) (sightline_events_sent_total)');
    assert.deepEqual(components.map((r) => r.metric.component).sort(), ['cold_store', 'hot_store', 'ingest', 'log', 'process', 'serve']);
    const p99 = await prometheus.query('histogram_quantile(0.99, sum by (le) (sightline_operation_duration_seconds_bucket{component="ingest",operation="receipt_to_durable"}))');
    assert.ok(Number(p99[0]?.value[1]) > 0, 'a latency quantile from the histogram');
  });
});
