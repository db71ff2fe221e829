import type { DuckDBConnection } from '@duckdb/node-api';

/** What hot retention may delete: rows older than a time that the cold tables hold. */
export interface ArchivedCutoffs {
  /** Events with an event time before `before` and a commit number at most `throughCommit`. */
  events?: { before: number; throughCommit: number };
  /** An aggregation's final windows that ended before `before`, with a final number at most `throughFinal`. */
  windows?: Array<{ name: string; before: number; throughFinal: number }>;
}

/**
 * Hot retention, under the hot store's writer lock: deletes the rows `cutoffs` allows (exported,
 * so the tables hold them), and the window shares of the deleted windows (a final window that
 * ended that long ago takes no more shares).
 */
export async function dropArchivedRows(writer: DuckDBConnection, cutoffs: ArchivedCutoffs): Promise<{ events: number; windows: number }> {
  let events = 0;
  let windows = 0;
  if (cutoffs.events) {
    const r = await writer.run('DELETE FROM events WHERE timestamp < $1 AND commit_no <= $2', [BigInt(cutoffs.events.before), BigInt(cutoffs.events.throughCommit)]);
    events = Number(r.rowsChanged);
  }
  for (const w of cutoffs.windows ?? []) {
    const r = await writer.run('DELETE FROM aggregates WHERE name = $1 AND final AND window_end < $2 AND final_no <= $3', [w.name, BigInt(w.before), BigInt(w.throughFinal)]);
    windows += Number(r.rowsChanged);
    await writer.run(
      `DELETE FROM sl_window_parts p WHERE p.name = $1 AND p.window_end < $2
         AND NOT EXISTS (SELECT 1 FROM aggregates a WHERE a.name = p.name AND a.window_size = p.window_size AND a.window_start = p.window_start AND a.group_key = p.group_key)`,
      [w.name, BigInt(w.before)],
    );
  }
  return { events, windows };
}
