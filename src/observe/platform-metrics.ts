import { Counter, Gauge, type Registry } from 'prom-client';
import { type ColdStore, totalsByDataset } from '../core/ports/cold-store.js';
import type { StoreAdmin } from '../core/ports/store-admin.js';
import type { Log } from '../core/ports/log.js';
import type { ProcessingView } from '../process/processing-view.js';

export interface PlatformMetricSources {
  log: Log;
  topic: string;
  /** Absent on a node that does not process (distributed mode). */
  processor?: ProcessingView;
  /** Absent on a node that does not serve (distributed mode). */
  stores?: { hot: StoreAdmin; cold: ColdStore; coldRowsWritten: () => Record<string, number> };
  /** Distributed mode: the partitions this node processes, and its sink's backlog per rows-topic partition. */
  distributed?: { partitions?: () => number[]; sinkBacklog?: () => Map<number, number> };
}

/**
 * The metrics specific to each stage, beside the base set: log offsets and skew, the pipeline's
 * watermark, event-time lag, consumer lag, dedup hits and late events, store sizes. They read the
 * components' own state when Prometheus scrapes, so nothing on the hot path pays for them.
 */
export function registerPlatformMetrics(registry: Registry, sources: PlatformMetricSources): void {
  const registers = [registry];
  const { log, topic, processor, stores } = sources;

  const perPartition = (name: string, help: string, pick: (p: ReturnType<Log['stats']>['topics'][number]['partitions'][number]) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['topic', 'partition'],
      registers,
      collect() {
        this.reset();
        for (const t of log.stats().topics) for (const p of t.partitions) this.set({ topic: t.topic, partition: p.partition }, pick(p));
      },
    });
  perPartition('sightline_log_end_offset', 'Next offset to be written, per topic and partition.', (p) => p.endOffset);
  perPartition('sightline_log_size_bytes', 'Bytes on disk, per topic and partition.', (p) => p.bytes);
  new Gauge({
    name: 'sightline_log_partition_skew_ratio',
    help: 'Records in the fullest partition over the mean per partition (1 = even).',
    labelNames: ['topic'],
    registers,
    collect() {
      this.reset();
      for (const t of log.stats().topics) {
        const ends = t.partitions.map((p) => p.endOffset);
        const mean = ends.reduce((a, b) => a + b, 0) / Math.max(1, ends.length);
        this.set({ topic: t.topic }, mean === 0 ? 1 : Math.max(...ends) / mean);
      }
    },
  });
  new Counter({
    name: 'sightline_log_fsyncs_total',
    help: 'fdatasync calls of the log (each covers every append waiting at that moment).',
    registers,
    collect() {
      this.reset();
      this.inc(log.stats().fsyncs);
    },
  });

  if (processor) registerProcessingMetrics(registers, topic, processor);
  if (stores) registerStoreMetrics(registers, stores);
  if (sources.distributed) registerDistributedMetrics(registers, sources.distributed);
}

function registerDistributedMetrics(registers: Registry[], sources: NonNullable<PlatformMetricSources['distributed']>): void {
  const { partitions, sinkBacklog } = sources;
  if (partitions) {
    new Gauge({
      name: 'sightline_processor_partitions',
      help: 'Events partitions this processing node holds (its share of the consumer group).',
      registers,
      collect() {
        this.set(partitions().length);
      },
    });
  }
  if (sinkBacklog) {
    new Gauge({
      name: 'sightline_sink_lag_records',
      help: 'Records of the rows topic (processed batches) not yet loaded into this serving node, per partition.',
      labelNames: ['partition'],
      registers,
      collect() {
        this.reset();
        for (const [partition, lag] of sinkBacklog()) this.set({ partition }, lag);
      },
    });
  }
}

function registerProcessingMetrics(registers: Registry[], topic: string, processor: ProcessingView): void {
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

}

function registerStoreMetrics(registers: Registry[], sources: NonNullable<PlatformMetricSources['stores']>): void {
  // Gauges fed by one reading (row counts and size, the cold listing) read it once per scrape.
  const hotStats = oncePerScrape(() => sources.hot.stats());
  new Gauge({
    name: 'sightline_hot_store_rows',
    help: 'Rows per table of the hot store.',
    labelNames: ['table'],
    registers,
    async collect() {
      this.reset();
      for (const t of (await hotStats()).tables) this.set({ table: t.table }, t.rows);
    },
  });
  new Gauge({
    name: 'sightline_hot_store_size_bytes',
    help: 'Bytes of the hot store on disk (database file and WAL).',
    registers,
    async collect() {
      this.set((await hotStats()).bytes);
    },
  });
  const coldDatasets = oncePerScrape(() => sources.cold.list('').then(totalsByDataset));
  new Gauge({
    name: 'sightline_cold_store_files',
    help: 'Parquet files per dataset in the cold store.',
    labelNames: ['dataset'],
    registers,
    async collect() {
      this.reset();
      for (const [dataset, d] of await coldDatasets()) this.set({ dataset }, d.files);
    },
  });
  new Gauge({
    name: 'sightline_cold_store_size_bytes',
    help: 'Bytes of Parquet per dataset in the cold store.',
    labelNames: ['dataset'],
    registers,
    async collect() {
      this.reset();
      for (const [dataset, d] of await coldDatasets()) this.set({ dataset }, d.bytes);
    },
  });
  new Counter({
    name: 'sightline_cold_store_rows_written_total',
    help: 'Rows exported to Parquet per dataset (since start).',
    labelNames: ['dataset'],
    registers,
    collect() {
      this.reset();
      for (const [dataset, rows] of Object.entries(sources.coldRowsWritten())) this.inc({ dataset }, rows);
    },
  });
}

/** `read` at most once a second: the gauges of one scrape share one store query or listing. */
function oncePerScrape<T>(read: () => Promise<T>): () => Promise<T> {
  let last: { at: number; value: Promise<T> } | undefined;
  return () => {
    if (!last || Date.now() - last.at > 1000) last = { at: Date.now(), value: read() };
    return last.value;
  };
}
