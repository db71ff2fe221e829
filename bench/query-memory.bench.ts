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
  // Latency, not limits, is measured here: no per-client rate limits.
  const platform = await startBenchPlatform(ctx, 'query', { rateLimits: { perSecond: 0, routes: {} } });
  const rss: Array<{ t: number; mib: number; events: number; phase: 'load' | 'queries' }> = [];
  let stored = 0;
  // Memory while events flow is the table's question; the queries after each step (SQL over
  // every stored event among them) are sampled apart, so neither hides the other.
  let phase: 'load' | 'queries' = 'load';
  const started = performance.now();
  const sampler = setInterval(() => {
    void rssMiB(platform.child.pid!).then((mib) => rss.push({ t: (performance.now() - started) / 1000, mib, events: stored, phase }), () => undefined);
  }, 1000);
  const endTs = Date.now() - 60_000;
  const spanMs = 24 * 3_600_000;
  try {
    let loaded = 0;
    for (const target of steps) {
      phase = 'load';
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
      phase = 'queries';

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
      await sqlLatencies(ctx, platform.url, target, endTs, requests);
    }
    await ingestBesideRunawaySql(ctx, platform.url, endTs);
  } finally {
    clearInterval(sampler);
    await platform.stop();
  }
  const samples = rss.filter((r) => r.phase === 'load').map((r) => r.mib);
  const querying = rss.filter((r) => r.phase === 'queries').map((r) => r.mib);
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
  const queryMax = Math.max(...querying);
  ctx.log(`memory: max RSS ${round(queryMax)} MiB while the queries ran (after each load step)`);
  await ctx.sink.record('memory-queries', 'Memory while the queries run (platform RSS after each load step)', ['events', 'samples', 'max RSS MiB'], [steps[steps.length - 1]!, querying.length, round(queryMax)], {});
}

const timed = async (times: number[], request: () => Promise<Response>): Promise<void> => {
  const t = performance.now();
  const r = await request();
  await r.arrayBuffer();
  if (r.status !== 200) throw new Error(`answered ${r.status}`);
  times.push(performance.now() - t);
};
const postSql = (url: string, sql: string, params?: Record<string, unknown>): Promise<Response> =>
  fetch(`${url}/v1/sql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sql, ...(params && { params }) }) });

/**
 * The aggregates API and a pipe cached (the same request again, no write between) and uncached (a
 * bound one millisecond later each time: the same windows, another cache entry), and SQL on read over every
 * event stored (all of them also in the cold tables: each view anti-joins its cold rows against
 * the hot keys of the same days).
 */
async function sqlLatencies(ctx: BenchContext, url: string, target: number, endTs: number, requests: number): Promise<void> {
  const hour = `/v1/aggregates/page-views?window=1m&from=${endTs - 3_600_000}`;
  const cached: number[] = [];
  const uncached: number[] = [];
  for (let i = 0; i < requests; i++) {
    await timed(cached, () => fetch(`${url}${hour}&to=${endTs}`));
    await timed(uncached, () => fetch(`${url}${hour}&to=${endTs + 1 + i}`));
  }
  // A pipe over the aggregation (its top pages since a time): the same call again is cached, one
  // with `from` a millisecond later each time is not (the same windows, another entry).
  const defined = await fetch(`${url}/v1/pipes/bench_top_pages`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      sql: "SELECT group_key AS page, sum(count)::BIGINT AS views FROM page_views WHERE window_size = '1m' AND window_start_time >= $from GROUP BY page ORDER BY views DESC, page",
      params: { from: { type: 'TIMESTAMP', required: true } },
    }),
  });
  if (defined.status !== 201 && defined.status !== 200) throw new Error(`defining the bench pipe answered ${defined.status}: ${await defined.text()}`);
  const pipeCached: number[] = [];
  const pipeUncached: number[] = [];
  for (let i = 0; i < requests; i++) {
    await timed(pipeCached, () => fetch(`${url}/v1/pipes/bench_top_pages?from=${endTs - 3_600_000}&limit=10`));
    await timed(pipeUncached, () => fetch(`${url}/v1/pipes/bench_top_pages?from=${endTs - 3_600_000 + 1 + i}&limit=10`));
  }
  for (const [name, times] of [
    ['aggregates 1m, last hour, cached', cached],
    ['aggregates 1m, last hour, uncached', uncached],
    ['pipe: top 10 pages, last hour, cached', pipeCached],
    ['pipe: top 10 pages, last hour, uncached', pipeUncached],
  ] as const) {
    const s = summarize(times);
    ctx.log(`cache @${target}: ${name}: p50 ${round(s.p50, 2)} ms, p99 ${round(s.p99, 2)} ms`);
    await ctx.sink.record('cache', 'Aggregate latency, cached and uncached', ['events stored', 'query', 'p50 ms', 'p99 ms'], [target, name, round(s.p50, 2), round(s.p99, 2)], { target, name, latency: s });
  }
  const statements: Record<string, [string, Record<string, unknown>?]> = {
    'count(*) of every event': ['SELECT count(*) FROM events'],
    'events by type, last hour (pruned)': ['SELECT type, count(*) FROM events WHERE event_time >= $since GROUP BY type', { since: { type: 'TIMESTAMP', value: endTs - 3_600_000 } }],
    'top 10 pages of the day': ["SELECT payload->>'$.page' AS page, count(*) AS n FROM events GROUP BY page ORDER BY n DESC LIMIT 10"],
    "one user's events": ["SELECT id, event_time FROM events WHERE user_id = $user ORDER BY event_time DESC LIMIT 100", { user: 'u42' }],
    'windows of one page (aggregation view)': ["SELECT window_start, count FROM page_views WHERE window_size = '5m' AND group_key = $page ORDER BY window_start", { page: '/product/1007' }],
  };
  // Statements over 10M rows take seconds each: ten runs give the median and the slowest.
  const runs = Math.min(10, Math.max(5, Math.round(requests / 10)));
  for (const [name, [sql, params]] of Object.entries(statements)) {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) await timed(times, () => postSql(url, sql, params));
    const s = summarize(times);
    ctx.log(`sql @${target}: ${name}: p50 ${round(s.p50, 2)} ms, p99 ${round(s.p99, 2)} ms`);
    await ctx.sink.record('sql', 'SQL on read latency (POST /v1/sql, sequential, JSON)', ['events stored', 'statement', 'p50 ms', 'p99 ms'], [target, name, round(s.p50, 2), round(s.p99, 2)], { target, name, sql, latency: s });
  }
}

/**
 * Ingestion at a steady rate alone, then while two clients keep runaway statements running (each
 * interrupted at sql.statementTimeout, then sent again): SQL runs on connections of its own and
 * holds no lock a commit waits for, so the rate holds while the CPU lets it (two cores here: the
 * statements take DuckDB's threads).
 */
async function ingestBesideRunawaySql(ctx: BenchContext, url: string, endTs: number): Promise<void> {
  // At a steady 20,000 events a second (the rate the README's machine sustains with room to
  // spare), for 25 s (5 s in the short run): the rate holds or it does not.
  const rate = 20_000;
  const events = (ctx.short ? 5 : 25) * rate;
  const load = (prefix: string) =>
    runLoad({ url, shape: 'small', batchSize: 1000, batches: events / 1000, concurrency: 4, startTimestamp: endTs, msPerEvent: 1, idPrefix: prefix, targetRate: rate });
  const alone = await load('iso-a');
  let running = true;
  let statements = 0;
  const runaway = async (): Promise<void> => {
    while (running) {
      const r = await postSql(url, 'SELECT count(*) FROM range(100000) a, range(100000) b WHERE a.range + b.range = -1');
      await r.arrayBuffer();
      statements++;
    }
  };
  const clients = [runaway(), runaway()];
  const beside = await load('iso-b');
  running = false;
  await Promise.all(clients);
  for (const [name, report] of [['alone', alone], ['beside 2 runaway SQL statements', beside]] as const) {
    const achieved = report.accepted / (report.elapsedMs / 1000);
    ctx.log(`isolation: ingest ${name}: ${round(achieved)} events/s, ${report.throttled} throttled`);
    const p99 = summarize(report.latenciesMs).p99;
    await ctx.sink.record('sql-isolation', 'Ingest at 20,000 events/s with and without runaway SQL', ['ingest', 'events', 'events/s', 'request p99 ms', 'throttled', 'runaway statements'], [name, report.accepted, round(achieved), round(p99, 1), report.throttled, name === 'alone' ? 0 : statements], { report: { ...report, latenciesMs: undefined } });
  }
}
