import { getJson } from '../test/helpers/events.js';
import type { BenchContext } from './lib/context.js';
import { platformCounts, startBenchPlatform, waitFor } from './lib/context.js';
import { cpuPerEvent, sampleCpu } from './lib/cpu.js';
import { prepareLoad } from './lib/load.js';
import { round, summarize } from './lib/stats.js';

/**
 * End to end: events through ingest, the log, processing (dedup, enrichment from a users CSV,
 * page views in 1m and 5m windows) into DuckDB and Parquet. The clock runs from the first request until every
 * event is in the hot store AND in Parquet. Then freshness (acceptance → visible in the query API)
 * at 50% and 90% of that rate.
 */
const BATCH_SIZE = 1000;

/** `events` small page views spread over the `spanMs` before now, in 1000-event batches, 4 connections. */
function pageViewLoad(url: string, events: number, spanMs: number, idPrefix: string, targetRate: number) {
  return prepareLoad({
    url,
    shape: 'small',
    batchSize: BATCH_SIZE,
    batches: events / BATCH_SIZE,
    concurrency: 4,
    startTimestamp: Date.now() - spanMs,
    msPerEvent: spanMs / events,
    idPrefix,
    targetRate,
  });
}

export async function e2eBench(ctx: BenchContext): Promise<void> {
  const events = ctx.short ? 20_000 : 1_000_000;
  const batchSize = BATCH_SIZE;
  const platform = await startBenchPlatform(ctx, 'e2e', { cold: { rollInterval: '1s', rollRows: 200_000 } });
  let maxRate: number;
  try {
    const load = await pageViewLoad(platform.url, events, 3_600_000, 'e2e', 0);
    const pid = platform.child.pid!;
    const cpuBefore = await sampleCpu(pid);
    const t = performance.now();
    const report = await load.start();
    const acceptedMs = performance.now() - t;
    let hotMs = 0;
    await waitFor(async () => {
      const c = await platformCounts(platform.url);
      if (hotMs === 0 && c.backlog === 0 && c.hotEvents === events) hotMs = performance.now() - t;
      return hotMs > 0 && c.coldEventRows === events && c.coldContractRows === events;
      // Every /v1/status counts rows in DuckDB and lists the cold store: polled at 10 Hz it costs
      // the platform little; at 50 Hz it measurably slowed it down.
    }, 30 * 60_000, 100);
    const totalMs = performance.now() - t;
    // Where the rate comes from: on 2 cores, everything (platform and load generator) shares
    // 2 CPU-seconds per second, so the rate is at most 2e6 / (CPU µs per event).
    const cpu = cpuPerEvent(cpuBefore, await sampleCpu(pid), events);
    const loadCpuUs = (report.cpuSeconds / events) * 1e6;
    maxRate = (events / totalMs) * 1000;
    ctx.shared.e2eRate = maxRate;
    const vsParse = ctx.shared.jsonParseRate ? round(maxRate / ctx.shared.jsonParseRate, 2) : 'n/a';
    const vsDuck = ctx.shared.duckdbLoadRate ? round(maxRate / ctx.shared.duckdbLoadRate, 2) : 'n/a';
    ctx.log(
      `e2e: ${Math.round(maxRate)} events/s (accepted in ${Math.round(acceptedMs)} ms, all in DuckDB at ${Math.round(hotMs)} ms, all in Parquet at ${Math.round(totalMs)} ms); × JSON.parse ${vsParse}, × DuckDB load ${vsDuck}; ` +
        `CPU per event: platform ${round(cpu.totalUs, 1)} µs (event loop ${round(cpu.mainThreadUs, 1)} µs), load generator ${round(loadCpuUs, 1)} µs`,
    );
    await ctx.sink.record(
      'e2e',
      'End to end (ingest → log → process → DuckDB + Parquet)',
      [
        'events',
        'end-to-end events/s',
        'ingest-only phase events/s',
        'ratio to JSON.parse',
        'ratio to DuckDB load',
        'lost',
        'platform CPU µs/event',
        'of which event loop',
        'load generator CPU µs/event',
      ],
      [
        events,
        Math.round(maxRate),
        Math.round((report.accepted / acceptedMs) * 1000),
        vsParse,
        vsDuck,
        events - report.accepted,
        round(cpu.totalUs, 1),
        round(cpu.mainThreadUs, 1),
        round(loadCpuUs, 1),
      ],
      { events, acceptedMs, hotMs, totalMs, cpu, loadCpuUs, report: { ...report, latenciesMs: undefined } },
    );
  } finally {
    await platform.stop();
  }

  for (const share of [0.5, 0.9]) {
    const rate = maxRate * share;
    // A probe every ~100 ms: 60 s gives a few hundred, enough for a p99 that is not just the
    // maximum. --short only checks that probes ride along and are timed: one second's load.
    const seconds = ctx.short ? 1 : 60;
    const count = Math.max(batchSize, Math.round((rate * seconds) / batchSize) * batchSize);
    const fresh = await startBenchPlatform(ctx, `fresh-${share}`);
    try {
      const load = await pageViewLoad(fresh.url, count, 60_000, `f${share}`, rate);
      const running = load.start();
      let done = false;
      void running.finally(() => (done = true));
      const freshness: number[] = [];
      let n = 0;
      // Probes ride along with the paced load: one every 100 ms, each timed from its 200 to the
      // moment the query API returns it.
      while (!done) {
        const id = `probe-${share}-${n++}`;
        const body = JSON.stringify([{ id, source: 'probe', type: 'probe', timestamp: Date.now(), payload: { n } }]);
        const posted = await fetch(`${fresh.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        if (posted.status !== 200) {
          await posted.body?.cancel();
          continue;
        }
        await posted.text();
        const ackedAt = performance.now();
        await waitFor(async () => {
          const { status, body } = await getJson(`${fresh.url}/v1/events/recent?source=probe&limit=1`);
          // A failed query is reported, not taken for "not there yet".
          if (status !== 200) throw new Error(`GET /v1/events/recent answered ${status}: ${JSON.stringify(body)}`);
          return body.events[0]?.id === id;
        }, 60_000, 2);
        freshness.push(performance.now() - ackedAt);
        await new Promise((r) => setTimeout(r, 100));
      }
      const report = await running;
      const s = summarize(freshness);
      const achieved = (report.accepted / report.elapsedMs) * 1000;
      ctx.log(`freshness at ${share * 100}% (${Math.round(achieved)} events/s): p50 ${round(s.p50)} ms, p99 ${round(s.p99)} ms over ${s.count} probes`);
      await ctx.sink.record(
        'freshness',
        'Freshness (accepted → visible in GET /v1/events/recent)',
        ['share of max', 'offered events/s', 'achieved events/s', 'probes', 'p50 ms', 'p99 ms', 'max ms'],
        [`${share * 100}%`, Math.round(rate), Math.round(achieved), s.count, round(s.p50), round(s.p99), round(s.max)],
        { share, rate, achieved, freshness: s },
      );
    } finally {
      await fresh.stop();
    }
  }
}
