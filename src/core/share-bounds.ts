import type { StreamTime } from './ports/processed-batch.js';

/**
 * Through when each stream's window shares are final: its own bound. A share of no stream (kept
 * from before shares per stream) closes with the earliest stream; an unknown stream's stays open.
 * The planner's open windows and the Kafka state topic's window records close by the same rule.
 */
export function shareFinalThrough(streams: Iterable<Pick<StreamTime, 'stream' | 'finalizedThrough'>>): (stream: string) => number | null {
  const byStream = new Map<string, number | null>();
  let earliest: number | null = null;
  for (const { stream, finalizedThrough } of streams) {
    byStream.set(stream, finalizedThrough);
    if (finalizedThrough !== null && (earliest === null || finalizedThrough < earliest)) earliest = finalizedThrough;
  }
  return (stream) => byStream.get(stream) ?? (stream === '' ? earliest : null);
}
