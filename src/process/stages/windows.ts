import type { SightlineEvent } from '../../core/envelope.js';
import { readPath } from '../../core/envelope.js';
import type { WindowCount } from '../../core/ports/processed-batch.js';
import { windowKey } from '../../core/window-key.js';
import { type AggregationConfig, matchesStream } from '../aggregation-options.js';

export function tumblingStart(timestamp: number, sizeMs: number): number {
  return timestamp - (((timestamp % sizeMs) + sizeMs) % sizeMs);
}

/** Windows: each stream's share of the counts of the windows still open for it, by window and group. */
export class WindowState {
  private readonly open = new Map<string, WindowCount>();

  get size(): number {
    return this.open.size;
  }

  count(key: string): number {
    return this.open.get(key)?.count ?? 0;
  }

  set(window: WindowCount): void {
    this.open.set(windowKey(window.name, window.window, window.windowStart, window.group, window.stream), window);
  }

  /** Drops the shares that became final for their stream: they take no more events. Returns how many. */
  closeFinal(finalizedThrough: (stream: string) => number | null): number {
    let closed = 0;
    for (const [key, window] of this.open) {
      const through = finalizedThrough(window.stream);
      if (through !== null && window.windowEnd <= through) {
        this.open.delete(key);
        closed++;
      }
    }
    return closed;
  }
}

/**
 * Counts an on-time event into every tumbling window of every aggregation it matches. `touched`
 * holds the batch's new absolute counts (the state's plus the batch's), so the state itself is
 * not changed. Returns how many aggregations matched the event but could not group it.
 */
export function countIntoWindows(event: SightlineEvent, stream: string, aggregations: readonly AggregationConfig[], windows: WindowState, touched: Map<string, WindowCount>): number {
  let ungrouped = 0;
  for (const agg of aggregations) {
    if (!matchesStream(agg.match, event.source, event.type)) continue;
    const raw = readPath(event, agg.groupBy);
    if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') {
      ungrouped++;
      continue;
    }
    const group = String(raw);
    for (const w of agg.windows) {
      const windowStart = tumblingStart(event.timestamp, w.ms);
      const key = windowKey(agg.name, w.label, windowStart, group, stream);
      const current = touched.get(key);
      if (current) current.count++;
      else touched.set(key, { name: agg.name, window: w.label, windowStart, windowEnd: windowStart + w.ms, group, stream, count: windows.count(key) + 1 });
    }
  }
  return ungrouped;
}
