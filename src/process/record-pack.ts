import { REPLAY_OF_HEADER } from '../core/dead-letter.js';
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
  /** The distinct traceparent headers (the only header the planner reads) ... */
  traceparents: string[];
  /** ... and each record's index into them, -1 for none: a batch holds few distinct ones. */
  traceparentOf: Int32Array;
  /** Records replayed from the dead-letter queue: [index, dead letter id]; few or none. */
  replayOf: Array<[number, string]>;
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
  const traceparents: string[] = [];
  const index = new Map<string, number>();
  const traceparentOf = new Int32Array(records.length);
  const replayOf: Array<[number, string]> = [];
  records.forEach((r, i) => {
    const replayed = r.headers[REPLAY_OF_HEADER];
    if (replayed !== undefined) replayOf.push([i, replayed]);
    const tp = r.headers.traceparent;
    if (tp === undefined) {
      traceparentOf[i] = -1;
      return;
    }
    let n = index.get(tp);
    if (n === undefined) {
      n = traceparents.push(tp) - 1;
      index.set(tp, n);
    }
    traceparentOf[i] = n;
  });
  return { topic, values: values.buffer, meta, keys: records.map((r) => r.key), traceparents, traceparentOf, replayOf };
}

export function unpackRecords(packed: PackedRecords): LogRecord[] {
  const values = Buffer.from(packed.values);
  // One headers object per distinct traceparent, shared by its records (the planner only reads them).
  const headers = packed.traceparents.map((traceparent) => ({ traceparent }));
  const none = {};
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
      headers: packed.traceparentOf[i]! >= 0 ? headers[packed.traceparentOf[i]!]! : none,
    };
  }
  for (const [i, id] of packed.replayOf) out[i]!.headers = { ...out[i]!.headers, [REPLAY_OF_HEADER]: id };
  return out;
}
