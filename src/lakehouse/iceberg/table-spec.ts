/**
 * The Iceberg shape of Sightline's cold tables: columns with their field ids, and the day
 * partition on event time. Field ids are forever: a column is never renumbered, and a new column
 * takes the next id (`last-column-id` + 1).
 */

/** An Iceberg primitive type as it is written in JSON (Appendix C of the spec). */
export type IcebergPrimitive = 'string' | 'long' | 'int' | 'boolean' | 'timestamp' | 'date' | 'double' | 'binary';

export interface IcebergField {
  id: number;
  name: string;
  required: boolean;
  type: IcebergPrimitive;
  doc?: string;
}

export interface IcebergSchema {
  type: 'struct';
  'schema-id': number;
  fields: IcebergField[];
}

export interface PartitionField {
  'source-id': number;
  'field-id': number;
  name: string;
  transform: 'day';
}

export interface PartitionSpec {
  'spec-id': number;
  fields: PartitionField[];
}

/** One table Sightline writes: its columns, how the archiver selects them, and its partition column. */
export interface TableSpec {
  /** The table's name in the catalog (namespace `sightline`). */
  name: string;
  fields: IcebergField[];
  /** The column the `day` partition is taken from (a `timestamp`). */
  partitionSource: string;
  /** The time column in ms that ranges filter on (`timestamp`, `window_start`). */
  timeColumn: string;
  /** The order rows are written in. */
  sortBy: string[];
}

/** The id of the one partition field: 1000 is where the spec starts partition field ids. */
export const PARTITION_FIELD_ID = 1000;

export const EVENTS_TABLE: TableSpec = {
  name: 'events',
  partitionSource: 'event_time',
  timeColumn: 'timestamp',
  sortBy: ['timestamp', 'log_pos'],
  fields: [
    { id: 1, name: 'id', required: true, type: 'string', doc: "The event's id, unique per source" },
    { id: 2, name: 'source', required: true, type: 'string' },
    { id: 3, name: 'type', required: true, type: 'string' },
    { id: 4, name: 'timestamp', required: true, type: 'long', doc: 'Event time, ms since the epoch' },
    { id: 5, name: 'event_time', required: true, type: 'timestamp', doc: 'Event time (UTC)' },
    { id: 6, name: 'user_id', required: false, type: 'string' },
    { id: 7, name: 'payload', required: false, type: 'string', doc: 'The payload, as JSON text' },
    { id: 8, name: 'metadata', required: false, type: 'string', doc: 'Enrichment and contract stamp, as JSON text' },
    { id: 9, name: 'late', required: true, type: 'boolean' },
    { id: 10, name: 'log_pos', required: true, type: 'long', doc: "The event's position in the log" },
  ],
};

/**
 * Dead letters that left the hot store (its retention for `dead_letters`), each with the last
 * outcome of its replays: once here it is not replayed any more, so the row is final.
 */
export const DEAD_LETTERS_TABLE: TableSpec = {
  name: 'dead_letters',
  partitionSource: 'failed_at_time',
  timeColumn: 'failed_at',
  sortBy: ['failed_at', 'dlq_pos'],
  fields: [
    { id: 1, name: 'dlq_pos', required: true, type: 'long', doc: "The letter's position in the dead-letter topic (its id `partition-offset`)" },
    { id: 2, name: 'failed_at', required: true, type: 'long', doc: 'When the event failed, ms since the epoch' },
    { id: 3, name: 'failed_at_time', required: true, type: 'timestamp' },
    { id: 4, name: 'stage', required: true, type: 'string', doc: 'ingest, process or sink' },
    { id: 5, name: 'code', required: true, type: 'string' },
    { id: 6, name: 'rule', required: false, type: 'string' },
    { id: 7, name: 'message', required: true, type: 'string' },
    { id: 8, name: 'event_id', required: false, type: 'string' },
    { id: 9, name: 'source', required: false, type: 'string' },
    { id: 10, name: 'type', required: false, type: 'string' },
    { id: 11, name: 'schema_subject', required: false, type: 'string' },
    { id: 12, name: 'schema_version', required: false, type: 'int' },
    { id: 13, name: 'schema_id', required: false, type: 'int' },
    { id: 14, name: 'traceparent', required: false, type: 'string' },
    { id: 15, name: 'origin', required: false, type: 'string' },
    { id: 16, name: 'replay_of', required: false, type: 'string' },
    { id: 17, name: 'original', required: true, type: 'binary', doc: 'The event as received (its first bytes when original_size is set)' },
    { id: 18, name: 'original_size', required: false, type: 'long' },
    { id: 19, name: 'replay_outcome', required: false, type: 'string', doc: 'The last replay: replayed, duplicate or failed' },
    { id: 20, name: 'replay_at', required: false, type: 'long' },
    { id: 21, name: 'replay_code', required: false, type: 'string' },
    { id: 22, name: 'replay_message', required: false, type: 'string' },
  ],
};

/** The closed windows of one aggregation. */
export function aggregateTable(name: string): TableSpec {
  return {
    name,
    partitionSource: 'window_start_time',
    timeColumn: 'window_start',
    sortBy: ['window_size', 'window_start', 'group_key'],
    fields: [
      { id: 1, name: 'name', required: true, type: 'string' },
      { id: 2, name: 'window_size', required: true, type: 'string' },
      { id: 3, name: 'window_start', required: true, type: 'long', doc: 'ms since the epoch' },
      { id: 4, name: 'window_end', required: true, type: 'long', doc: 'ms since the epoch' },
      { id: 5, name: 'window_start_time', required: true, type: 'timestamp' },
      { id: 6, name: 'group_key', required: true, type: 'string' },
      { id: 7, name: 'count', required: true, type: 'long' },
    ],
  };
}

/** Catalog names are SQL identifiers for the engines that attach: `page-views` is `page_views`. */
export const catalogName = (name: string): string => name.replace(/[^A-Za-z0-9_]/g, '_');

export function schemaOf(spec: TableSpec, schemaId = 0): IcebergSchema {
  return { type: 'struct', 'schema-id': schemaId, fields: spec.fields };
}

export function partitionSpecOf(spec: TableSpec): PartitionSpec {
  const source = spec.fields.find((f) => f.name === spec.partitionSource);
  if (!source) throw new Error(`table ${spec.name}: no partition column ${spec.partitionSource}`);
  return { 'spec-id': 0, fields: [{ 'source-id': source.id, 'field-id': PARTITION_FIELD_ID, name: `${source.name}_day`, transform: 'day' }] };
}

/** DuckDB's COPY option giving each Parquet column its Iceberg field id. */
export function parquetFieldIds(spec: TableSpec): string {
  return `FIELD_IDS {${spec.fields.map((f) => `'${f.name.replaceAll("'", "''")}': ${f.id}`).join(', ')}}`;
}

/** DuckDB's type for each Iceberg primitive. */
export const SQL_TYPES: Record<IcebergPrimitive, string> = { string: 'VARCHAR', long: 'BIGINT', int: 'INTEGER', boolean: 'BOOLEAN', timestamp: 'TIMESTAMP', date: 'DATE', double: 'DOUBLE', binary: 'BLOB' };

/**
 * A SELECT list giving each column its table type: files written at different times read as one.
 * A column none of the files has (it came with a later schema) reads as null; `present` holds the
 * field ids the files have, all of them when not given.
 */
export function typedColumns(spec: TableSpec, present?: ReadonlySet<number>): string {
  return spec.fields
    .map((f) => {
      const name = `"${f.name.replaceAll('"', '""')}"`;
      return `CAST(${present && !present.has(f.id) ? 'NULL' : name} AS ${SQL_TYPES[f.type]}) AS ${name}`;
    })
    .join(', ');
}
