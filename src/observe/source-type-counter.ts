import { Counter, type Registry } from 'prom-client';

const MAX_PAIRS = 1000;
const OTHER = '(other)';

/**
 * Accepted events per source and type (`sightline_ingest_events_total{source,type}`), for
 * throughput and volume-drop alerts per source. Producers choose these names, so past MAX_PAIRS
 * pairs new ones share the series (other)/(other).
 */
export class SourceTypeCounter {
  private readonly counter: Counter<'source' | 'type'>;
  private readonly totals = new Map<string, number>();
  private readonly lastAt = new Map<string, number>();

  constructor(registry: Registry) {
    this.counter = new Counter({
      name: 'sightline_ingest_events_total',
      help: 'Events accepted at ingest, by source and type.',
      labelNames: ['source', 'type'],
      registers: [registry],
    });
  }

  /** Counts a batch's accepted events: one increment per pair, not per event. */
  countBatch(events: ReadonlyArray<{ source: string; type: string }>): void {
    if (events.length === 0) return;
    const batch = new Map<string, { source: string; type: string; n: number }>();
    for (const e of events) {
      const key = `${e.source}\n${e.type}`;
      const entry = batch.get(key);
      if (entry) entry.n++;
      else batch.set(key, { source: e.source, type: e.type, n: 1 });
    }
    const now = Date.now();
    for (const [key, { source, type, n }] of batch) {
      const known = this.totals.has(key);
      if (!known && this.totals.size >= MAX_PAIRS) {
        this.counter.inc({ source: OTHER, type: OTHER }, n);
        continue;
      }
      this.totals.set(key, (this.totals.get(key) ?? 0) + n);
      this.lastAt.set(key, now);
      this.counter.inc({ source, type }, n);
    }
  }

  /** Takes back what `snapshot` gave before a restart: totals go on from there. */
  restore(kept: ReadonlyArray<{ source: string; type: string; events: number; lastAcceptedAt: number | null }>): void {
    for (const { source, type, events, lastAcceptedAt } of kept) {
      if (this.totals.size >= MAX_PAIRS) break;
      const key = `${source}\n${type}`;
      this.totals.set(key, events);
      if (lastAcceptedAt !== null) this.lastAt.set(key, lastAcceptedAt);
    }
  }

  /** Accepted events so far per source and type, and when the last of them was accepted. */
  snapshot(): Array<{ source: string; type: string; events: number; lastAcceptedAt: number | null }> {
    return [...this.totals].map(([key, events]) => {
      const [source, type] = key.split('\n') as [string, string];
      return { source, type, events, lastAcceptedAt: this.lastAt.get(key) ?? null };
    });
  }
}
