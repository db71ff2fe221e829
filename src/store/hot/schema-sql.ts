/** The hot store's tables. Bookkeeping tables start with sl_. */
export const HOT_SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS events (
  log_pos BIGINT NOT NULL,
  id VARCHAR NOT NULL,
  source VARCHAR NOT NULL,
  type VARCHAR NOT NULL,
  timestamp BIGINT NOT NULL,
  user_id VARCHAR,
  payload JSON,
  metadata JSON,
  late BOOLEAN NOT NULL,
  commit_no BIGINT NOT NULL
);
-- The trace each run of records was ingested in: a few rows per batch, not a trace id per event.
CREATE TABLE IF NOT EXISTS event_traces (partition INTEGER NOT NULL, from_offset BIGINT NOT NULL, to_offset BIGINT NOT NULL, trace_id VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS aggregates (
  name VARCHAR NOT NULL,
  window_size VARCHAR NOT NULL,
  window_start BIGINT NOT NULL,
  window_end BIGINT NOT NULL,
  group_key VARCHAR NOT NULL,
  count BIGINT NOT NULL,
  final BOOLEAN NOT NULL,
  final_no BIGINT
);
CREATE TABLE IF NOT EXISTS sl_offsets (pipeline VARCHAR NOT NULL, partition INTEGER NOT NULL, next_offset BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS sl_pipeline (
  pipeline VARCHAR NOT NULL,
  watermark BIGINT,
  finalized_through BIGINT,
  commit_no BIGINT NOT NULL,
  duplicates BIGINT NOT NULL,
  late BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS sl_cold_exports (
  export_id BIGINT NOT NULL,
  dataset VARCHAR NOT NULL,
  from_no BIGINT NOT NULL,
  to_no BIGINT NOT NULL,
  done BOOLEAN NOT NULL,
  files JSON
);
CREATE TABLE IF NOT EXISTS sl_agg_stage (
  name VARCHAR, window_size VARCHAR, window_start BIGINT, window_end BIGINT, group_key VARCHAR, count BIGINT
);
CREATE OR REPLACE VIEW late_events AS SELECT * FROM events WHERE late;
`;
