import type { LogRecord } from '../core/ports/log.js';

/**
 * Log records packed for a worker thread: the values copied into one buffer (transferred, not
 * cloned) and a number array of (partition, offset, timestamp, start, end) per record. A record's
 * value is a view into a larger read buffer; posting the views would clone every whole buffer.
 */
export interface PackedRecords {
  topic: string;
  values: ArrayBuffer;
  meta: Float64Array;
  keys: string[];
  /** Each record's traceparent header (the only header the planner reads), or null. */
  traceparents: Array<string | null>;
}

export function packRecords(topic: string, records: readonly LogRecord[]): PackedRecords {
  let total = 0;
  for (const r of records) total += r.value.length;
  const values = new Uint8Array(total);
  const meta = new Float64Array(records.length * 5);
  let pos = 0;
  records.forEach((r, i) => {
    values.set(r.value, pos);
    meta.set([r.partition, r.offset, r.timestamp, pos, pos + r.value.length], i * 5);
    pos += r.value.length;
  });
  return { topic, values: values.buffer, meta, keys: records.map((r) => r.key), traceparents: records.map((r) => r.headers.traceparent ?? null) };
}

export function unpackRecords(packed: PackedRecords): LogRecord[] {
  const values = Buffer.from(packed.values);
  const out: LogRecord[] = new Array(packed.keys.length);
  for (let i = 0; i < out.length; i++) {
    const m = i * 5;
    out[i] = {
      topic: packed.topic,
      partition: packed.meta[m]!,
      offset: packed.meta[m + 1]!,
      timestamp: packed.meta[m + 2]!,
      key: packed.keys[i]!,
      value: values.subarray(packed.meta[m + 3]!, packed.meta[m + 4]!),
      headers: packed.traceparents[i] ? { traceparent: packed.traceparents[i]! } : {},
    };
  }
  return out;
}
