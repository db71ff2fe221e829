import { Counter, Gauge, type Registry } from 'prom-client';
import type { Log } from '../core/ports/log.js';

/**
 * The log's own metrics beside the base set: end offsets, sizes and skew per partition, fsyncs.
 * They read the log's state when Prometheus scrapes, so nothing on the hot path pays for them.
 */
export function registerLogMetrics(registry: Registry, log: Log): void {
  const registers = [registry];

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
}
