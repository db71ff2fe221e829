import { SightlineError } from './errors.js';
import type { GroupMemberOptions } from './ports/log.js';

export const GROUP_MEMBER_DEFAULTS: Required<GroupMemberOptions> = {
  sessionTimeoutMs: 10_000,
  heartbeatIntervalMs: 1_000,
  rebalanceTimeoutMs: 30_000,
};

export function resolveGroupMemberOptions(options: GroupMemberOptions = {}): Required<GroupMemberOptions> {
  const resolved = { ...GROUP_MEMBER_DEFAULTS };
  for (const key of Object.keys(GROUP_MEMBER_DEFAULTS) as Array<keyof GroupMemberOptions>) {
    const value = options[key];
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value <= 0) throw new SightlineError('SL_CONFIG_INVALID', `group member: ${key} must be a positive integer`);
    resolved[key] = value;
  }
  // A member that heartbeats less often than its session lasts is removed between two heartbeats.
  if (resolved.heartbeatIntervalMs >= resolved.sessionTimeoutMs) {
    throw new SightlineError('SL_CONFIG_INVALID', 'group member: heartbeatIntervalMs must be less than sessionTimeoutMs');
  }
  return resolved;
}

/**
 * Kafka's range assignment: members sorted by id, each given a contiguous run of partitions, the
 * first `partitions % members` one more. The same member set always gets the same answer, on
 * every adapter and whichever member computes it.
 */
export function rangeAssignment(memberIds: readonly string[], partitions: number): Map<string, number[]> {
  const sorted = [...new Set(memberIds)].sort();
  const out = new Map<string, number[]>();
  const base = Math.floor(partitions / Math.max(1, sorted.length));
  const extra = partitions % Math.max(1, sorted.length);
  let next = 0;
  sorted.forEach((id, i) => {
    const count = base + (i < extra ? 1 : 0);
    out.set(id, Array.from({ length: count }, (_, k) => next + k));
    next += count;
  });
  return out;
}

/** The partitions a consumer reads: all of the topic's, or the given ones checked, ascending. */
export function consumerPartitions(topic: string, partitionCount: number, requested?: readonly number[]): number[] {
  if (requested === undefined) return Array.from({ length: partitionCount }, (_, p) => p);
  for (const p of requested) {
    if (!Number.isInteger(p) || p < 0 || p >= partitionCount) {
      throw new SightlineError('SL_LOG_OFFSET_OUT_OF_RANGE', `topic "${topic}" has no partition ${String(p)} (it has ${partitionCount}: 0 to ${partitionCount - 1})`);
    }
  }
  return [...new Set(requested)].sort((a, b) => a - b);
}

/** A commit names only partitions its consumer reads: committing another member's would move its offsets. */
export function checkCommitPartitions(topic: string, read: ReadonlyMap<number, unknown>, offsets: ReadonlyMap<number, number>): void {
  for (const p of offsets.keys()) {
    if (!read.has(p)) throw new SightlineError('SL_LOG_OFFSET_OUT_OF_RANGE', `this consumer of "${topic}" does not read partition ${p}, so it cannot commit it`);
  }
}
