import type { DuckDBConnection } from '@duckdb/node-api';
import type { WindowRange } from '../../core/backfill.js';
import { sqlText } from './data-file-copy.js';

/** Tables the archiver stages changes in (a backfill's results, dead letters moved), for the writer connection to apply. */
export const BACKFILL_SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS sl_backfill_rows (log_pos BIGINT NOT NULL, metadata VARCHAR, keep BOOLEAN NOT NULL);
CREATE TABLE IF NOT EXISTS sl_backfill_windows (name VARCHAR, window_size VARCHAR, window_start BIGINT, window_end BIGINT, group_key VARCHAR, stream VARCHAR, count BIGINT);
CREATE TABLE IF NOT EXISTS sl_dead_letters_moved (dlq_pos BIGINT NOT NULL);
`;

async function inTransaction<T>(conn: DuckDBConnection, work: () => Promise<T>): Promise<T> {
  await conn.run('BEGIN TRANSACTION');
  try {
    const out = await work();
    await conn.run('COMMIT');
    return out;
  } catch (err) {
    await conn.run('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/**
 * Gives the hot store's copies of backfilled events their new metadata and deletes the ones
 * processing now refuses, in one transaction. Their commit numbers stay: the archiver does not
 * export them again (the backfill wrote the tables itself).
 */
export function applyBackfilledRows(conn: DuckDBConnection): Promise<{ updated: number; deleted: number }> {
  return inTransaction(conn, async () => {
    const updated = await conn.run('UPDATE events SET metadata = s.metadata::JSON FROM sl_backfill_rows s WHERE events.log_pos = s.log_pos AND s.keep');
    const deleted = await conn.run('DELETE FROM events WHERE log_pos IN (SELECT log_pos FROM sl_backfill_rows WHERE NOT keep)');
    return { updated: Number(updated.rowsChanged), deleted: Number(deleted.rowsChanged) };
  });
}

/**
 * Replaces the hot store's windows of the ranges with the counts staged in `sl_backfill_windows`:
 * one share per stream, final, under final number 0 (the backfill wrote the tables itself, so no
 * export takes them again). A window the recount did not find is gone.
 */
export function replaceBackfilledWindows(conn: DuckDBConnection, ranges: readonly WindowRange[]): Promise<void> {
  if (ranges.length === 0) return Promise.resolve();
  const where = ranges.map((r) => `(name = ${sqlText(r.name)} AND window_size = ${sqlText(r.window)} AND window_start >= ${r.from} AND window_start < ${r.to})`).join(' OR ');
  return inTransaction(conn, async () => {
    await conn.run(`DELETE FROM sl_window_parts WHERE ${where}`);
    await conn.run(`DELETE FROM aggregates WHERE ${where}`);
    await conn.run('INSERT INTO sl_window_parts SELECT name, window_size, window_start, window_end, group_key, -1, count, stream FROM sl_backfill_windows');
    await conn.run(`INSERT INTO aggregates SELECT name, window_size, window_start, any_value(window_end), group_key, sum(count), true, 0
      FROM sl_backfill_windows GROUP BY name, window_size, window_start, group_key`);
  });
}

/** Deletes the dead letters staged in `sl_dead_letters_moved`: the `dead_letters` table holds them. */
export async function dropMovedDeadLetters(conn: DuckDBConnection): Promise<number> {
  const r = await conn.run('DELETE FROM dead_letters WHERE dlq_pos IN (SELECT dlq_pos FROM sl_dead_letters_moved)');
  return Number(r.rowsChanged);
}
