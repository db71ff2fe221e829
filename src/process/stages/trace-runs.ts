import type { LogRecord } from '../../core/ports/log.js';
import type { TraceRun } from '../../core/ports/processed-batch.js';

/** Runs of consecutive offsets per partition that carry one trace id: a batch has a few, not an id per row. */
export function traceRunsOf(records: readonly LogRecord[]): TraceRun[] {
  const runs: TraceRun[] = [];
  const open = new Map<number, TraceRun>();
  for (const record of records) {
    const traceId = traceIdOf(record.headers.traceparent);
    const current = open.get(record.partition);
    if (current && traceId === current.traceId && record.offset === current.toOffset + 1) {
      current.toOffset = record.offset;
      continue;
    }
    if (traceId === null) {
      open.delete(record.partition);
      continue;
    }
    const run = { partition: record.partition, fromOffset: record.offset, toOffset: record.offset, traceId };
    runs.push(run);
    open.set(record.partition, run);
  }
  return runs;
}

const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;

let lastTraceparent: string | undefined;
let lastTraceId: string | null = null;

/**
 * The trace id of a W3C traceparent, or null for none or a malformed one (or the all-zero id).
 * The records of a request share one traceparent, so the last answer is kept.
 */
function traceIdOf(traceparent: string | undefined): string | null {
  if (traceparent === undefined) return null;
  if (traceparent === lastTraceparent) return lastTraceId;
  const id = TRACEPARENT.exec(traceparent)?.[1];
  lastTraceparent = traceparent;
  lastTraceId = id === undefined || /^0+$/.test(id) ? null : id;
  return lastTraceId;
}
