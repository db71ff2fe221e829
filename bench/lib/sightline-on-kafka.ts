/**
 * Sightline's side of the Kafka peer benchmark (bench/kafka-peer.bench.ts): `sightline process`
 * (one member of the processing group, one processor per partition, Kafka transactions) reads the
 * topic the peer reads, and `sightline serve` loads what it commits into its hot store, where the
 * final counts are read from the API.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type PlatformProcess, startPlatformProcess } from '../../test/helpers/platform-process.js';
import type { BenchContext } from './context.js';
import { PAGES } from './events.js';
import { type CpuSample, sampleCpu } from './cpu.js';
import { DEDUP_WINDOW_MS, type WindowCounts, windowKey } from './kafka-page-views.js';

export interface KafkaSideResult {
  /** Input records per second, from the first record read to the last one processed. */
  rate: number;
  /** CPU of the pipeline's own process(es), all threads, per input record (not the broker's). */
  cpuUsPerEvent: number;
  /** Final page views per page and 1-minute window, keyed `page@windowStartMs` (see windowKey). */
  counts: WindowCounts;
  /** CPU of the serving node loading the results into its hot store, per input record. */
  serveCpuUsPerEvent: number;
  /** From the last record processed until the serving node had loaded everything. */
  loadLagMs: number;
}

/** The events topic of a Sightline deployment is `<topicPrefix>events`: the bench names its input so. */
export const SIGHTLINE_TOPIC_PREFIX = 'sightline-bench.';
const EVENTS = 'events';

async function status(url: string): Promise<any> {
  const response = await fetch(`${url}/v1/status`);
  if (!response.ok) throw new Error(`GET ${url}/v1/status answered ${response.status}`);
  return response.json();
}

function cpuUs(before: CpuSample, after: CpuSample, n: number): number {
  return ((after.totalSeconds - before.totalSeconds) / n) * 1e6;
}

/**
 * Runs Sightline's dedup + 1-minute page-view count over the `n` records already on `topic`
 * (`<SIGHTLINE_TOPIC_PREFIX>events`, 12 partitions, keyed by event id, JSON envelopes) with the
 * peer's settings: a 5-minute dedup window, 1 minute of allowed lateness, late events stored (so
 * the counts compare). Rate and CPU are the processing node's, from its first record read to its
 * last committed; the serving node's load is reported beside them.
 */
export async function runSightlineOnKafka(ctx: BenchContext, bootstrap: string, topic: string, n: number): Promise<KafkaSideResult> {
  if (topic !== SIGHTLINE_TOPIC_PREFIX + EVENTS) throw new Error(`Sightline reads ${SIGHTLINE_TOPIC_PREFIX + EVENTS}, not ${topic}`);
  const dir = join(ctx.workDir, `sightline-kafka-${Date.now()}`);
  await mkdir(dir, { recursive: true });
  const config = join(dir, 'sightline.json');
  await writeFile(
    config,
    JSON.stringify({
      logLevel: 'warn',
      log: { partitions: 12, kafka: { bootstrap: bootstrap.split(','), topicPrefix: SIGHTLINE_TOPIC_PREFIX, replicationFactor: 1, minInsyncReplicas: 1 } },
      contracts: { unknown: 'accept' },
      process: { dedupWindow: `${DEDUP_WINDOW_MS / 1000}s`, allowedLateness: '1m', lateEvents: 'store' },
      aggregations: [{ name: 'page-views', match: { type: 'page_view' }, groupBy: 'payload.page', windows: ['1m'] }],
    }),
  );
  const started: PlatformProcess[] = [];
  try {
    const serve = await startPlatformProcess(['--config', config, '--data', join(dir, 'serve')], 90_000, {}, 'serve');
    started.push(serve);
    const serveCpuAtStart = await sampleCpu(serve.child.pid!);
    const processNode = await startPlatformProcess(['--config', config, '--data', join(dir, 'process')], 90_000, {}, 'process');
    started.push(processNode);
    const pid = processNode.child.pid!;

    // The processor reads from the moment its partitions are assigned, before a poll of ours could
    // see it start: it notes the time and its CPU at its first record itself (status first_record).
    let last: { at: number; cpuSeconds: number; first: { at: number; cpu_micros: number } } | undefined;
    const deadline = Date.now() + 30 * 60_000;
    while (!last) {
      if (Date.now() > deadline) throw new Error('Sightline did not process the topic within 30 minutes');
      const processor = (await status(processNode.url)).processor as { processed: number; first_record?: { at: number; cpu_micros: number } };
      if (processor.processed >= n) last = { at: Date.now(), cpuSeconds: (await sampleCpu(pid)).totalSeconds, first: processor.first_record! };
      else await new Promise((r) => setTimeout(r, 50));
    }
    const doneAt = performance.now();
    // The serving node has everything once its sink has nothing left to load.
    for (;;) {
      const sink = (await status(serve.url)).sink as { backlog: Record<string, number>; records: number };
      if (sink.records > 0 && Object.values(sink.backlog).every((b) => b === 0)) break;
      if (Date.now() > deadline) throw new Error('the serving node did not load the results within 30 minutes');
      await new Promise((r) => setTimeout(r, 100));
    }
    const loadLagMs = performance.now() - doneAt;
    const serveCpu = await sampleCpu(serve.child.pid!);

    const counts: WindowCounts = new Map();
    for (const page of PAGES) {
      let from: number | undefined;
      for (;;) {
        const query = new URLSearchParams({ window: '1m', page, limit: '1000', ...(from !== undefined && { from: String(from) }) });
        const response = await fetch(`${serve.url}/v1/aggregates/page-views?${query}`);
        const body = (await response.json()) as { windows: Array<{ window_start: number; count: number }> };
        for (const w of body.windows) counts.set(windowKey(page, w.window_start), w.count);
        if (body.windows.length < 1000) break;
        from = body.windows[body.windows.length - 1]!.window_start + 1;
      }
    }
    return {
      rate: n / ((last.at - last.first.at) / 1000),
      cpuUsPerEvent: ((last.cpuSeconds - last.first.cpu_micros / 1e6) / n) * 1e6,
      counts,
      serveCpuUsPerEvent: cpuUs(serveCpuAtStart, serveCpu, n),
      loadLagMs,
    };
  } finally {
    await Promise.all(started.map((p) => p.stop().catch(() => undefined)));
  }
}

