/**
 * Each cold table's columns as a SELECT list over the hot store's table: what an export writes
 * into Parquet, and what SQL on read shows of the rows still in the hot store, so both read alike.
 */
export const EVENT_COLUMNS = `id, source, type, timestamp, make_timestamp(timestamp * 1000) AS event_time, user_id, payload::VARCHAR AS payload, metadata::VARCHAR AS metadata, late, log_pos`;

export const WINDOW_COLUMNS = `name, window_size, window_start, window_end, make_timestamp(window_start * 1000) AS window_start_time, group_key, count`;

export const DEAD_LETTER_COLUMNS = `dlq_pos, failed_at, make_timestamp(failed_at * 1000) AS failed_at_time, stage, code, rule, message, event_id, source, type,
  schema_subject, schema_version, schema_id, traceparent, origin, replay_of, original, original_size, replay_outcome, replay_at, replay_code, replay_message`;
