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
-- Each stream's share of a window's count (and in distributed mode each log partition's: its
-- processor counts only its partition; the embedded processor's partition is -1); aggregates holds
-- their sum. Kept for final windows too: a stream or partition that starts late can still add its
-- share to one (a backfill), which corrects the final row.
CREATE TABLE IF NOT EXISTS sl_window_parts (
  name VARCHAR NOT NULL, window_size VARCHAR NOT NULL, window_start BIGINT NOT NULL, window_end BIGINT NOT NULL, group_key VARCHAR NOT NULL,
  partition INTEGER NOT NULL, count BIGINT NOT NULL, stream VARCHAR NOT NULL DEFAULT ''
);
-- Data folders from before per-stream shares: the columns are added, and an embedded window
-- without shares gets its count as one share of no stream, so the sums stay exact.
ALTER TABLE sl_window_parts ADD COLUMN IF NOT EXISTS stream VARCHAR DEFAULT '';
CREATE TABLE IF NOT EXISTS sl_offsets (pipeline VARCHAR NOT NULL, partition INTEGER NOT NULL, next_offset BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS sl_pipeline (
  pipeline VARCHAR NOT NULL,
  watermark BIGINT,
  finalized_through BIGINT,
  commit_no BIGINT NOT NULL,
  duplicates BIGINT NOT NULL,
  late BIGINT NOT NULL,
  -- JSON: each stream's event time (StreamTime[]) and each aggregation's final bound.
  streams VARCHAR,
  final_bounds VARCHAR,
  -- JSON: every processing counter (ProcessorCounters), so status survives a restart.
  counters VARCHAR
);
ALTER TABLE sl_pipeline ADD COLUMN IF NOT EXISTS streams VARCHAR;
ALTER TABLE sl_pipeline ADD COLUMN IF NOT EXISTS final_bounds VARCHAR;
ALTER TABLE sl_pipeline ADD COLUMN IF NOT EXISTS counters VARCHAR;
CREATE TABLE IF NOT EXISTS sl_cold_exports (
  export_id BIGINT NOT NULL,
  dataset VARCHAR NOT NULL,
  from_no BIGINT NOT NULL,
  to_no BIGINT NOT NULL,
  done BOOLEAN NOT NULL,
  files JSON
);
-- This hot store's name as a writer of the Iceberg tables: the export numbers above are its own,
-- so a table records how far each writer's exports reached under that writer's name.
CREATE TABLE IF NOT EXISTS sl_cold_writer (id VARCHAR NOT NULL);
-- The exports done before the cold tier was Iceberg tables (the first open by such a version
-- records how far they went): their files are added to the tables once (legacy-files.ts), and no
-- later export is ever "adopted" again.
CREATE TABLE IF NOT EXISTS sl_cold_adoption (through_export BIGINT NOT NULL, done BOOLEAN NOT NULL);
INSERT INTO sl_cold_adoption SELECT * FROM (SELECT coalesce(max(export_id), 0), false FROM sl_cold_exports WHERE done) WHERE NOT EXISTS (SELECT 1 FROM sl_cold_adoption);
INSERT INTO sl_cold_writer SELECT uuid()::VARCHAR WHERE NOT EXISTS (SELECT 1 FROM sl_cold_writer);
CREATE OR REPLACE TABLE sl_agg_stage (
  name VARCHAR, window_size VARCHAR, window_start BIGINT, window_end BIGINT, group_key VARCHAR, count BIGINT, stream VARCHAR
);
-- Quality rule results per dataset, rule and event-time bucket, summed over commits.
CREATE TABLE IF NOT EXISTS quality_summary (
  dataset VARCHAR NOT NULL, rule VARCHAR NOT NULL, severity VARCHAR NOT NULL,
  bucket_start BIGINT NOT NULL, bucket_end BIGINT NOT NULL, passed BIGINT NOT NULL, failed BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS sl_quality_stage (dataset VARCHAR, rule VARCHAR, severity VARCHAR, bucket_start BIGINT, bucket_end BIGINT, passed BIGINT, failed BIGINT);
-- The dead-letter topic as a table: one row per dead letter, with the latest replay outcome.
CREATE TABLE IF NOT EXISTS dead_letters (
  dlq_pos BIGINT NOT NULL,
  failed_at BIGINT NOT NULL,
  stage VARCHAR NOT NULL,
  code VARCHAR NOT NULL,
  rule VARCHAR,
  message VARCHAR NOT NULL,
  event_id VARCHAR,
  source VARCHAR,
  type VARCHAR,
  schema_subject VARCHAR,
  schema_version INTEGER,
  schema_id INTEGER,
  traceparent VARCHAR,
  origin VARCHAR,
  replay_of VARCHAR,
  original BLOB NOT NULL,
  -- Set when original holds only the first bytes of a larger event: its full size.
  original_size BIGINT,
  replay_outcome VARCHAR,
  replay_at BIGINT,
  replay_code VARCHAR,
  replay_message VARCHAR
);
CREATE TABLE IF NOT EXISTS sl_dlq_stage (
  dlq_pos BIGINT, failed_at BIGINT, stage VARCHAR, code VARCHAR, rule VARCHAR, message VARCHAR, event_id VARCHAR, source VARCHAR, type VARCHAR,
  schema_subject VARCHAR, schema_version INTEGER, schema_id INTEGER, traceparent VARCHAR, origin VARCHAR, replay_of VARCHAR, original BLOB, original_size BIGINT
);
CREATE TABLE IF NOT EXISTS sl_dlq_outcome_stage (entry_pos BIGINT, pos INTEGER, outcome VARCHAR, at_ms BIGINT, code VARCHAR, message VARCHAR);
-- What ran each commit (node, version, steps with their versions): the lineage of its events.
CREATE TABLE IF NOT EXISTS sl_commits (pipeline VARCHAR NOT NULL, commit_no BIGINT NOT NULL, committed_at BIGINT NOT NULL, node VARCHAR NOT NULL, sightline_version VARCHAR NOT NULL, steps JSON NOT NULL);
CREATE OR REPLACE VIEW late_events AS SELECT * FROM events WHERE late;
INSERT INTO sl_window_parts
  SELECT name, window_size, window_start, window_end, group_key, -1, count, '' FROM aggregates a
  WHERE NOT EXISTS (SELECT 1 FROM sl_window_parts w
    WHERE w.name = a.name AND w.window_size = a.window_size AND w.window_start = a.window_start AND w.group_key = a.group_key);
`;
