import type { DuckDBConnection } from '@duckdb/node-api';
import type { StoredEvent } from '../../core/ports/event-queries.js';
import type { WindowCount } from '../../core/ports/processed-batch.js';

/** Rows of a result as objects with JS numbers for BIGINT columns (all ours fit in 2^53). */
export async function rows(conn: DuckDBConnection, sql: string, values?: Record<string, unknown> | unknown[]): Promise<Array<Record<string, any>>> {
  const reader = await conn.runAndReadAll(sql, values as never);
  return reader.getRowObjects().map((row) => {
    const out: Record<string, any> = {};
    for (const [k, v] of Object.entries(row)) out[k] = typeof v === 'bigint' ? Number(v) : v;
    return out;
  });
}

export function toStoredEvent(r: Record<string, any>): StoredEvent & { logPos: number } {
  return { logPos: r.log_pos, id: r.id, source: r.source, type: r.type, timestamp: r.timestamp, payload: JSON.parse(r.payload), metadata: JSON.parse(r.metadata) };
}

export function toWindowCount(r: Record<string, any>): WindowCount {
  return { name: r.name, window: r.window_size, windowStart: r.window_start, windowEnd: r.window_end, group: r.group_key, stream: r.stream ?? '', count: r.count };
}
