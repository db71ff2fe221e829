import type { LoadedTable } from '../../lakehouse/iceberg/iceberg-table.js';

/** The summary entry a backfill's snapshot of a table carries (`<job>/<day>`): a step that finds it there is done. */
export const BACKFILL_MARK = 'sightline.backfill';

export const backfillMark = (job: string, day: string): string => `${job}/${day}`;

/** Whether a snapshot of the table carries the mark (a step committed before a crash). */
export const markedBy = (table: LoadedTable | undefined, mark: string): boolean => !!table?.metadata.snapshots.some((s) => s.summary[BACKFILL_MARK] === mark);
