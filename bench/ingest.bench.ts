import type { BenchContext } from './lib/context.js';
import { startBenchPlatform } from './lib/context.js';
import type { EventShape } from './lib/events.js';
import { runLoad } from './lib/load.js';
import { round, summarize } from './lib/stats.js';

/**
 * HTTP ingest at rising concurrency, for the ~200-byte page view and a ~1 KB event: accepted
 * events/s, MB/s and request latency, up to the point where the platform pushes back (429) or
 * stops getting faster. The platform also processes what it accepts, as it would in production.
 */
export async function ingestBench(ctx: BenchContext): Promise<void> {
  const shapes: Array<{ shape: EventShape; events: number }> = ctx.short
    ? [{ shape: 'small', events: 10_000 }, { shape: 'wide', events: 4_000 }]
    : [{ shape: 'small', events: 400_000 }, { shape: 'wide', events: 100_000 }];
  // --short: one level, each a platform of its own to start (most of a short run's time); 4 runs
  // the load generator's concurrent path, as the full run's higher levels do.
  const levels = ctx.short ? [4] : [1, 2, 4, 8, 16, 32];
  const batchSize = 1000;
  for (const { shape, events } of shapes) {
    let bestRate = 0;
    for (const concurrency of levels) {
      const platform = await startBenchPlatform(ctx, `ingest-${shape}-${concurrency}`);
      try {
        const report = await runLoad({
          url: platform.url,
          shape,
          batchSize,
          batches: events / batchSize,
          concurrency,
          startTimestamp: Date.now() - 3_600_000,
          msPerEvent: 3_600_000 / events,
          idPrefix: `i${concurrency}`,
          targetRate: 0,
        });
        if (report.errors > 0) throw new Error(`${report.errors} requests failed`);
        const rate = (report.accepted / report.elapsedMs) * 1000;
        const mbps = report.bytes / 2 ** 20 / (report.elapsedMs / 1000);
        const latency = summarize(report.latenciesMs);
        ctx.log(`ingest ${shape} c=${concurrency}: ${Math.round(rate)} events/s, ${round(mbps)} MB/s, p50 ${round(latency.p50)} ms, p99 ${round(latency.p99)} ms, 429s ${report.throttled}`);
        await ctx.sink.record(
          'ingest',
          'Ingest (HTTP batches of 1000 NDJSON events)',
          ['event', 'concurrency', 'accepted events/s', 'MB/s', 'p50 ms', 'p99 ms', '429 answers'],
          [shape === 'small' ? '~200 B' : '~1 KB', concurrency, Math.round(rate), round(mbps), round(latency.p50), round(latency.p99), report.throttled],
          { shape, concurrency, ...report, latenciesMs: undefined, latency },
        );
        if (shape === 'small') ctx.shared.ingestRate = Math.max(ctx.shared.ingestRate ?? 0, rate);
        const pushedBack = report.throttled > 0;
        const flat = rate < bestRate * 1.03;
        bestRate = Math.max(bestRate, rate);
        if (pushedBack || (flat && concurrency >= 8)) break;
      } finally {
        await platform.stop();
      }
    }
  }
}
