import { IS_CONTROL, IS_TRANSACTIONAL, type RecordsBatch } from '@platformatic/kafka';
import type { LogRecord } from '../../core/ports/log.js';

/** An aborted transaction as a read_committed fetch response lists it. */
export interface AbortedTransaction {
  producerId: bigint;
  firstOffset: bigint;
}

const ABORT_MARKER = 0;

/**
 * The records of one partition's fetched batches at or after `from`, as the port's LogRecord,
 * and the offset to fetch next. A fetch returns whole batches, so the first may start before
 * `from`; control batches (transaction markers) take offsets but hold no records.
 *
 * `aborted` is the response's list for the partition (read_committed). The client drops aborted
 * batches itself, but keeps only one range per producer id, and every writer sharing a
 * transactional id shares a producer id: with two aborted transactions in one response the
 * earlier one's records came through. So they are dropped here as Kafka's Java consumer does:
 * a producer's transactional batches are skipped from its aborted transaction's first offset
 * until its abort marker.
 */
export function decodeBatches(
  topic: string,
  partition: number,
  batches: readonly RecordsBatch[],
  from: number,
  aborted: readonly AbortedTransaction[] = [],
): { records: LogRecord[]; next: number } {
  const records: LogRecord[] = [];
  const pending = [...aborted].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
  const abortedProducers = new Set<bigint>();
  let next = from;
  for (const batch of batches) {
    const firstOffset = Number(batch.firstOffset);
    const lastOffset = batch.firstOffset + BigInt(batch.lastOffsetDelta);
    next = Math.max(next, firstOffset + batch.lastOffsetDelta + 1);
    while (pending.length > 0 && pending[0]!.firstOffset <= lastOffset) abortedProducers.add(pending.shift()!.producerId);
    if (batch.attributes & IS_CONTROL) {
      if (batch.records[0]?.key?.readInt16BE(2) === ABORT_MARKER) abortedProducers.delete(batch.producerId);
      continue;
    }
    if (batch.attributes & IS_TRANSACTIONAL && abortedProducers.has(batch.producerId)) continue;
    for (const record of batch.records) {
      const offset = firstOffset + record.offsetDelta;
      if (offset < from) continue;
      const headers: Record<string, string> = {};
      for (const [k, v] of record.headers) headers[k?.toString() ?? ''] = v?.toString() ?? '';
      records.push({
        topic,
        partition,
        offset,
        key: record.key?.toString() ?? '',
        value: record.value ?? Buffer.alloc(0),
        timestamp: Number(batch.firstTimestamp + record.timestampDelta),
        headers,
      });
    }
  }
  return { records, next };
}
