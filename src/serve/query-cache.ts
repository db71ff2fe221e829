import { Counter, type Registry } from 'prom-client';
import type { WindowChanges } from '../core/ports/event-queries.js';

/** What a cached answer covers: one aggregation's windows starting in [from, to) (open sides: all). */
export interface WindowScope {
  name: string;
  from?: number;
  to?: number;
}

const overlaps = (scope: WindowScope, change: { name: string; from: number; to: number }): boolean =>
  scope.name === change.name && (scope.from ?? Number.NEGATIVE_INFINITY) < change.to && change.from < (scope.to ?? Number.POSITIVE_INFINITY);

/**
 * Answers over windows (the aggregates API), kept until a window they cover changes: each commit
 * tells which windows it changed (new counts, windows becoming final, replays), and only the
 * answers over those go; a change that cannot say (a backfill, hot retention) empties the cache.
 * An answer still being computed when a change lands goes too, so none computed before a commit
 * is kept past it. Hits and misses are counted (`sightline_cache_requests_total`).
 */
export class QueryCache<T> {
  private readonly entries = new Map<string, { scopes: readonly WindowScope[]; result: Promise<T> }>();
  private readonly requests: Counter<'cache' | 'result'>;

  constructor(
    private readonly name: string,
    onChange: (listener: (changes: WindowChanges) => void) => void,
    registry: Registry,
    private readonly maxEntries = 512,
  ) {
    this.requests =
      (registry.getSingleMetric('sightline_cache_requests_total') as Counter<'cache' | 'result'> | undefined) ??
      new Counter({ name: 'sightline_cache_requests_total', help: 'Lookups in the API caches, by cache and hit or miss.', labelNames: ['cache', 'result'], registers: [registry] });
    this.requests.inc({ cache: name, result: 'hit' }, 0);
    this.requests.inc({ cache: name, result: 'miss' }, 0);
    onChange((changes) => this.invalidate(changes));
  }

  private invalidate(changes: WindowChanges): void {
    if (changes === 'all') return this.entries.clear();
    for (const [key, entry] of this.entries) if (changes.some((c) => entry.scopes.some((scope) => overlaps(scope, c)))) this.entries.delete(key);
  }

  /**
   * The answer for `key`, computed once until a window in `scopes` changes. `narrowed`, where an
   * answer's scope is known only once it is computed (a pipe's time bounds), gives it then; until
   * then `scopes` holds, so a change while it is computed still drops it. Null from it: not kept.
   */
  get(key: string, scopes: readonly WindowScope[], compute: () => Promise<T>, narrowed?: (value: T) => readonly WindowScope[] | null): Promise<T> {
    const cached = this.entries.get(key);
    if (cached) {
      this.requests.inc({ cache: this.name, result: 'hit' });
      return cached.result;
    }
    this.requests.inc({ cache: this.name, result: 'miss' });
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    const result = compute();
    const entry = { scopes, result };
    this.entries.set(key, entry);
    result.then(
      (value) => {
        if (!narrowed || this.entries.get(key) !== entry) return;
        const scopes = narrowed(value);
        if (scopes) entry.scopes = scopes;
        else this.entries.delete(key);
      },
      // A failed query is not kept: the next request tries again.
      () => this.entries.get(key) === entry && this.entries.delete(key),
    );
    return result;
  }
}
