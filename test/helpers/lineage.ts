import type { LineageSink, LineageSinkStats } from '../../src/core/ports/lineage-sink.js';
import type { LineageStats } from '../../src/lineage/lineage-stats.js';

export const T0 = Date.UTC(2026, 10, 27, 12, 0, 0);

/** A snapshot of an embedded platform with two sources, one of them under contract, and a quality rule. */
export function sampleLineageStats(over: Partial<LineageStats> = {}): LineageStats {
  return {
    now: T0,
    node: 'node-1',
    dataDir: '/data/sl',
    ingestEndpoint: 'http://127.0.0.1:8080',
    logNamespace: 'file://node-1',
    logDir: '/data/sl/log',
    sources: [
      {
        source: 'web',
        type: 'page_view',
        events: 250,
        lastEventAt: T0 - 2000,
        schema: { subject: 'web.page_view', version: 2, fields: [{ name: 'user_id', type: 'string', description: 'who' }, { name: 'page', type: 'string' }] },
      },
      { source: 'app', type: 'click', events: 10, lastEventAt: T0 - 60_000 },
    ],
    ingest: { topic: 'events', accepted: 255, rejected: 5, deadLettered: 5, bytes: 40_000 },
    deadLetterTopic: 'dlq',
    topics: [
      { topic: 'events', partitions: 4, records: 255, bytes: 50_000, lastAppendAt: T0 - 2000 },
      { topic: 'dlq', partitions: 1, records: 7, bytes: 3000, lastAppendAt: T0 - 5000 },
    ],
    process: { pipeline: 'main', topic: 'events', processed: 255, stored: 250, duplicates: 5, late: 0, deadLettered: 2, watermark: T0 - 7000, lastCommitAt: T0 - 1000, failing: null },
    reference: { path: '/cfg/users.csv', rows: 42, loadedAt: T0 - 600_000, lastError: null },
    quality: [
      { dataset: 'web.page_view', rule: 'page-format', kind: 'regex', severity: 'error', passed: 248, failed: 2 },
      { dataset: 'web.page_view', rule: 'user-required', kind: 'required', severity: 'warn', passed: 250, failed: 0 },
    ],
    hot: {
      file: '/data/sl/hot/sightline.duckdb',
      tables: [
        { table: 'events', rows: 250, columns: [{ name: 'id', type: 'VARCHAR' }, { name: 'timestamp', type: 'BIGINT' }] },
        { table: 'aggregates', rows: 12, columns: [{ name: 'name', type: 'VARCHAR' }, { name: 'count', type: 'BIGINT' }] },
      ],
    },
    cold: {
      root: '/data/sl/cold',
      datasets: [{ dataset: 'events', files: 2, rows: 200, bytes: 9000, lastFileAt: T0 - 30_000 }],
      lastError: null,
    },
    ...over,
  };
}

/** A sink that keeps what it is given, in order. */
export class MemoryLineageSink implements LineageSink {
  readonly name = 'memory';
  readonly events: Array<Record<string, any>> = [];
  closed = false;
  emit(event: object): void {
    // A copy, as a real sink serializes at once: later changes to the object must not show.
    this.events.push(JSON.parse(JSON.stringify(event)));
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {
    this.closed = true;
  }
  stats(): LineageSinkStats {
    return { delivered: this.events.length, failed: 0, dropped: 0, retries: 0, queued: 0 };
  }
}
