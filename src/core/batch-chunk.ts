import { SightlineError } from './errors.js';
import type { ProcessorCounters } from './processor-counters.js';
import type { CommitLineage, FinalBounds, ProcessedBatch, QualityCount, StreamTime, TraceRun, WindowCount } from './ports/processed-batch.js';

/** One partition's processed state after a batch, repeated in every chunk of it. */
export interface PartitionProgress {
  /** The next offset of the events partition to read. */
  offset: number;
  watermark: number | null;
  streams: StreamTime[];
  finalBounds: FinalBounds;
  duplicates: number;
  late: number;
  counters?: ProcessorCounters;
}

/**
 * A chunk of one processor commit on the rows topic: a JSON header line, then the chunk's rows as
 * the hot store's NDJSON. The last chunk also carries the window counts, quality counts, lineage
 * and trace runs. All chunks of a commit are written in one Kafka transaction, so a read_committed
 * sink sees all of them or none.
 */
export interface BatchChunk extends PartitionProgress {
  v: 1;
  /** The processor's commit number on this partition, and the chunk's place in it. */
  commitNo: number;
  chunk: number;
  chunks: number;
  rowCount: number;
  windows?: WindowCount[];
  quality?: QualityCount[];
  lineage?: CommitLineage;
  traceRuns?: TraceRun[];
}

const NEWLINE = 0x0a;

/**
 * Cuts the batch's rows at line ends into chunks of at most `maxBytes` (a row larger than that is
 * a chunk of its own: the topic's record limit is above the largest event ingest accepts).
 *
 * Only the last chunk carries the batch's new `progress`; the others carry `before` (the
 * partition's progress before the batch). A reader loading chunks one at a time (or stopped
 * between them) must not finalize a window before the chunk with its new share is in.
 */
export function encodeBatchChunks(batch: ProcessedBatch, commitNo: number, progress: PartitionProgress, maxBytes: number, before: PartitionProgress = progress): Buffer[] {
  const ndjson = Buffer.from(batch.rows.ndjson.buffer, batch.rows.ndjson.byteOffset, batch.rows.ndjson.byteLength);
  const pieces: Array<{ from: number; to: number; rows: number }> = [];
  let from = 0;
  while (from < ndjson.length) {
    let to = from;
    let rows = 0;
    // Whole lines until the next one would pass maxBytes.
    for (;;) {
      const end = ndjson.indexOf(NEWLINE, to);
      const lineEnd = end < 0 ? ndjson.length : end + 1;
      if (rows > 0 && lineEnd - from > maxBytes) break;
      to = lineEnd;
      rows++;
      if (to >= ndjson.length) break;
    }
    pieces.push({ from, to, rows });
    from = to;
  }
  if (pieces.length === 0) pieces.push({ from: 0, to: 0, rows: 0 });
  return pieces.map((piece, i) => {
    const last = i === pieces.length - 1;
    const header: BatchChunk = {
      v: 1,
      commitNo,
      chunk: i,
      chunks: pieces.length,
      rowCount: piece.rows,
      ...(last ? progress : before),
      ...(last && {
        windows: batch.windows,
        ...(batch.quality && batch.quality.length > 0 && { quality: batch.quality }),
        ...(batch.lineage && { lineage: batch.lineage }),
        ...(batch.traceRuns && batch.traceRuns.length > 0 && { traceRuns: batch.traceRuns }),
      }),
    };
    return Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`), ndjson.subarray(piece.from, piece.to)]);
  });
}

export function decodeBatchChunk(value: Buffer, where: string): { header: BatchChunk; rows: Uint8Array } {
  const end = value.indexOf(NEWLINE);
  let header: BatchChunk | undefined;
  if (end > 0) {
    try {
      header = JSON.parse(value.subarray(0, end).toString('utf8')) as BatchChunk;
    } catch {
      // reported below
    }
  }
  if (!header || header.v !== 1 || typeof header.offset !== 'number' || typeof header.rowCount !== 'number') {
    throw new SightlineError('SL_LOG_CORRUPT', `${where} is not a processed batch this version of Sightline wrote`);
  }
  return { header, rows: value.subarray(end + 1) };
}
