import type { DeadLetter } from '../core/dead-letter.js';
import type { SightlineEvent } from '../core/envelope.js';
import type { LogRecord, PartitionOffsets } from '../core/ports/log.js';
import type { EventRow, QualityCount, SeenId, TraceRun, WindowCount } from '../core/ports/processed-batch.js';
import type { ReferenceData } from '../core/ports/reference-data.js';
import type { QualitySpec } from '../quality/quality-rules.js';
import type { RuleFailure } from '../quality/quality-tally.js';
import type { AggregationConfig } from './aggregation-options.js';
import { versionMismatch } from './stages/contract-versions.js';
import type { DedupState } from './stages/dedup.js';
import { missMessage, profileOf, storedMetadata } from './stages/enrichment.js';
import { dedupHorizon } from '../core/dedup-window.js';
import { isProbeEvent } from '../core/probe-event.js';
import type { FinalBounds, StreamTime } from '../core/ports/processed-batch.js';
import { streamOf } from '../core/window-key.js';
import { advanceClock, type EventTimeState, finalBoundsOf, lateBefore, observeEventTime, pipelineWatermark, type StreamClock, type StreamObservations, type StreamRules, streamTimes } from './stages/event-time.js';
import { type EventTimeSpec, rulesFor } from './stream-rules.js';
import { failureMessage, firstError, QualityStage } from './stages/quality.js';
import { processDeadLetter } from './stages/refusal.js';
import { storedRow } from './stages/stored-row.js';
import { traceRunsOf } from './stages/trace-runs.js';
import { countIntoWindows, type WindowState } from './stages/windows.js';

export { logPosition } from '../core/log-position.js';

export interface PipelineSpec extends EventTimeSpec {
  name: string;
  dedupWindowMs: number;
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
  /** Ids seen within the dedup window, per stream (each forgets behind its own watermark). */
  dedup: Map<string, DedupState>;
  windows: WindowState;
  /** Values of each `unique` quality rule's field within the dedup window, by rule name. */
  unique: Map<string, DedupState>;
}

interface Classified {
  record: LogRecord;
  event: SightlineEvent;
  stream: string;
  late: boolean;
  /** Late and older than the dedup state reaches: only the store can say if it is a repeat. */
  needsStoreLookup: boolean;
}

/** A stream as the batch saw it at its start: its rules and where lateness began. */
interface StreamAtStart {
  rules: StreamRules;
  lateFrom: number;
  lookupBefore: number;
}

export interface Classification {
  items: Classified[];
  duplicates: number;
  undecodable: number;
  /** Every stream's clock after the batch (moved by what it read, or by idleness). */
  clocks: Map<string, StreamClock>;
  lookupIds: string[];
  /** Next offset per partition after this batch, counting repeats and undecodable records too. */
  nextOffsets: PartitionOffsets;
  /** The streams the batch read, as they were when it started. */
  streamsAtStart: Map<string, StreamAtStart>;
  now: number;
}

/**
 * First half of a batch, the stages that need no store: decode → event time (each stream's
 * progress per partition, late or not against its own watermark at the start of the batch) →
 * dedup against the state and the batch itself (ids older than their stream's state reaches are
 * set aside for the store). Watermarks advance once per batch. Nothing in `state` is changed here.
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
  const observed: StreamObservations = new Map();
  const streamsAtStart = new Map<string, StreamAtStart>();
  const lookupIds: string[] = [];
  const nextOffsets: PartitionOffsets = new Map();
  // Ids are unique across streams: an id any stream's state holds is a repeat.
  const dedups = [...state.dedup.values()];
  const seenBefore = (id: string): boolean => {
    for (const d of dedups) if (d.has(id)) return true;
    return false;
  };
  // Events come in runs of one stream: its entry is looked up once per run, not per event.
  let current: { source: string; type: string; stream: string; atStart: StreamAtStart; maxByPartition: Map<number, number> } | undefined;
  const entryFor = (source: string, type: string): NonNullable<typeof current> => {
    const stream = streamOf(source, type);
    let atStart = streamsAtStart.get(stream);
    if (!atStart) {
      const clock = state.streams.get(stream);
      const rules = clock?.rules ?? rulesFor(spec, source, type);
      atStart = { rules, lateFrom: lateBefore(clock, rules), lookupBefore: dedupHorizon(clock?.watermark ?? null, spec.dedupWindowMs) };
      streamsAtStart.set(stream, atStart);
      observed.set(stream, { source, type, maxByPartition: new Map() });
    }
    return { source, type, stream, atStart, maxByPartition: observed.get(stream)!.maxByPartition };
  };
  for (const record of records) {
    nextOffsets.set(record.partition, Math.max(nextOffsets.get(record.partition) ?? 0, record.offset + 1));
    let event: SightlineEvent;
    try {
      event = JSON.parse(record.value.toString('utf8')) as SightlineEvent;
    } catch {
      undecodable++;
      continue;
    }
    // A record a deletion request overwrote (src/core/erasure.ts): read again, it is nobody's event.
    if ((event as { sightline_erased?: unknown }).sightline_erased === true) continue;
    if (current === undefined || current.source !== event.source || current.type !== event.type) current = entryFor(event.source, event.type);
    const { stream, atStart } = current;
    observeEventTime(current.maxByPartition, record.partition, event.timestamp, now);
    if (batchSeen.has(event.id) || seenBefore(event.id)) {
      duplicates++;
      continue;
    }
    batchSeen.add(event.id);
    const needsStoreLookup = event.timestamp < atStart.lookupBefore;
    if (needsStoreLookup) lookupIds.push(event.id);
    items.push({ record, event, stream, late: event.timestamp < atStart.lateFrom, needsStoreLookup });
  }
  const readPartitions = new Set(state.readPartitions);
  for (const p of nextOffsets.keys()) readPartitions.add(p);
  return {
    items,
    duplicates,
    undecodable,
    clocks: nextClocks(state, spec, observed, partitionsWithUnread, readPartitions, now),
    lookupIds,
    nextOffsets,
    streamsAtStart,
    now,
  };
}

/** Every stream's clock after a batch: the ones it read moved by what they read, the others by idleness. */
function nextClocks(
  state: PipelineState,
  spec: PipelineSpec,
  observed: StreamObservations,
  withUnread: ReadonlySet<number>,
  readPartitions: ReadonlySet<number>,
  now: number,
): Map<string, StreamClock> {
  let unknownUnread = false;
  for (const p of withUnread) if (!readPartitions.has(p)) unknownUnread = true;
  const clocks = new Map<string, StreamClock>();
  for (const [stream, clock] of state.streams) clocks.set(stream, advanceClock(clock, observed.get(stream)?.maxByPartition, withUnread, unknownUnread, spec.aggregations, now));
  for (const [stream, seen] of observed) {
    if (clocks.has(stream)) continue;
    const fresh: StreamClock = {
      stream,
      source: seen.source,
      type: seen.type,
      rules: rulesFor(spec, seen.source, seen.type),
      watermark: null,
      finalizedThrough: null,
      maxEventTime: null,
      lastEventAt: null,
      maxByPartition: new Map(),
    };
    clocks.set(stream, advanceClock(fresh, seen.maxByPartition, withUnread, unknownUnread, spec.aggregations, now));
  }
  return clocks;
}

/** The probe's stream travels the whole path but no user window, dataset or bound counts it. */
export const notUserStream = (clock: StreamClock): boolean => isProbeEvent(clock.source, clock.type);

export interface BatchPlan {
  rows: EventRow[];
  windows: WindowCount[];
  newIds: SeenId[];
  /** The pipeline's watermark (lowest among user streams not idle), for display. */
  watermark: number | null;
  clocks: Map<string, StreamClock>;
  streams: StreamTime[];
  finalBounds: FinalBounds;
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
  const newIds: SeenId[] = [];
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
  const now = classification.now;
  const refuse = (record: LogRecord, event: SightlineEvent, code: string, message: string, rule?: string): void => {
    deadLetters.push(processDeadLetter(record, event, now, code, message, rule));
  };
  for (const { record, event, stream, late: isLate, needsStoreLookup } of classification.items) {
    // dedup, for what the state no longer holds
    if (needsStoreLookup && stored.has(event.id)) {
      duplicates++;
      continue;
    }
    // lateness, against the event's own stream
    if (isLate && spec.lateEvents === 'dead-letter') {
      late++;
      refuse(record, event, 'SL_EVENT_LATE', lateMessage(event, stream, classification.streamsAtStart.get(stream)!));
      continue;
    }
    if (isProbeEvent(event.source, event.type)) {
      // The canary is stored (the probe reads it back) and nothing else: no dataset counts it.
      newIds.push({ id: event.id, timestamp: event.timestamp, stream });
      if (isLate) late++;
      rows.push(storedRow(record, event, isLate, null));
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
    newIds.push({ id: event.id, timestamp: event.timestamp, stream });
    quality?.keep(event);
    const newest = newestBySource[event.source];
    if (newest === undefined || event.timestamp > newest) newestBySource[event.source] = event.timestamp;
    // windows (a late event is stored, but no window may count it any more)
    if (isLate) late++;
    else unaggregated += countIntoWindows(event, stream, spec.aggregations, state.windows, touched);
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
    watermark: pipelineWatermark(classification.clocks, now, notUserStream),
    clocks: classification.clocks,
    streams: streamTimes(classification.clocks),
    finalBounds: finalBoundsOf(classification.clocks, spec.aggregations, state.finalBounds, now, notUserStream),
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

function lateMessage(event: SightlineEvent, stream: string, atStart: StreamAtStart): string {
  return (
    `event time ${new Date(event.timestamp).toISOString()} is before ${new Date(atStart.lateFrom).toISOString()}: ` +
    `its windows are final (stream ${stream}: watermark minus ${atStart.rules.allowedLatenessMs} ms allowed lateness)`
  );
}
