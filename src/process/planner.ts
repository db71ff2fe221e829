import { encodeEventRows } from '../core/event-rows.js';
import { dedupHorizon } from '../core/dedup-window.js';
import { shareFinalThrough } from '../core/share-bounds.js';
import { streamParts } from '../core/window-key.js';
import { matchesStream } from './aggregation-options.js';
import type { EventRowsNdjson, PipelineCheckpoint, SeenId, StateChanges, StreamTime } from '../core/ports/processed-batch.js';
import type { LogRecord, PartitionOffsets } from '../core/ports/log.js';
import type { ReferenceData } from '../core/ports/reference-data.js';
import { assembleBatch, type BatchPlan, classifyBatch, notUserStream, type PipelineSpec, type PipelineState } from './batch-plan.js';
import { DedupState } from './stages/dedup.js';
import { gatingValue, type StreamClock } from './stages/event-time.js';
import { rulesFor } from './stream-rules.js';
import { WindowState } from './stages/windows.js';

/**
 * A planned batch: what the processor commits, and what it counts once the commit succeeds. The
 * plan without what only the planner's state needs, rows encoded for the store.
 */
export interface PlannedBatch extends Omit<BatchPlan, 'rows' | 'newIds' | 'clocks' | 'newUniqueValues'> {
  rows: EventRowsNdjson;
  records: number;
  /** Whether the batch makes a window final (an empty batch that does not is not worth a commit). */
  finalizes: boolean;
  /** Only when the spec asks for a changelog. */
  changelog?: StateChanges;
}

/** Asks the store which of these ids it holds (late events older than the dedup state reaches). */
export type StoredIdsLookup = (ids: string[]) => Promise<Set<string>>;

/** What a restart restores besides the checkpoint: the values of each `unique` rule within the dedup window. */
export type UniqueValuesByRule = Record<string, Array<{ value: string; timestamp: number }>>;

/**
 * Owns the pipeline's in-memory state (dedup ids, open windows, watermarks) and plans batches
 * against it, applying each plan to the state at once. In the same thread (InlinePlanner) or in
 * a worker thread (WorkerThreadPlanner, so planning runs on another core than ingest and the event loop).
 * Both run planAndApply below.
 */
export interface Planner {
  /** Replaces the state with the store's checkpoint and the ids the dedup state must hold. */
  reset(checkpoint: PipelineCheckpoint, ids: SeenId[], unique?: UniqueValuesByRule): Promise<void>;
  /** `now`: the processing time (a test clock in tests), which idleness is measured on. */
  plan(records: readonly LogRecord[], partitionsWithUnread: readonly number[], base: PartitionOffsets, lookup: StoredIdsLookup, now: number): Promise<PlannedBatch>;
  /** The pipeline's watermark after the last planned batch. */
  readonly watermark: number | null;
  /** Each stream's event time after the last planned batch. */
  readonly streams: StreamTime[];
  close(): Promise<void>;
}

export function emptyState(spec: PipelineSpec): PipelineState {
  return { dedup: new Map(), windows: new WindowState(), streams: new Map(), readPartitions: new Set(), finalBounds: {}, unique: new Map() };
}

/** The clocks a checkpoint kept, with the rules the config gives their streams now. */
export function clocksOf(spec: PipelineSpec, streams: readonly StreamTime[]): Map<string, StreamClock> {
  const clocks = new Map<string, StreamClock>();
  for (const time of streams) {
    const { source, type } = streamParts(time.stream);
    clocks.set(time.stream, { ...time, source, type, rules: rulesFor(spec, source, type), maxByPartition: new Map() });
  }
  return clocks;
}

/**
 * Where the dedup state of each stream starts after a restart, and the earliest of them: what the
 * store is asked for. A checkpoint from before streams had their own gives one watermark for all.
 */
export function dedupStarts(spec: PipelineSpec, checkpoint: PipelineCheckpoint): { byStream: Map<string, number>; earliest: number } {
  const byStream = new Map<string, number>();
  let earliest = checkpoint.streams.length === 0 ? dedupHorizon(checkpoint.watermark, spec.dedupWindowMs) : Number.POSITIVE_INFINITY;
  for (const s of checkpoint.streams) {
    const from = dedupHorizon(s.watermark, spec.dedupWindowMs);
    byStream.set(s.stream, from);
    if (from < earliest) earliest = from;
  }
  return { byStream, earliest };
}

/**
 * The watermark a `unique` rule's values are forgotten behind: the lowest among the streams it
 * checks that are not idle (or among all it checks when all are).
 */
export function uniqueWatermark(match: { source?: string; type?: string }, clocks: ReadonlyMap<string, StreamClock>, now: number): number | null {
  const include = (c: StreamClock): boolean => !notUserStream(c) && matchesStream(match, c.source, c.type);
  return gatingValue(clocks, include, (c) => c.watermark, now) ?? null;
}

export function stateFromCheckpoint(spec: PipelineSpec, checkpoint: PipelineCheckpoint, ids: readonly SeenId[], unique: UniqueValuesByRule = {}): PipelineState {
  const state = emptyState(spec);
  for (const [rule, values] of Object.entries(unique)) {
    const seen = new DedupState(spec.dedupWindowMs);
    for (const { value, timestamp } of values) seen.add(value, timestamp);
    state.unique.set(rule, seen);
  }
  state.streams = clocksOf(spec, checkpoint.streams);
  state.finalBounds = { ...checkpoint.finalBounds };
  for (const w of checkpoint.openWindows) state.windows.set(w);
  const { byStream } = dedupStarts(spec, checkpoint);
  for (const { id, timestamp, stream } of ids) {
    // The store answers from the earliest stream's start; each stream keeps only its own window.
    if (timestamp < (byStream.get(stream) ?? Number.NEGATIVE_INFINITY)) continue;
    dedupOf(state, spec, stream).add(id, timestamp);
  }
  return state;
}

function dedupOf(state: PipelineState, spec: PipelineSpec, stream: string): DedupState {
  let seen = state.dedup.get(stream);
  if (!seen) state.dedup.set(stream, (seen = new DedupState(spec.dedupWindowMs)));
  return seen;
}

/** Plans one batch and applies it to `state`; shared by both planners. */
export async function planAndApply(
  state: PipelineState,
  spec: PipelineSpec,
  reference: ReferenceData | undefined,
  records: readonly LogRecord[],
  partitionsWithUnread: readonly number[],
  base: PartitionOffsets,
  lookup: StoredIdsLookup,
  now: number,
): Promise<PlannedBatch> {
  const classification = classifyBatch(records, state, spec, new Set(partitionsWithUnread), now);
  const stored = classification.lookupIds.length > 0 ? await lookup(classification.lookupIds) : new Set<string>();
  const plan = assembleBatch(classification, stored, state, spec, reference, base);
  let seen: DedupState | undefined;
  let seenStream: string | undefined;
  for (const { id, timestamp, stream } of plan.newIds) {
    // Ids come in runs of one stream: its state is looked up once per run.
    if (stream !== seenStream) [seen, seenStream] = [dedupOf(state, spec, stream), stream];
    seen!.add(id, timestamp);
  }
  for (const { rule, value, timestamp } of plan.newUniqueValues) {
    let seen = state.unique.get(rule);
    if (!seen) state.unique.set(rule, (seen = new DedupState(spec.dedupWindowMs)));
    seen.add(value, timestamp);
  }
  for (const w of plan.windows) state.windows.set(w);
  const finalizes = boundsCross(state.finalBounds, plan.finalBounds, spec);
  state.streams = plan.clocks;
  state.finalBounds = plan.finalBounds;
  for (const r of records) state.readPartitions.add(r.partition);
  const closed = state.windows.closeFinal(shareFinalThrough(plan.clocks.values()));
  for (const [stream, seen] of state.dedup) seen.moveWith(plan.clocks.get(stream)?.watermark ?? null);
  if (spec.quality) {
    for (const rule of spec.quality.rules) {
      if (rule.check === 'unique') state.unique.get(rule.name)?.moveWith(uniqueWatermark(rule.match, plan.clocks, now));
    }
  }
  const { rows, newIds, clocks: _kept, newUniqueValues, ...counted } = plan;
  return {
    ...counted,
    rows: encodeEventRows(rows),
    records: records.length,
    finalizes: finalizes || closed > 0,
    ...(spec.changelog && { changelog: { ids: newIds, unique: newUniqueValues } }),
  };
}

/** Whether moving the bounds from `before` to `after` passes the end of some window (ends are multiples of the window's size). */
function boundsCross(before: Readonly<Record<string, number>>, after: Readonly<Record<string, number>>, spec: PipelineSpec): boolean {
  for (const agg of spec.aggregations) {
    const to = after[agg.name];
    if (to === undefined) continue;
    const from = before[agg.name];
    if (from === undefined) return true;
    for (const w of agg.windows) if (Math.floor(to / w.ms) !== Math.floor(from / w.ms)) return true;
  }
  return false;
}
