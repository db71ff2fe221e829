import type { DuckDBConnection } from '@duckdb/node-api';
import { LOG_POS_PARTITION_SHIFT } from '../../core/log-position.js';
import type { LoadedTable } from '../../lakehouse/iceberg/iceberg-table.js';
import { currentSnapshot } from '../../lakehouse/iceberg/table-metadata.js';

/**
 * Which events a table of events holds, by their place in the log: per partition, the highest
 * position (`log_pos`) exported. Each serving node of a distributed deployment loads the same
 * events in the same order per partition (positions are the log's, not the node's), so any of
 * them can export to one shared table: it writes only the positions past what the table holds,
 * and a commit that finds another node got there first is dropped or retried, never doubled.
 */

/** The snapshot summary entry for one log (a Kafka topic prefix, an embedded data folder), carried by every later snapshot. */
export const logThroughKey = (logId: string): string => `sightline.log-through.${logId}`;

/** Partition → the highest position of it the table holds. */
export type Positions = Map<number, number>;

/** Partition → the lowest and highest position among some rows. */
export type PositionRanges = Map<number, { min: number; max: number }>;

export function positionsIn(table: LoadedTable | undefined, logId: string): Positions {
  const raw = table && currentSnapshot(table.metadata)?.summary[logThroughKey(logId)];
  if (!raw) return new Map();
  return new Map(Object.entries(JSON.parse(raw) as Record<string, number>).map(([p, pos]) => [Number(p), pos]));
}

/** A condition on `log_pos`: the rows the table does not hold yet. */
export function notHeldSql(held: Positions): string {
  if (held.size === 0) return 'true';
  return `NOT (${[...held].map(([p, pos]) => `log_pos BETWEEN ${p * LOG_POS_PARTITION_SHIFT} AND ${pos}`).join(' OR ')})`;
}

/** Per partition, the range of positions of the rows of `events` that `where` selects. */
export async function positionRanges(conn: DuckDBConnection, where: string, params?: Parameters<DuckDBConnection['runAndReadAll']>[1]): Promise<PositionRanges> {
  const rows = await conn.runAndReadAll(`SELECT log_pos // ${LOG_POS_PARTITION_SHIFT} AS p, min(log_pos), max(log_pos) FROM events WHERE ${where} GROUP BY p`, params);
  return new Map(rows.getRows().map(([p, min, max]) => [Number(p), { min: Number(min), max: Number(max) }]));
}

/**
 * How rows at `written` stand against what a newer version of the table holds: `held` when it holds
 * them all (another node exported them meanwhile: nothing to commit), `clear` when it holds none
 * (commit), `overlap` when some (the files must be written again).
 */
export function standing(held: Positions, written: PositionRanges): 'held' | 'clear' | 'overlap' {
  let all = true;
  let none = true;
  for (const [p, { min, max }] of written) {
    const through = held.get(p) ?? -1;
    if (through >= min) none = false;
    if (through < max) all = false;
  }
  return all ? 'held' : none ? 'clear' : 'overlap';
}

/** The summary entry after a commit of rows at `written` onto a table holding `held`. */
export function positionsAfter(held: Positions, written: PositionRanges, logId: string): Record<string, string> {
  const next = new Map(held);
  for (const [p, { max }] of written) next.set(p, Math.max(next.get(p) ?? -1, max));
  return { [logThroughKey(logId)]: JSON.stringify(Object.fromEntries([...next].sort((a, b) => a[0] - b[0]))) };
}
