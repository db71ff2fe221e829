import { Counter, type Registry } from 'prom-client';

/**
 * Results of hot queries (windowed aggregates), kept until the store changes: every processor
 * commit moves `generation`, which empties the cache. Hits and misses are counted
 * (`sightline_api_cache_requests_total`), so the hit ratio is visible.
 */
export class QueryCache<T> {
  private readonly entries = new Map<string, Promise<T>>();
  private seenGeneration = -1;
  private readonly requests: Counter<'cache' | 'result'>;

  constructor(
    private readonly name: string,
    private readonly generation: () => number,
    registry: Registry,
    private readonly maxEntries = 512,
  ) {
    this.requests =
      (registry.getSingleMetric('sightline_api_cache_requests_total') as Counter<'cache' | 'result'> | undefined) ??
      new Counter({ name: 'sightline_api_cache_requests_total', help: 'Lookups in the API query caches, by cache and hit or miss.', labelNames: ['cache', 'result'], registers: [registry] });
    this.requests.inc({ cache: name, result: 'hit' }, 0);
    this.requests.inc({ cache: name, result: 'miss' }, 0);
  }

  get(key: string, compute: () => Promise<T>): Promise<T> {
    const generation = this.generation();
    if (generation !== this.seenGeneration) {
      this.entries.clear();
      this.seenGeneration = generation;
    }
    const cached = this.entries.get(key);
    if (cached) {
      this.requests.inc({ cache: this.name, result: 'hit' });
      return cached;
    }
    this.requests.inc({ cache: this.name, result: 'miss' });
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    const result = compute();
    this.entries.set(key, result);
    // A failed query is not kept: the next request tries again.
    result.catch(() => this.entries.get(key) === result && this.entries.delete(key));
    return result;
  }
}
