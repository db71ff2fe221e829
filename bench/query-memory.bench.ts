import { getJson } from '../test/helpers/events.js';
import type { BenchContext } from './lib/context.js';
import { platformCounts, rssMiB, startBenchPlatform, waitFor } from './lib/context.js';
import { runLoad } from './lib/load.js';
import { round, summarize } from './lib/stats.js';

/**
 * Loads the platform in steps (1M then 10M events in the full run), sampling the platform's RSS
 * once a second throughout (memory must stay flat as events flow), and after each step measures
 * the query API: recent events (plain, filtered, second page) and aggregates (1m, 5m, one page,
 * a time range).
 */
export async function queryMemoryBench(ctx: BenchContext): Promise<void> {
  const steps = ctx.short ? [20_000, 40_000] : [1_000_000, 10_000_000];
  const requests = ctx.short ? 20 : 200;
  const platform = await startBenchPlatform(ctx, 'query');
  const rss: Array<{ t: number; mib: number; events: number }> = [];
  let stored = 0;
  const started = performance.now();
  const sampler = setInterval(() => {
    void rssMiB(platform.child.pid!).then((mib) => rss.push({ t: (performance.now() - started) / 1000, mib, events: stored }), () => undefined);
  }, 1000);
  const endTs = Date.now() - 60_000;
  const spanMs = 24 * 3_600_000;
  try {
    let loaded = 0;
    for (const target of steps) {
      const count = target - loaded;
      const batchSize = 5000;
      const chunk = ctx.short ? count : 1_000_000;
      for (let done = 0; done < count; done += chunk) {
        const n = Math.min(chunk, count - done);
        const first = loaded + done;
        const report = await runLoad({
          url: platform.url,
          shape: 'small',
          batchSize,
          batches: n / batchSize,
          concurrency: 4,
          // Events spread over one day ending a minute ago, in order, so windows close as they go.
          startTimestamp: endTs - spanMs + Math.floor((first / steps[steps.length - 1]!) * spanMs),
          msPerEvent: spanMs / steps[steps.length - 1]!,
          idPrefix: `q${first}`,
          targetRate: 0,
        });
        if (report.accepted !== n) throw new Error(`accepted ${report.accepted} of ${n}`);
        stored = first + n;
        ctx.log(`query: ${stored} events sent`);
      }
      loaded = target;
      await waitFor(async () => (await platformCounts(platform.url)).hotEvents === target, 30 * 60_000, 200);

      const { body: firstPage } = await getJson(`${platform.url}/v1/events/recent?limit=100`);
      const queries: Record<string, string> = {
        'recent, limit 100': '/v1/events/recent?limit=100',
        'recent, user_id filter': '/v1/events/recent?limit=100&user_id=u42',
        'recent, second page': `/v1/events/recent?limit=100&cursor=${firstPage.next_cursor}`,
        'aggregates 1m, all pages, last hour': `/v1/aggregates/page-views?window=1m&from=${endTs - 3_600_000}&to=${endTs}`,
        'aggregates 1m, one page, last hour': `/v1/aggregates/page-views?window=1m&page=/product/1007&from=${endTs - 3_600_000}&to=${endTs}`,
        'aggregates 5m, one page, whole day': '/v1/aggregates/page-views?window=5m&page=/product/1007&limit=100000',
      };
      for (const [name, path] of Object.entries(queries)) {
        const times: number[] = [];
        for (let i = 0; i < requests; i++) {
          const t = performance.now();
          const r = await fetch(`${platform.url}${path}`);
          await r.arrayBuffer();
          if (r.status !== 200) throw new Error(`${path} answered ${r.status}`);
          times.push(performance.now() - t);
        }
        const s = summarize(times);
        ctx.log(`query @${target}: ${name}: p50 ${round(s.p50, 2)} ms, p99 ${round(s.p99, 2)} ms`);
        await ctx.sink.record(
          'query',
          'Query latency (sequential requests, warm)',
          ['events stored', 'query', 'p50 ms', 'p99 ms'],
          [target, name, round(s.p50, 2), round(s.p99, 2)],
          { target, name, path, latency: s },
        );
      }
    }
  } finally {
    clearInterval(sampler);
    await platform.stop();
  }
  const samples = rss.map((r) => r.mib);
  const q = Math.max(1, Math.floor(samples.length / 4));
  const early = samples.slice(q, 2 * q);
  const late = samples.slice(samples.length - q);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const growth = early.length && late.length ? mean(late) / mean(early) : NaN;
  const max = Math.max(...samples);
  ctx.log(`memory: max RSS ${round(max)} MiB; mean RSS last quarter / second quarter = ${round(growth, 2)}`);
  await ctx.sink.record(
    'memory',
    'Memory (platform RSS while events flow)',
    ['events', 'samples', 'max RSS MiB', 'mean RSS 2nd quarter MiB', 'mean RSS last quarter MiB', 'growth'],
    [steps[steps.length - 1]!, samples.length, round(max), round(mean(early)), round(mean(late)), round(growth, 2)],
    { rss },
  );
}
