/**
 * Sightline's side of the Kafka peer benchmark (bench/kafka-peer.bench.ts). A stub until the
 * Kafka Log adapter (issue 7) can be wired in: the bench reports it as n/a.
 */
import type { BenchContext } from './context.js';
import type { WindowCounts } from './kafka-page-views.js';

export interface KafkaSideResult {
  /** Input records per second, from the first record read to the last one processed. */
  rate: number;
  /** CPU of the pipeline's own process(es), all threads, per input record (not the broker's). */
  cpuUsPerEvent: number;
  /** Final page views per page and 1-minute window, keyed `page@windowStartMs` (see windowKey). */
  counts: WindowCounts;
}

export class NotImplementedError extends Error {}

/**
 * Runs Sightline's dedup + 1-minute page-view count over `n` records already on `topic` (12
 * partitions, keyed by event id, JSON envelopes) at `bootstrap`, and resolves once all n are
 * processed, with the rate, the CPU per event and the final counts, which the bench checks
 * against the distinct page views exactly as it checks the Kafka Streams peer's.
 *
 * To fill in: start `sightline process --log kafka://<bootstrap>` (or `up --log kafka://...`)
 * on a fresh data folder, with the page-view pipeline reading `topic` and, as the peer does, a
 * 5-minute dedup window and 1 minute of allowed lateness (late events stored, not dead-lettered,
 * so the counts compare); sample its CPU (bench/lib/cpu.ts) from its first read to its last;
 * read the 1m counts from GET /v1/aggregates/page-views?window=1m.
 */
export async function runSightlineOnKafka(_ctx: BenchContext, _bootstrap: string, _topic: string, _n: number): Promise<KafkaSideResult> {
  throw new NotImplementedError('Sightline on Kafka is not implemented yet: the Kafka Log adapter is not wired into `sightline process` (issue 7)');
}
