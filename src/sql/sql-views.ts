import type { SqlColumn } from '../core/ports/sql-engine.js';
import { NOT_PROBE_SQL } from '../core/probe-event.js';
import type { ColdTables } from '../lakehouse/cold-tables.js';
import type { IcebergTable } from '../lakehouse/iceberg/iceberg-table.js';
import { catalogName, SQL_TYPES, typedColumns, type TableSpec } from '../lakehouse/iceberg/table-spec.js';
import { DEAD_LETTER_COLUMNS, EVENT_COLUMNS, WINDOW_COLUMNS } from '../store/hot/cold-columns.js';
import { sqlText } from '../store/hot/data-file-copy.js';
import type { TimeColumns } from './time-bounds.js';

const DAY_MS = 86_400_000;

/** A view of SQL on read: the hot store's rows of one cold table, and the table's rows the hot store no longer holds. */
export interface ViewSource {
  name: string;
  /** What a key needs `query:read` on to read it. */
  dataset: string;
  table: IcebergTable;
  time: TimeColumns;
  /** The hot store's rows, given the hot store's catalog: a SELECT with the table's columns (and `extra`'s). */
  hotRows: (catalog: string) => string;
  /** The hot store's keys of the rows `within` holds, for the anti-join: a SELECT of `key`'s columns. */
  hotKeys: (catalog: string, within: string) => string;
  /** What identifies a row in both stores. */
  key: string[];
  /** Columns the view adds to the table's, with their value for a cold row. */
  extra: Array<SqlColumn & { cold: string }>;
}

const hotTable = (catalog: string, table: string): string => `"${catalog.replaceAll('"', '""')}".main.${table}`;

/** A view of a hot-store table that holds one cold table's rows, keyed by one column. */
function keyedView(tables: ColdTables, name: 'events' | 'dead_letters', time: TimeColumns, columns: string, key: string, only = 'true'): ViewSource {
  return {
    name,
    dataset: name,
    table: tables.of(name),
    time,
    hotRows: (c) => `SELECT ${columns} FROM ${hotTable(c, name)} WHERE ${only}`,
    hotKeys: (c, within) => `SELECT ${key} FROM ${hotTable(c, name)} WHERE ${within}`,
    key: [key],
    extra: [],
  };
}

/** Events, without the synthetic probe's (which never go to the cold tables either). */
export const eventsView = (tables: ColdTables): ViewSource => keyedView(tables, 'events', { ms: 'timestamp', time: 'event_time' }, EVENT_COLUMNS, 'log_pos', NOT_PROBE_SQL);

export const deadLettersView = (tables: ColdTables): ViewSource => keyedView(tables, 'dead_letters', { ms: 'failed_at', time: 'failed_at_time' }, DEAD_LETTER_COLUMNS, 'dlq_pos');

/** One aggregation's windows: open ones (final false) from the hot store, closed ones from either. */
export function aggregationView(tables: ColdTables, aggregation: string): ViewSource {
  const only = `name = ${sqlText(aggregation)}`;
  return {
    name: catalogName(aggregation),
    dataset: `aggregates/${aggregation}`,
    table: tables.of('aggregates', aggregation),
    time: { ms: 'window_start', time: 'window_start_time' },
    hotRows: (c) => `SELECT ${WINDOW_COLUMNS}, final FROM ${hotTable(c, 'aggregates')} WHERE ${only}`,
    hotKeys: (c, within) => `SELECT window_size, window_start, group_key FROM ${hotTable(c, 'aggregates')} WHERE ${only} AND ${within}`,
    key: ['window_size', 'window_start', 'group_key'],
    extra: [{ name: 'final', type: 'BOOLEAN', cold: 'true' }],
  };
}

/** A view's columns: its table's, then its own. */
export function viewColumns(source: ViewSource, spec: TableSpec = source.table.spec): SqlColumn[] {
  return [...spec.fields.map((f) => ({ name: f.name, type: SQL_TYPES[f.type] })), ...source.extra.map(({ name, type }) => ({ name, type }))];
}

/** The cold files a statement reads of a view's table, ready for read_parquet. */
export interface ColdPart {
  spec: TableSpec;
  paths: string[];
  /** Field ids some file has: a column none has reads as null. */
  present: ReadonlySet<number> | undefined;
  /** read_parquet's parameters for encrypted files, or ''. */
  encryptionRead: string;
  /** The days (since the epoch) the files are of; undefined when one is not partitioned by day. */
  days?: { first: number; last: number };
}

/**
 * The view's definition for one statement: the hot store's rows, and the cold files' rows whose
 * key the hot store does not hold (it keeps a row until the table has it, and its copy is the
 * newer: replays and backfills change it there first). The anti-join reads the hot keys of the
 * files' days only.
 */
export function viewSql(source: ViewSource, catalog: string, cold: ColdPart | undefined): string {
  const hot = source.hotRows(catalog);
  if (!cold || cold.paths.length === 0) return hot;
  const files = `read_parquet([${cold.paths.map(sqlText).join(', ')}], hive_partitioning = false, union_by_name = true${cold.encryptionRead})`;
  const extra = source.extra.map((e) => `, ${e.cold} AS ${e.name}`).join('');
  const within = cold.days ? `${source.time.ms} >= ${cold.days.first * DAY_MS} AND ${source.time.ms} < ${(cold.days.last + 1) * DAY_MS}` : 'true';
  const on = source.key.map((k) => `c.${k} = h.${k}`).join(' AND ');
  return `${hot}\nUNION ALL\nSELECT c.*${extra} FROM (SELECT ${typedColumns(cold.spec, cold.present)} FROM ${files}) c ANTI JOIN (${source.hotKeys(catalog, within)}) h ON ${on}`;
}
