import { IS_CONTROL, type RecordsBatch } from '@platformatic/kafka';
import type { LogRecord } from '../../core/ports/log.js';

/**
 * The records of one partition's fetched batches at or after `from`, as the port's LogRecord,
 * and the offset to fetch next. A fetch returns whole batches, so the first may start before
 * `from`; control batches (transaction markers) take offsets but hold no records.
 */
export function decodeBatches(topic: string, partition: number, batches: readonly RecordsBatch[], from: number): { records: LogRecord[]; next: number } {
  const records: LogRecord[] = [];
  let next = from;
  for (const batch of batches) {
    const firstOffset = Number(batch.firstOffset);
    next = Math.max(next, firstOffset + batch.lastOffsetDelta + 1);
    if (batch.attributes & IS_CONTROL) continue;
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
