import type { DuckDBConnection } from '@duckdb/node-api';
import type { ErasureScope } from '../../core/erasure.js';

/** A dead letter's original as text when it is UTF-8 JSON, else null: the bytes are a producer's. */
const ORIGINAL_JSON = 'TRY(decode(original))';

/**
 * The dead letters of a user (the SHA-256 of `payload.user_id` in the original, $1) in an
 * event-time range ($2..$3): a letter's time is its event's timestamp, or when it failed.
 */
export const LETTERS_OF_SUBJECT = `sha256(TRY(json_extract_string(${ORIGINAL_JSON}, '$.payload.user_id'))) = $1
         AND coalesce(TRY(CAST(json_extract(${ORIGINAL_JSON}, '$.timestamp') AS DOUBLE)), failed_at) BETWEEN $2 AND $3`;

/**
 * Deletes a user's events and dead letters in one transaction. The user is known by the SHA-256 of
 * the id (`payload.user_id`); a dead letter's time is its event's timestamp, or when it failed.
 */
export async function eraseSubjectRows(conn: DuckDBConnection, scope: ErasureScope): Promise<{ events: number; deadLetters: number }> {
  const from = BigInt(scope.from ?? Number.MIN_SAFE_INTEGER);
  const to = BigInt(scope.to);
  await conn.run('BEGIN TRANSACTION');
  try {
    const events = await conn.run('DELETE FROM events WHERE user_id IS NOT NULL AND sha256(user_id) = $1 AND timestamp BETWEEN $2 AND $3', [scope.subject, from, to]);
    const letters = await conn.run(
      `DELETE FROM dead_letters WHERE ${LETTERS_OF_SUBJECT}`,
      [scope.subject, from, to],
    );
    // A backfill's planned letters of the user, not written yet: the day's plan still drops the events.
    const planned = await conn.runAndReadAll("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'sl_backfill_plan_letters'");
    if (Number(planned.getRows()[0]![0]) > 0) await conn.run(
      `DELETE FROM sl_backfill_plan_letters WHERE sha256(TRY(json_extract_string(original, '$.payload.user_id'))) = $1
         AND TRY(CAST(json_extract(original, '$.timestamp') AS DOUBLE)) BETWEEN $2 AND $3`,
      [scope.subject, from, to],
    );
    await conn.run('COMMIT');
    return { events: Number(events.rowsChanged), deadLetters: Number(letters.rowsChanged) };
  } catch (error) {
    await conn.run('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
