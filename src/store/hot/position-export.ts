import type { DuckDBConnection } from '@duckdb/node-api';
import { SightlineError } from '../../core/errors.js';
import type { ColdStore } from '../../core/ports/cold-store.js';
import { exportedThrough, exportedThroughKey } from '../../lakehouse/cold-tables.js';
import type { DataFile } from '../../lakehouse/iceberg/avro-manifests.js';
import { dayOfDate } from '../../lakehouse/iceberg/bounds.js';
import type { IcebergTable, LoadedTable, TableChange } from '../../lakehouse/iceberg/iceberg-table.js';
import type { TableSpec } from '../../lakehouse/iceberg/table-spec.js';
import { dayText, publishDataFile } from './data-file-copy.js';
import { commitWritten } from './table-commit.js';
import { notHeldSql, positionRanges, positionsAfter, positionsIn, standing } from './table-positions.js';

type Params = Parameters<DuckDBConnection['runAndReadAll']>[1];

/** What a table of events is written with at a version of it: its columns and the SELECT list that fills them. */
export interface TableShape {
  spec: TableSpec;
  select: string;
  /** A schema change to commit with the rows. */
  schema?: TableChange['schema'];
  /** Throws when a newer version of the table no longer fits the files written for this one. */
  verify?(latest: LoadedTable | undefined): void;
}

export interface PositionExport {
  conn: DuckDBConnection;
  cold: ColdStore;
  table: IcebergTable;
  /** This hot store, as a writer of the tables, and the log its positions are of. */
  writer: string;
  /**
   * The shared log whose positions the tables are exported by; without one (a hot store that is
   * the table's only writer), by this hot store's commit numbers alone.
   */
  logId: string | undefined;
  /** The export's rows of the hot store's `events`, and the last commit number it covers. */
  where: string;
  params?: unknown[];
  toNo: number;
  fileName: string;
  encryptionCopy: string;
  shape(current: LoadedTable | undefined): TableShape;
}

const day = dayText('timestamp');

/**
 * Exports rows of `events` to a table of events, one file per day and one snapshot, writing only
 * the rows past the positions the table holds. When another writer commits first: if it holds
 * all of them, nothing is committed; if some, the files are deleted and the export fails with a
 * retryable error, to be planned again from the new positions. Answers the keys committed.
 */
export async function exportByPosition(x: PositionExport): Promise<{ keys: string[]; rows: number; bytes: number }> {
  const out = { keys: [] as string[], rows: 0, bytes: 0 };
  const current = await x.table.load();
  // Committed before a crash that came ahead of marking the intent done.
  if (exportedThrough(current, x.writer) >= x.toNo) return out;
  const held = x.logId === undefined ? new Map<number, number>() : positionsIn(current, x.logId);
  const where = `${x.where} AND ${notHeldSql(held)}`;
  const params = x.params ?? [];
  const written = await positionRanges(x.conn, where, params as Params);
  if (written.size === 0) return out;
  const shape = x.shape(current);
  const days = (await x.conn.runAndReadAll(`SELECT DISTINCT ${day} AS d FROM events WHERE ${where} ORDER BY d`, params as Params)).getRows().map(([d]) => String(d));
  const added: DataFile[] = [];
  const keys: string[] = [];
  try {
    for (const d of days) {
      const key = `${x.table.base}/dt=${d}/${x.fileName}`;
      const query = `SELECT ${shape.select} FROM events WHERE ${where} AND ${day} = $${params.length + 1} ORDER BY timestamp, log_pos`;
      keys.push(key);
      const file = await publishDataFile(x.conn, x.cold, shape.spec, key, dayOfDate(d), query, x.encryptionCopy, [...params, d] as Params);
      added.push(file);
      out.rows += file.recordCount;
      out.bytes += file.fileSizeInBytes;
    }
  } catch (err) {
    // Named by no snapshot: gone now rather than at the next orphan cleanup.
    await x.cold.remove(keys).catch(() => undefined);
    throw err;
  }
  const committed = await commitWritten(x.table, x.cold, keys, (latest) => {
    if (exportedThrough(latest, x.writer) >= x.toNo) return null;
    let positions = {};
    if (x.logId !== undefined) {
      const now = positionsIn(latest, x.logId);
      const stands = standing(now, written);
      if (stands === 'held') return null;
      if (stands === 'overlap') {
        throw new SightlineError('SL_COLD_UNAVAILABLE', `table ${x.table.base}: another writer exported some of these events meanwhile; the export is planned again`, { retryable: true });
      }
      positions = positionsAfter(now, written, x.logId);
    }
    shape.verify?.(latest);
    const summary = { [exportedThroughKey(x.writer)]: String(x.toNo), ...positions };
    return { operation: 'append', added, removed: new Set(), summary, ...(shape.schema && { schema: shape.schema }) };
  });
  return committed ? { ...out, keys } : { keys: [], rows: 0, bytes: 0 };
}
