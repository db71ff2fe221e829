import type { DuckDBConnection } from '@duckdb/node-api';

/**
 * Where a backfill keeps its plan of each day until every step of it is done (so a step a crash
 * interrupted is done with the same decisions, not new ones), and what hot retention stages for
 * the writer connection to apply. Made by the first step that needs them, not at every start: a
 * data folder that never backfills keeps the catalog it had (with them, DuckDB rewrote a block of
 * the file at each restart with nothing new).
 */
const BACKFILL_SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS sl_backfill_days (job VARCHAR NOT NULL, day VARCHAR NOT NULL, phase VARCHAR NOT NULL, events BIGINT NOT NULL, changed BIGINT NOT NULL, refused BIGINT NOT NULL, windows BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS sl_backfill_plan_rows (job VARCHAR NOT NULL, day VARCHAR NOT NULL, log_pos BIGINT NOT NULL, id VARCHAR NOT NULL, metadata VARCHAR, keep BOOLEAN NOT NULL);
CREATE TABLE IF NOT EXISTS sl_backfill_plan_letters (job VARCHAR NOT NULL, day VARCHAR NOT NULL, letter VARCHAR NOT NULL, original VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS sl_backfill_plan_windows (job VARCHAR NOT NULL, day VARCHAR NOT NULL, name VARCHAR NOT NULL, window_size VARCHAR NOT NULL, window_start BIGINT NOT NULL, window_end BIGINT NOT NULL, group_key VARCHAR NOT NULL, stream VARCHAR NOT NULL, count BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS sl_dead_letters_moved (dlq_pos BIGINT NOT NULL);
`;

/** Makes the backfill's and hot retention's staging tables, unless they are there. */
export async function ensureBackfillTables(conn: DuckDBConnection): Promise<void> {
  await conn.run(BACKFILL_SCHEMA_SQL);
}

const SAME_WINDOW = (a: string, b: string): string => ['name', 'window_size', 'window_start', 'group_key'].map((c) => `${a}.${c} = ${b}.${c}`).join(' AND ');
/** A day's planned window changes ($1 job, $2 day), per window and stream. */
const PLANNED_WINDOWS = 'SELECT name, window_size, window_start, group_key, stream, sum(count) AS count FROM sl_backfill_plan_windows WHERE job = $1 AND day = $2 GROUP BY ALL';

/**
 * A backfilled day's changes to the hot store, in one transaction with the step's record: the
 * kept events get their new metadata in place (their commit numbers stay, so no export writes them
 * again), the refused ones go, and each window loses what the refused events had added to its
 * stream's share. Matched by position and id, within the day.
 */
export async function applyBackfillDay(conn: DuckDBConnection, job: string, day: string, from: number, to: number): Promise<void> {
  const params = [job, day, BigInt(from), BigInt(to)];
  const planned = (which: string): string => `EXISTS (SELECT 1 FROM sl_backfill_plan_rows p WHERE p.job = $1 AND p.day = $2 AND ${which} AND p.log_pos = events.log_pos AND p.id = events.id)`;
  await conn.run('BEGIN TRANSACTION');
  try {
    await conn.run(
      `UPDATE events SET metadata = p.metadata::JSON FROM sl_backfill_plan_rows p
       WHERE p.job = $1 AND p.day = $2 AND p.keep AND events.log_pos = p.log_pos AND events.id = p.id AND events.timestamp >= $3 AND events.timestamp < $4`,
      params,
    );
    await conn.run(`DELETE FROM events WHERE timestamp >= $3 AND timestamp < $4 AND ${planned('NOT p.keep')}`, params);
    await conn.run(
      `UPDATE sl_window_parts w SET count = greatest(w.count - d.count, 0) FROM (${PLANNED_WINDOWS}) d
       WHERE w.partition = -1 AND w.stream = d.stream AND ${SAME_WINDOW('w', 'd')}`,
      [job, day],
    );
    const touched = (alias: string): string => `EXISTS (SELECT 1 FROM sl_backfill_plan_windows d WHERE d.job = $1 AND d.day = $2 AND ${SAME_WINDOW(alias, 'd')})`;
    await conn.run(
      `UPDATE aggregates a SET count = t.total FROM (SELECT name, window_size, window_start, group_key, sum(count) AS total FROM sl_window_parts w WHERE ${touched('w')} GROUP BY ALL) t
       WHERE ${SAME_WINDOW('a', 't')}`,
      [job, day],
    );
    await conn.run(`DELETE FROM aggregates a WHERE a.count <= 0 AND ${touched('a')}`, [job, day]);
    await conn.run(`DELETE FROM sl_window_parts w WHERE w.count <= 0 AND ${touched('w')}`, [job, day]);
    await conn.run("UPDATE sl_backfill_days SET phase = 'hot' WHERE job = $1 AND day = $2", [job, day]);
    await conn.run('COMMIT');
  } catch (err) {
    await conn.run('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** Deletes the dead letters staged in `sl_dead_letters_moved`: the `dead_letters` table holds them. */
export async function dropMovedDeadLetters(conn: DuckDBConnection): Promise<number> {
  const r = await conn.run('DELETE FROM dead_letters WHERE dlq_pos IN (SELECT dlq_pos FROM sl_dead_letters_moved)');
  return Number(r.rowsChanged);
}
