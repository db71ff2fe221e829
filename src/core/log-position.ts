/**
 * An event's place in the log packed into one number: partition * 2^40 + offset. Unique, stable
 * across replays, and the hot store's paging tiebreak (`log_pos`).
 */
export const LOG_POS_PARTITION_SHIFT = 2 ** 40;

export function logPosition(partition: number, offset: number): number {
  return partition * LOG_POS_PARTITION_SHIFT + offset;
}

export function splitLogPosition(logPos: number): { partition: number; offset: number } {
  return { partition: Math.floor(logPos / LOG_POS_PARTITION_SHIFT), offset: logPos % LOG_POS_PARTITION_SHIFT };
}
