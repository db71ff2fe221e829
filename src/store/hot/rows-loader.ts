import type { Logger } from 'pino';
import { SightlineError } from '../../core/errors.js';
import type { BatchStore } from '../../core/ports/hot-store.js';
import type { FinalBounds, ProcessedBatch } from '../../core/ports/processed-batch.js';
import type { Log, LogConsumer, LogRecord, PartitionOffsets } from '../../core/ports/log.js';
import type { ComponentMetrics } from '../../observe/metrics.js';
import { decodeBatchChunk, type PartitionProgress } from '../../core/batch-chunk.js';
import { pipelineTopics, sinkGroup } from '../../core/pipeline-topics.js';

export interface RowsLoaderOptions {
  log: Log;
  hot: BatchStore;
  pipeline: string;
  logger: Logger;
  metrics?: ComponentMetrics;
}

const RETRY_DELAY_MS = 1000;
const POLL_RECORDS = 64;
/** Records loaded in one hot-store transaction, at most this many bytes together. */
const MAX_TRANSACTION_BYTES = 32 * 1024 * 1024;

/** The hot store's bookkeeping name for one partition of the pipeline's rows topic. */
export function sinkPipeline(pipeline: string, partition: number): string {
  return `${pipeline}#${partition}`;
}

/**
 * Loads what the processors committed (the rows topic, read_committed) into this serving node's
 * hot store. Each record commits in one DuckDB transaction together with its rows-topic offset,
 * kept per partition, so a crash anywhere resumes at the first record not loaded: exactly once.
 * Window counts arrive as each partition's share and are summed into `aggregates`; a window is
 * final once every partition that has processed anything is past it.
 */
export class RowsLoader {
  private consumer: LogConsumer | undefined;
  private loop: Promise<void> | undefined;
  private stopping = false;
  private readonly topic: string;
  private progress = new Map<number, PartitionProgress>();
  private readonly loaded: PartitionOffsets = new Map();
  /** Records polled and not loaded yet, per partition. */
  private readonly inHand = new Map<number, number>();
  private lastError: string | null = null;
  private lastLoadAt = Date.now();
  readonly counters = { records: 0, rows: 0, failures: 0 };

  constructor(private readonly options: RowsLoaderOptions) {
    this.topic = pipelineTopics(options.pipeline).rows;
  }

  async start(): Promise<void> {
    const { log, hot, pipeline } = this.options;
    const partitions = log.partitionCount(this.topic);
    const consumer = await log.consumer(sinkGroup(pipeline), this.topic);
    for (let p = 0; p < partitions; p++) {
      const checkpoint = await hot.loadCheckpoint(sinkPipeline(pipeline, p), partitions);
      const next = checkpoint.offsets.get(p) ?? 0;
      this.loaded.set(p, next);
      consumer.seek(p, next);
      if (checkpoint.commitNo > 0) {
        this.progress.set(p, { offset: 0, watermark: checkpoint.watermark, streams: checkpoint.streams, finalBounds: checkpoint.finalBounds, duplicates: checkpoint.duplicates, late: checkpoint.late });
      }
    }
    this.consumer = consumer;
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    const consumer = this.consumer!;
    while (!this.stopping) {
      let records: LogRecord[];
      try {
        records = await consumer.poll(POLL_RECORDS, 200);
      } catch (err) {
        this.fail(err);
        await sleep(RETRY_DELAY_MS);
        continue;
      }
      for (const r of records) this.inHand.set(r.partition, (this.inHand.get(r.partition) ?? 0) + 1);
      for (const group of byBytes(records, MAX_TRANSACTION_BYTES)) {
        while (!this.stopping) {
          try {
            await this.load(group);
            this.lastError = null;
            break;
          } catch (err) {
            this.fail(err);
            await sleep(RETRY_DELAY_MS);
          }
        }
      }
    }
  }

  private fail(err: unknown): void {
    this.counters.failures++;
    this.lastError = (err as Error).message;
    this.options.metrics?.error(err instanceof SightlineError ? err.code : 'SL_STORE_WRITE_FAILED');
    this.options.logger.error({ err }, 'loading processed rows into the hot store failed; retrying');
  }

  /** Loads records in one hot-store transaction, each as its own commit with its partition's offset. */
  private async load(records: readonly LogRecord[]): Promise<void> {
    const { hot, pipeline } = this.options;
    const progress = new Map(this.progress);
    const unloaded = this.partitionsWithUnloadedRecords();
    const batches: ProcessedBatch[] = [];
    let rowCount = 0;
    let bytes = 0;
    for (const record of records) {
      const { header, rows } = decodeBatchChunk(record.value, `record ${record.offset} of ${record.topic}/${record.partition}`);
      const partition = record.partition;
      const next: PartitionProgress = {
        offset: header.offset,
        watermark: header.watermark,
        streams: header.streams ?? [],
        finalBounds: header.finalBounds ?? {},
        duplicates: header.duplicates,
        late: header.late,
      };
      progress.set(partition, next);
      batches.push({
        pipeline: sinkPipeline(pipeline, partition),
        rows: { count: header.rowCount, ndjson: rows },
        windows: header.windows ?? [],
        finalBounds: next.finalBounds,
        watermark: header.watermark,
        streams: next.streams,
        offsets: new Map([[partition, record.offset + 1]]),
        duplicates: header.duplicates,
        late: header.late,
        ...(header.quality && { quality: header.quality }),
        ...(header.lineage && { lineage: header.lineage }),
        ...(header.traceRuns && { traceRuns: header.traceRuns }),
        scope: { partition, finalizeAggregates: finalizeBounds(progress, unloaded) },
      });
      rowCount += header.rowCount;
      bytes += rows.length;
    }
    await hot.commitAll(batches);
    this.progress = progress;
    for (const record of records) {
      this.loaded.set(record.partition, record.offset + 1);
      this.inHand.set(record.partition, (this.inHand.get(record.partition) ?? 1) - 1);
    }
    this.counters.records += records.length;
    this.counters.rows += rowCount;
    this.lastLoadAt = Date.now();
    this.options.metrics?.sent(rowCount, bytes);
  }

  /** Partitions with records read and not loaded yet, or not read yet. */
  private partitionsWithUnloadedRecords(): Set<number> {
    const out = new Set<number>();
    for (const [p, n] of this.backlog()) if (n > 0) out.add(p);
    return out;
  }

  /**
   * Records of the rows topic not yet loaded, per partition: those not read yet and those read but
   * not loaded. The read position, not the last loaded offset, is the base: every transaction
   * leaves a commit marker that takes an offset and is never loaded.
   */
  backlog(): Map<number, number> {
    const ends = this.options.log.endOffsets(this.topic);
    const positions = this.consumer?.positions() ?? new Map<number, number>();
    const out = new Map<number, number>();
    for (const [p, end] of ends) {
      const read = Math.max(positions.get(p) ?? 0, this.loaded.get(p) ?? 0);
      out.set(p, Math.max(0, end - read) + (this.inHand.get(p) ?? 0));
    }
    return out;
  }

  /** The lowest watermark among the partitions loaded. */
  get watermark(): number | null {
    let low: number | null = null;
    for (const { watermark } of this.progress.values()) if (watermark !== null && (low === null || watermark < low)) low = watermark;
    return low;
  }

  /** Duplicates and late events over every partition, as the processors counted them. */
  totals(): { duplicates: number; late: number } {
    let duplicates = 0;
    let late = 0;
    for (const p of this.progress.values()) {
      duplicates += p.duplicates;
      late += p.late;
    }
    return { duplicates, late };
  }

  health(): { ok: boolean; reason: string | null; lastLoadAt: number } {
    return { ok: this.lastError === null, reason: this.lastError, lastLoadAt: this.lastLoadAt };
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop;
    await this.consumer?.close();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Each aggregation's windows ending by its bound are final: the lowest bound among partitions that
 * have one for it. A partition with records this node has not loaded yet (in hand, or not read) may
 * hold a share of any open window, so until one of its records is loaded nothing is final; a
 * partition that never counted an aggregation's streams does not hold its windows back.
 */
function finalizeBounds(progress: ReadonlyMap<number, PartitionProgress>, unloaded: ReadonlySet<number>): FinalBounds {
  for (const p of unloaded) if (!progress.has(p)) return {};
  const out: FinalBounds = {};
  for (const { finalBounds } of progress.values()) {
    for (const [name, through] of Object.entries(finalBounds)) {
      const low = out[name];
      if (low === undefined || through < low) out[name] = through;
    }
  }
  return out;
}

/** Consecutive runs of records of at most `maxBytes` together (a larger record is a run of its own). */
function byBytes(records: readonly LogRecord[], maxBytes: number): LogRecord[][] {
  const groups: LogRecord[][] = [];
  let current: LogRecord[] = [];
  let bytes = 0;
  for (const record of records) {
    if (current.length > 0 && bytes + record.value.length > maxBytes) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(record);
    bytes += record.value.length;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}
