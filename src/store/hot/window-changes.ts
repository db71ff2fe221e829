import type { WindowChanges } from '../../core/ports/event-queries.js';
import type { ProcessedBatch } from '../../core/ports/processed-batch.js';

/**
 * Which windows each commit changed, told to the caches of window answers: the windows a batch
 * counted into, and those its final bounds closed (from the previous bound, less the longest
 * window seen, to the new one). What changes windows outside commits tells `all`.
 */
export class WindowChangeFeed {
  private readonly listeners: Array<(changes: WindowChanges) => void> = [];
  private readonly finalBound = new Map<string, number>();
  private readonly longest = new Map<string, number>();

  on(listener: (changes: WindowChanges) => void): void {
    this.listeners.push(listener);
  }

  committed(batches: readonly ProcessedBatch[]): void {
    if (this.listeners.length === 0) return;
    // Counted and finalized windows are told apart: one range over both would span from the
    // final bound (an allowed lateness behind) to the newest window, and drop every answer between.
    const counted = new Map<string, { from: number; to: number }>();
    const finalized = new Map<string, { from: number; to: number }>();
    const widen = (ranges: Map<string, { from: number; to: number }>, name: string, from: number, to: number): void => {
      const range = ranges.get(name);
      if (!range) ranges.set(name, { from, to });
      else {
        range.from = Math.min(range.from, from);
        range.to = Math.max(range.to, to);
      }
    };
    for (const batch of batches) {
      for (const w of batch.windows) {
        this.longest.set(w.name, Math.max(this.longest.get(w.name) ?? 0, w.windowEnd - w.windowStart));
        widen(counted, w.name, w.windowStart, w.windowStart + 1);
      }
      // The bounds the store finalizes by: in distributed mode every partition's lowest, not this batch's own.
      for (const [name, bound] of Object.entries(batch.scope ? batch.scope.finalizeAggregates : batch.finalBounds)) {
        // Windows ending by a bound become final: they start before it. A bound can also be one
        // partition's, below another's seen before (distributed mode finalizes by the lowest), so
        // the range runs from the lower of the two, less the longest window, to the higher (all
        // windows the first time this process sees a bound, or before it knows their length).
        const previous = this.finalBound.get(name);
        if (previous === bound) continue;
        const longest = this.longest.get(name);
        const low = previous === undefined ? bound : Math.min(previous, bound);
        widen(finalized, name, previous === undefined || longest === undefined ? Number.NEGATIVE_INFINITY : low - longest, Math.max(bound, previous ?? bound));
        this.finalBound.set(name, Math.max(bound, previous ?? bound));
      }
    }
    const changes = [...counted, ...finalized].map(([name, r]) => ({ name, ...r }));
    if (changes.length > 0) this.tell(changes);
  }

  /** A change that cannot say which windows it touched. */
  all(): void {
    this.tell('all');
  }

  private tell(changes: WindowChanges): void {
    for (const listener of this.listeners) listener(changes);
  }
}
