const BUCKET_MS = 60_000;

/**
 * Ids seen within the dedup window, keyed by event time. Ids are kept in per-minute buckets so
 * eviction as the watermark moves drops whole buckets instead of walking every id.
 */
export class DedupState {
  private readonly seen = new Set<string>();
  private readonly buckets = new Map<number, string[]>();

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
