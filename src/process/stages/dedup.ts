import { dedupHorizon } from '../../core/dedup-window.js';

const BUCKET_MS = 60_000;

/**
 * Dedup: ids seen within the dedup window behind the watermark, keyed by event time. The window is
 * the state's own: it forgets what falls behind it as the watermark moves, and says how far back it
 * reaches (older ids only the store can tell). Ids are kept in per-minute buckets so forgetting
 * drops whole buckets instead of walking every id. A `unique` quality rule's values are kept the
 * same way.
 */
export class DedupState {
  private readonly seen = new Set<string>();
  private readonly buckets = new Map<number, string[]>();

  constructor(readonly windowMs: number) {}

  get size(): number {
    return this.seen.size;
  }

  has(id: string): boolean {
    return this.seen.has(id);
  }

  add(id: string, timestamp: number): void {
    if (this.seen.has(id)) return;
    this.seen.add(id);
    const bucket = timestamp - (timestamp % BUCKET_MS);
    const ids = this.buckets.get(bucket);
    if (ids) ids.push(id);
    else this.buckets.set(bucket, [id]);
  }

  /** Event time before which this state holds nothing, once the watermark is at `watermark`. */
  reachesBackTo(watermark: number | null): number {
    return dedupHorizon(watermark, this.windowMs);
  }

  /** Forgets what the window no longer covers at `watermark`. */
  moveWith(watermark: number | null): number {
    return watermark === null ? 0 : this.evictBefore(this.reachesBackTo(watermark));
  }

  /** Forgets ids whose whole bucket lies before `before`. */
  evictBefore(before: number): number {
    let evicted = 0;
    for (const [bucket, ids] of this.buckets) {
      if (bucket + BUCKET_MS > before) continue;
      for (const id of ids) this.seen.delete(id);
      evicted += ids.length;
      this.buckets.delete(bucket);
    }
    return evicted;
  }
}
