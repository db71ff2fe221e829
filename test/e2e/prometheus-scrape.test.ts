import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pageView, postEvents, waitForBacklogZero } from '../helpers/events.js';
import { type PlatformProcess, startPlatformProcess } from '../helpers/platform-process.js';
import { prometheusSkipReason, type RunningPrometheus, startPrometheus } from '../helpers/prometheus.js';
import { tempDir } from '../helpers/tmp.js';

const skip = prometheusSkipReason();
const GRAFANA = fileURLToPath(new URL('../../../deploy/observability/grafana/sightline.json', import.meta.url));

/** A real Prometheus (Debian's package) scrapes `sightline up`, and PromQL finds the series. */
describe('Prometheus scrapes Sightline', { skip }, () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let platform: PlatformProcess;
  let prometheus: RunningPrometheus;

  before(async () => {
    tmp = await tempDir();
    await writeFile(join(tmp.dir, 'sightline.json'), JSON.stringify({ contracts: { unknown: 'accept' }, probe: { interval: 0 }, cold: { rollInterval: '500ms' }, logLevel: 'warn' }));
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

  it('runs every query of the Grafana dashboard, and each one returns series', async () => {
    const dashboard = JSON.parse(await readFile(GRAFANA, 'utf8')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
    // A rejected event, a refused request and a Parquet export give the error and cold-store panels data.
    await postEvents(platform.url, [{ id: 'no-timestamp', source: 'web', type: 'page_view', payload: {} }]);
    await fetch(`${platform.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
    // Long enough for rate() over the 1 s scrapes since then.
    await new Promise((r) => setTimeout(r, 4000));
    const empty: string[] = [];
    for (const panel of dashboard.panels) {
      for (const target of panel.targets) {
        const result = await prometheus.query(target.expr.replaceAll('$__rate_interval', '1m'));
        if (result.length === 0) empty.push(`${panel.title}: ${target.expr}`);
      }
    }
    // No probe ran (probe.interval 0) and no contract exists in this platform: those series are absent by design.
    assert.deepEqual(empty.filter((e) => !/probe|contract/.test(e)), []);
  });
});
