import type { FinalBounds, StreamTime } from '../../core/ports/processed-batch.js';
import { type AggregationConfig, matchesStream } from '../aggregation-options.js';
import { tumblingStart } from './windows.js';

/** One stream's event-time rules: the `process` defaults, overridden per source or source/type. */
export interface StreamRules {
  watermarkDelayMs: number;
  allowedLatenessMs: number;
  /** After this long without an event (and nothing left unread), the stream stops holding windows open. */
  idleTimeoutMs: number;
}

/** One stream's event time in the planner: what a checkpoint keeps, and its progress per partition since start. */
export interface StreamClock extends StreamTime {
  source: string;
  type: string;
  rules: StreamRules;
  /** Highest event time read from each partition (since start; not persisted). */
  maxByPartition: Map<number, number>;
}

/**
 * Event time, per stream (source/type), as a stream processor keeps a watermark per input: a
 * lagging or backfilling stream never makes another's events late. A batch reads the clocks as
 * they were when it started; the planner moves them afterwards.
 */
export interface EventTimeState {
  streams: Map<string, StreamClock>;
  /** Partitions read from since start: until one is, nothing is known of what it holds. */
  readPartitions: Set<number>;
  /** Each aggregation's windows ending at or before its bound are final. */
  finalBounds: FinalBounds;
}

/** A stream's events older than this are late: its watermark minus its allowed lateness, and never before what is final already. */
export function lateBefore(clock: StreamTime | undefined, rules: StreamRules): number {
  if (!clock) return Number.NEGATIVE_INFINITY;
  return Math.max(clock.watermark === null ? Number.NEGATIVE_INFINITY : clock.watermark - rules.allowedLatenessMs, clock.finalizedThrough ?? Number.NEGATIVE_INFINITY);
}

/**
 * Notes an event read from a partition. An event stamped in the future (a producer's wrong clock)
 * may be stored, but must not drag the watermark past the present and make every on-time event
 * after it late.
 */
export function observeEventTime(maxByPartition: Map<number, number>, partition: number, timestamp: number, now: number): void {
  const progress = Math.min(timestamp, now);
  const seen = maxByPartition.get(partition);
  if (seen === undefined || progress > seen) maxByPartition.set(partition, progress);
}

/** Whether a stream has been quiet for its idle timeout. */
export function isIdle(clock: StreamTime & { rules: StreamRules }, now: number): boolean {
  return clock.lastEventAt !== null && now - clock.lastEventAt >= clock.rules.idleTimeoutMs;
}

/** What a batch read of one stream: highest event time per partition. */
export type StreamObservations = Map<string, { source: string; type: string; maxByPartition: Map<number, number> }>;

/**
 * A stream's clock after a batch. Its watermark is bounded out-of-orderness per partition (highest
 * event time read minus the delay); the stream's is the lowest among the partitions that still have
 * unread records, so a partition read ahead of the others (round robin over a backlog) cannot make
 * their events late. With nothing left unread, the highest applies. A partition with unread records
 * that the stream has not appeared in since start (or never read since start: every stream) holds
 * the stream still.
 *
 * Idleness: once everything is read and the stream has had no event for its idle timeout, its
 * watermark moves on with the wall clock from where its events left it, until its newest window is
 * final, so the newest windows of a stream that stopped do not stay open for ever. It never moves
 * back.
 */
export function advanceClock(
  clock: StreamClock,
  read: Map<number, number> | undefined,
  withUnread: ReadonlySet<number>,
  unknownUnread: boolean,
  aggregations: readonly AggregationConfig[],
  now: number,
): StreamClock {
  const maxByPartition = new Map(clock.maxByPartition);
  let maxEventTime = clock.maxEventTime;
  let lastEventAt = clock.lastEventAt;
  if (read) {
    for (const [p, ts] of read) {
      const seen = maxByPartition.get(p);
      if (seen === undefined || ts > seen) maxByPartition.set(p, ts);
      if (maxEventTime === null || ts > maxEventTime) maxEventTime = ts;
    }
    lastEventAt = now;
  }
  const { watermarkDelayMs, allowedLatenessMs, idleTimeoutMs } = clock.rules;
  let watermark = clock.watermark;
  if (!unknownUnread) {
    let candidate: number | null = null;
    let held = false;
    for (const p of withUnread) {
      const ts = maxByPartition.get(p);
      // Unread records in a partition this stream has not appeared in yet may be its oldest
      // events (one send spreads a stream over every partition): it does not move until they
      // are read. Keys are event ids, so this lasts only until a stream has met each partition.
      if (ts === undefined) {
        held = true;
        break;
      }
      if (candidate === null || ts < candidate) candidate = ts;
    }
    if (withUnread.size === 0) for (const ts of maxByPartition.values()) if (candidate === null || ts > candidate) candidate = ts;
    if (!held && candidate !== null && (watermark === null || candidate - watermarkDelayMs > watermark)) watermark = candidate - watermarkDelayMs;
  }
  if (withUnread.size === 0 && maxEventTime !== null && lastEventAt !== null && now - lastEventAt >= idleTimeoutMs) {
    const newestEnd = newestWindowEnd(clock.source, clock.type, maxEventTime, aggregations);
    if (newestEnd !== null) {
      const idleFor = now - lastEventAt - idleTimeoutMs;
      const idleWatermark = Math.min(maxEventTime - watermarkDelayMs + idleFor, newestEnd + allowedLatenessMs);
      if (watermark === null || idleWatermark > watermark) watermark = idleWatermark;
    }
  }
  const finalizedThrough = watermark === null ? clock.finalizedThrough : Math.max(watermark - allowedLatenessMs, clock.finalizedThrough ?? Number.NEGATIVE_INFINITY);
  return { ...clock, watermark, finalizedThrough, maxEventTime, lastEventAt, maxByPartition };
}

/** The end of the newest window any aggregation counts this stream's newest event in; null when none counts it. */
function newestWindowEnd(source: string, type: string, maxEventTime: number, aggregations: readonly AggregationConfig[]): number | null {
  let end: number | null = null;
  for (const agg of aggregations) {
    if (!matchesStream(agg.match, source, type)) continue;
    for (const w of agg.windows) {
      const e = tumblingStart(maxEventTime, w.ms) + w.ms;
      if (end === null || e > end) end = e;
    }
  }
  return end;
}

/**
 * What the streams `include` picks hold back together: the lowest `pick` among those not idle (an
 * idle stream stops holding back what it gates, as Flink's `withIdleness`), or among all of them
 * when all are idle. Null when one of them has nothing yet; undefined when none is included.
 */
export function gatingValue(
  streams: ReadonlyMap<string, StreamClock>,
  include: (clock: StreamClock) => boolean,
  pick: (clock: StreamClock) => number | null,
  now: number,
): number | null | undefined {
  let active: number | null | undefined;
  let idle: number | null | undefined;
  for (const clock of streams.values()) {
    if (!include(clock)) continue;
    if (isIdle(clock, now)) idle = lowest(idle, pick(clock));
    else active = lowest(active, pick(clock));
  }
  return active !== undefined ? active : idle;
}

/**
 * Each aggregation's windows are final through what the streams it counts have all finalized
 * (gatingValue). A bound never moves back: a stream that appears later with older events is
 * counted in windows already final (their rows keep the flag and are corrected).
 */
export function finalBoundsOf(
  streams: ReadonlyMap<string, StreamClock>,
  aggregations: readonly AggregationConfig[],
  previous: FinalBounds,
  now: number,
  skip: (clock: StreamClock) => boolean,
): FinalBounds {
  const out: FinalBounds = { ...previous };
  for (const agg of aggregations) {
    const bound = gatingValue(streams, (c) => !skip(c) && matchesStream(agg.match, c.source, c.type), (c) => c.finalizedThrough, now);
    if (bound === undefined || bound === null) continue;
    const before = out[agg.name];
    if (before === undefined || bound > before) out[agg.name] = bound;
  }
  return out;
}

/** The lowest of two bounds, where null (nothing final yet) is lowest of all. */
function lowest(a: number | null | undefined, b: number | null): number | null {
  if (a === undefined) return b;
  if (a === null || b === null) return null;
  return Math.min(a, b);
}

/** The pipeline's watermark: the lowest among the streams not idle, or the highest when all are (display and metrics). */
export function pipelineWatermark(streams: ReadonlyMap<string, StreamClock>, now: number, skip: (clock: StreamClock) => boolean): number | null {
  let active: number | null = null;
  let idle: number | null = null;
  for (const clock of streams.values()) {
    if (skip(clock) || clock.watermark === null) continue;
    if (isIdle(clock, now)) {
      if (idle === null || clock.watermark > idle) idle = clock.watermark;
    } else if (active === null || clock.watermark < active) active = clock.watermark;
  }
  return active ?? idle;
}

/** The clocks as a checkpoint keeps them. */
export function streamTimes(streams: ReadonlyMap<string, StreamClock>): StreamTime[] {
  return [...streams.values()].map(({ stream, watermark, finalizedThrough, maxEventTime, lastEventAt }) => ({ stream, watermark, finalizedThrough, maxEventTime, lastEventAt }));
}
