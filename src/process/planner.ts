import { encodeEventRows } from '../core/event-rows.js';
import type { EventRowsNdjson, PipelineCheckpoint, StateChanges } from '../core/ports/processed-batch.js';
import type { LogRecord, PartitionOffsets } from '../core/ports/log.js';
import type { ReferenceData } from '../core/ports/reference-data.js';
import { assembleBatch, type BatchPlan, classifyBatch, type PipelineSpec, type PipelineState } from './batch-plan.js';
import { DedupState } from './stages/dedup.js';
import { WindowState } from './stages/windows.js';

/**
 * A planned batch: what the processor commits, and what it counts once the commit succeeds. The
 * plan without what only the planner's state needs, rows encoded for the store.
 */
export interface PlannedBatch extends Omit<BatchPlan, 'rows' | 'newIds' | 'partitionMaxTimestamp' | 'newUniqueValues'> {
  rows: EventRowsNdjson;
  records: number;
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
  reset(checkpoint: PipelineCheckpoint, ids: Array<{ id: string; timestamp: number }>, unique?: UniqueValuesByRule): Promise<void>;
  plan(records: readonly LogRecord[], partitionsWithUnread: readonly number[], base: PartitionOffsets, lookup: StoredIdsLookup): Promise<PlannedBatch>;
  /** The watermark after the last planned batch. */
  readonly watermark: number | null;
  close(): Promise<void>;
}

export function emptyState(spec: PipelineSpec): PipelineState {
  return { dedup: new DedupState(spec.dedupWindowMs), windows: new WindowState(), watermark: null, finalizedThrough: null, partitionMaxTimestamp: new Map(), unique: new Map() };
}

export function stateFromCheckpoint(spec: PipelineSpec, checkpoint: PipelineCheckpoint, ids: Array<{ id: string; timestamp: number }>, unique: UniqueValuesByRule = {}): PipelineState {
  const state = emptyState(spec);
  for (const [rule, values] of Object.entries(unique)) {
    const seen = new DedupState(spec.dedupWindowMs);
    for (const { value, timestamp } of values) seen.add(value, timestamp);
    state.unique.set(rule, seen);
  }
  state.watermark = checkpoint.watermark;
  state.finalizedThrough = checkpoint.finalizedThrough;
  for (const w of checkpoint.openWindows) state.windows.set(w);
  for (const { id, timestamp } of ids) state.dedup.add(id, timestamp);
  return state;
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
): Promise<PlannedBatch> {
  const classification = classifyBatch(records, state, spec, new Set(partitionsWithUnread));
  const stored = classification.lookupIds.length > 0 ? await lookup(classification.lookupIds) : new Set<string>();
  const plan = assembleBatch(classification, stored, state, spec, reference, base);
  for (const { id, timestamp } of plan.newIds) state.dedup.add(id, timestamp);
  for (const { rule, value, timestamp } of plan.newUniqueValues) {
    let seen = state.unique.get(rule);
    if (!seen) state.unique.set(rule, (seen = new DedupState(spec.dedupWindowMs)));
    seen.add(value, timestamp);
  }
  for (const w of plan.windows) state.windows.set(w);
  if (plan.finalizeThrough !== null) state.windows.closeThrough(plan.finalizeThrough);
  state.watermark = plan.watermark;
  state.finalizedThrough = plan.finalizeThrough;
  state.partitionMaxTimestamp = plan.partitionMaxTimestamp;
  state.dedup.moveWith(plan.watermark);
  for (const seen of state.unique.values()) seen.moveWith(plan.watermark);
  const { rows, newIds, partitionMaxTimestamp: _kept, newUniqueValues, ...counted } = plan;
  return {
    ...counted,
    rows: encodeEventRows(rows),
    records: records.length,
    ...(spec.changelog && { changelog: { ids: newIds, unique: newUniqueValues } }),
  };
}
