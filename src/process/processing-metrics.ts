import { Counter, Gauge, type Registry } from 'prom-client';
import type { ProcessingView } from './processing-view.js';

/**
 * The pipeline's metrics beside the base set: consumer lag, watermarks (the pipeline's and each
 * stream's) and event-time lag, last
 * commit, stalls, dedup hits, late events, enrichment misses and version mismatches; on a node that
 * holds a share of the partitions, how many. Read from the processors' state when Prometheus scrapes.
 */
export function registerProcessingMetrics(registry: Registry, topic: string, processor: ProcessingView): void {
  const registers = [registry];
  const pipeline = processor.pipeline;
  new Gauge({
    name: 'sightline_consumer_lag_events',
    help: 'Events in the log not yet committed to the hot store, per pipeline, topic and partition.',
    labelNames: ['pipeline', 'topic', 'partition'],
    registers,
    collect() {
      this.reset();
      for (const [partition, lag] of processor.backlog()) this.set({ pipeline, topic, partition }, lag);
    },
  });
  new Gauge({
    name: 'sightline_pipeline_watermark_timestamp_seconds',
    help: "The pipeline's event-time watermark, as Unix time.",
    labelNames: ['pipeline'],
    registers,
    collect() {
      this.reset();
      if (processor.watermark !== null) this.set({ pipeline }, processor.watermark / 1000);
    },
  });
  new Gauge({
    name: 'sightline_stream_watermark_timestamp_seconds',
    help: "Each stream's (source/type) event-time watermark, as Unix time: a stream's events older than this minus its allowed lateness are late.",
    labelNames: ['pipeline', 'stream'],
    registers,
    collect() {
      this.reset();
      for (const s of processor.streams()) if (s.watermark !== null) this.set({ pipeline, stream: s.stream }, s.watermark / 1000);
    },
  });
  new Gauge({
    name: 'sightline_pipeline_event_time_lag_seconds',
    help: 'Wall clock minus the watermark: how far behind real time the pipeline has processed event time.',
    labelNames: ['pipeline'],
    registers,
    collect() {
      this.reset();
      if (processor.watermark !== null) this.set({ pipeline }, (Date.now() - processor.watermark) / 1000);
    },
  });
  new Gauge({
    name: 'sightline_pipeline_last_commit_timestamp_seconds',
    help: 'When the pipeline last committed a batch to the hot store, as Unix time.',
    labelNames: ['pipeline'],
    registers,
    collect() {
      this.set({ pipeline }, processor.health().lastBatchAt / 1000);
    },
  });
  new Gauge({
    name: 'sightline_pipeline_stalled',
    help: '1 while the pipeline retries a failing batch, else 0.',
    labelNames: ['pipeline'],
    registers,
    collect() {
      this.set({ pipeline }, processor.health().ok ? 0 : 1);
    },
  });
  const totals = (name: string, help: string, read: () => number) =>
    new Counter({
      name,
      help,
      labelNames: ['pipeline'],
      registers,
      collect() {
        this.reset();
        this.inc({ pipeline }, read());
      },
    });
  totals('sightline_pipeline_dedup_hits_total', 'Events dropped as repeats of an event id already stored (since start).', () => processor.counters.duplicates);
  totals('sightline_pipeline_late_events_total', 'Events stored on the late path, not counted in windows (since start).', () => processor.counters.late);
  totals('sightline_pipeline_enrichment_misses_total', 'Events with no reference row for their join key.', () => processor.counters.enrichmentMisses);
  totals('sightline_pipeline_version_mismatches_total', 'Events whose contract version the pipeline does not accept.', () => processor.counters.versionMismatches);
  const partitions = processor.partitions;
  if (partitions) {
    new Gauge({
      name: 'sightline_processor_partitions',
      help: 'Events partitions this processing node holds (its share of the consumer group).',
      registers,
      collect() {
        this.set(partitions.call(processor).length);
      },
    });
  }
}
