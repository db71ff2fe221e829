import type { DeadLetter } from '../core/dead-letter.js';
import type { SightlineEvent } from '../core/envelope.js';
import type { LogRecord, PartitionOffsets } from '../core/ports/log.js';
import type { EventRow, QualityCount, TraceRun, WindowCount } from '../core/ports/processed-batch.js';
import type { ReferenceData } from '../core/ports/reference-data.js';
import type { QualitySpec } from '../quality/quality-rules.js';
import type { RuleFailure } from '../quality/quality-tally.js';
import type { AggregationConfig } from './aggregation-options.js';
import { versionMismatch } from './stages/contract-versions.js';
import type { DedupState } from './stages/dedup.js';
import { missMessage, profileOf, storedMetadata } from './stages/enrichment.js';
import { type EventTimeState, finalizeThrough, lateBefore, nextWatermark, observeEventTime } from './stages/event-time.js';
import { failureMessage, firstError, QualityStage } from './stages/quality.js';
import { processDeadLetter } from './stages/refusal.js';
import { storedRow } from './stages/stored-row.js';
import { traceRunsOf } from './stages/trace-runs.js';
import { countIntoWindows, type WindowState } from './stages/windows.js';

export { logPosition } from '../core/log-position.js';

export interface PipelineSpec {
  name: string;
  dedupWindowMs: number;
  allowedLatenessMs: number;
  watermarkDelayMs: number;
  aggregations: AggregationConfig[];
  /** Path of the join key in the event for reference data (payload.user_id). */
  joinOn?: string[];
  /** Contract versions this pipeline accepts, per subject; others are counted as mismatches. */
  acceptedVersions?: Record<string, number[]>;
  /** Quality rules; an event failing one of severity error goes to the dead-letter queue. */
  quality?: QualitySpec;
  /** Late events (older than the watermark minus the allowed lateness): kept in the events table, or dead-lettered. */
  lateEvents?: 'store' | 'dead-letter';
  /** Events whose join key the reference data lacks: stored without enrichment, or dead-lettered. */
  enrichmentMiss?: 'store' | 'dead-letter';
  /** Hand each plan's dedup ids and unique values out with it, for a store that keeps a changelog of the state. */
  changelog?: boolean;
}

/** The state of each stage: what the pipeline remembers between batches. */
export interface PipelineState extends EventTimeState {
  dedup: DedupState;
  windows: WindowState;
  /** Values of each `unique` quality rule's field within the dedup window, by rule name. */
  unique: Map<string, DedupState>;
}

interface Classified {
  record: LogRecord;
  event: SightlineEvent;
  late: boolean;
  /** Late and older than the dedup state reaches: only the store can say if it is a repeat. */
  needsStoreLookup: boolean;
}

export interface Classification {
  items: Classified[];
  duplicates: number;
  undecodable: number;
  watermark: number | null;
  partitionMaxTimestamp: Map<number, number>;
  lookupIds: string[];
  /** Next offset per partition after this batch, counting repeats and undecodable records too. */
  nextOffsets: PartitionOffsets;
  /** Events older than this were marked late. */
  lateBefore: number;
}

/**
 * First half of a batch, the stages that need no store: decode → event time (each partition's
 * progress, late or not against the watermark at the start of the batch) → dedup against the
 * state and the batch itself (ids older than the state reaches are set aside for the store). The
 * watermark advances once per batch. Nothing in `state` is changed here.
 */
export function classifyBatch(
  records: readonly LogRecord[],
  state: PipelineState,
  spec: PipelineSpec,
  partitionsWithUnread: ReadonlySet<number> = new Set(),
  now: number = Date.now(),
): Classification {
  const items: Classified[] = [];
  const batchSeen = new Set<string>();
  let duplicates = 0;
  let undecodable = 0;
  const lateFrom = lateBefore(state, spec);
  const lookupBefore = state.dedup.reachesBackTo(state.watermark);
  const partitionMaxTimestamp = new Map(state.partitionMaxTimestamp);
  const lookupIds: string[] = [];
  const nextOffsets: PartitionOffsets = new Map();
  for (const record of records) {
    nextOffsets.set(record.partition, Math.max(nextOffsets.get(record.partition) ?? 0, record.offset + 1));
    let event: SightlineEvent;
    try {
      event = JSON.parse(record.value.toString('utf8')) as SightlineEvent;
    } catch {
      undecodable++;
      continue;
    }
    observeEventTime(partitionMaxTimestamp, record.partition, event.timestamp, now);
    if (state.dedup.has(event.id) || batchSeen.has(event.id)) {
      duplicates++;
      continue;
    }
    batchSeen.add(event.id);
    const needsStoreLookup = event.timestamp < lookupBefore;
    if (needsStoreLookup) lookupIds.push(event.id);
    items.push({ record, event, late: event.timestamp < lateFrom, needsStoreLookup });
  }
  return {
    items,
    duplicates,
    undecodable,
    watermark: nextWatermark(state.watermark, partitionMaxTimestamp, partitionsWithUnread, spec.watermarkDelayMs),
    partitionMaxTimestamp,
    lookupIds,
    nextOffsets,
    lateBefore: lateFrom,
  };
}

export interface BatchPlan {
  rows: EventRow[];
  windows: WindowCount[];
  newIds: Array<{ id: string; timestamp: number }>;
  watermark: number | null;
  partitionMaxTimestamp: Map<number, number>;
  finalizeThrough: number | null;
  duplicates: number;
  late: number;
  undecodable: number;
  enrichmentMisses: number;
  unaggregated: number;
  /** Stored events whose contract version the pipeline does not accept, by `subject@version`. */
  versionMismatches: Record<string, number>;
  traceRuns: TraceRun[];
  offsets: PartitionOffsets;
  /** Events this batch refuses (quality, late, enrichment), for the dead-letter topic before the commit. */
  deadLetters: DeadLetter[];
  quality: QualityCount[];
  /** Values of `unique` rules the batch's kept events add, by rule name. */
  newUniqueValues: Array<{ rule: string; value: string; timestamp: number }>;
  /** Kept events with quality warnings. */
  flagged: number;
  /** Newest event time among the batch's stored events, per source (for freshness per source). */
  newestBySource: Record<string, number>;
}

/**
 * Second half, each event through the rest of the chain in order: dedup against the store (for
 * events older than the state reaches; `stored` are the ids it has) → lateness → quality →
 * enrichment → windows → the stored row. A stage may refuse an event: it goes to the dead-letter
 * topic with the stage's reason and goes no further.
 */
export function assembleBatch(
  classification: Classification,
  stored: ReadonlySet<string>,
  state: PipelineState,
  spec: PipelineSpec,
  reference: ReferenceData | undefined,
  startOffsets: PartitionOffsets,
): BatchPlan {
  const rows: EventRow[] = [];
  const newIds: Array<{ id: string; timestamp: number }> = [];
  const touched = new Map<string, WindowCount>();
  const offsets = new Map(startOffsets);
  for (const [partition, next] of classification.nextOffsets) offsets.set(partition, next);
  let duplicates = classification.duplicates;
  let late = 0;
  let enrichmentMisses = 0;
  let unaggregated = 0;
  let flagged = 0;
  const versionMismatches: Record<string, number> = {};
  const deadLetters: DeadLetter[] = [];
  const quality = QualityStage.forBatch(spec.quality, state.unique);
  const enrichment = spec.joinOn && reference ? { joinOn: spec.joinOn, reference } : undefined;
  const newestBySource: Record<string, number> = Object.create(null);
  const now = Date.now();
  const refuse = (record: LogRecord, event: SightlineEvent, code: string, message: string, rule?: string): void => {
    deadLetters.push(processDeadLetter(record, event, now, code, message, rule));
  };
  for (const { record, event, late: isLate, needsStoreLookup } of classification.items) {
    // dedup, for what the state no longer holds
    if (needsStoreLookup && stored.has(event.id)) {
      duplicates++;
      continue;
    }
    // lateness
    if (isLate && spec.lateEvents === 'dead-letter') {
      late++;
      refuse(record, event, 'SL_EVENT_LATE', lateMessage(event, classification.lateBefore, spec));
      continue;
    }
    // quality
    let warnings: readonly RuleFailure[] | undefined;
    if (quality) {
      const failures = quality.check(event, now);
      const error = firstError(failures);
      if (error) {
        refuse(record, event, 'SL_QUALITY_FAILED', failureMessage(failures), error.rule);
        continue;
      }
      if (failures.length > 0) warnings = failures;
    }
    // enrichment
    let profile: Record<string, unknown> | undefined;
    if (enrichment) {
      profile = profileOf(event, enrichment.joinOn, enrichment.reference);
      if (!profile) {
        enrichmentMisses++;
        if (spec.enrichmentMiss === 'dead-letter') {
          refuse(record, event, 'SL_ENRICHMENT_MISS', missMessage(event, enrichment.joinOn));
          continue;
        }
      }
    }
    // kept: remembered for dedup and unique rules
    if (warnings) flagged++;
    newIds.push({ id: event.id, timestamp: event.timestamp });
    quality?.keep(event);
    const newest = newestBySource[event.source];
    if (newest === undefined || event.timestamp > newest) newestBySource[event.source] = event.timestamp;
    // windows (a late event is stored, but no window may count it any more)
    if (isLate) late++;
    else unaggregated += countIntoWindows(event, spec.aggregations, state.windows, touched);
    if (spec.acceptedVersions) {
      const mismatch = versionMismatch(event, spec.acceptedVersions);
      if (mismatch) versionMismatches[mismatch] = (versionMismatches[mismatch] ?? 0) + 1;
    }
    rows.push(storedRow(record, event, isLate, storedMetadata(event, warnings, profile)));
  }
  return {
    rows,
    windows: [...touched.values()],
    newIds,
    watermark: classification.watermark,
    partitionMaxTimestamp: classification.partitionMaxTimestamp,
    finalizeThrough: finalizeThrough(classification.watermark, state, spec),
    duplicates,
    late,
    undecodable: classification.undecodable,
    enrichmentMisses,
    unaggregated,
    versionMismatches,
    traceRuns: traceRunsOf(classification.items.map((i) => i.record)),
    offsets,
    deadLetters,
    quality: quality?.results() ?? [],
    newUniqueValues: quality?.newUniqueValues ?? [],
    flagged,
    newestBySource,
  };
}

function lateMessage(event: SightlineEvent, lateFrom: number, spec: PipelineSpec): string {
  return `event time ${new Date(event.timestamp).toISOString()} is before ${new Date(lateFrom).toISOString()}: its windows are final (watermark minus ${spec.allowedLatenessMs} ms allowed lateness)`;
}
