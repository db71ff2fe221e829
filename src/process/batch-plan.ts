import type { AggregationConfig } from './aggregation-options.js';
import { subjectFor } from '../contracts/subject.js';
import { logPosition } from '../core/log-position.js';
import { isPlainObject, readPath, type SightlineEvent } from '../core/envelope.js';
import type { EventRow, TraceRun, WindowCount } from '../core/ports/processed-batch.js';
import type { LogRecord, PartitionOffsets } from '../core/ports/log.js';
import type { ReferenceData } from '../core/ports/reference-data.js';
import { type DeadLetter, REPLAY_OF_HEADER } from '../core/dead-letter.js';
import type { QualityCount } from '../core/ports/processed-batch.js';
import { type QualitySpec, uniqueKey } from '../quality/quality-rules.js';
import { QualityTally, type RuleFailure } from '../quality/quality-tally.js';
import type { DedupState } from './dedup-state.js';
import { windowKey } from '../core/window-key.js';
import { tumblingStart, type WindowState } from './window-state.js';

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

export interface PipelineState {
  dedup: DedupState;
  windows: WindowState;
  watermark: number | null;
  /** Windows ending at or before this are final: events before it are late whatever the config says now. */
  finalizedThrough: number | null;
  /** Highest event time read from each partition (since start; not persisted). */
  partitionMaxTimestamp: Map<number, number>;
  /** Values of each `unique` quality rule's field within the dedup window, by rule name. */
  unique: Map<string, DedupState>;
}

export { logPosition } from '../core/log-position.js';

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
 * First half of a batch: decode, drop repeats the dedup state knows, and mark late events: those
 * older than the watermark at the start of the batch minus the allowed lateness.
 *
 * The watermark then advances once per batch. Each partition has its own (highest event time read
 * minus the delay, i.e. bounded out-of-orderness); the pipeline's is the lowest among partitions
 * that still have unread records, so a partition read ahead of the others (round robin over a
 * backlog) cannot make their events late. With nothing left unread, the highest applies, as for a
 * single stream. It never moves back. Nothing in `state` is changed here.
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
  const watermark = state.watermark;
  const lateBefore = Math.max(watermark === null ? Number.NEGATIVE_INFINITY : watermark - spec.allowedLatenessMs, state.finalizedThrough ?? Number.NEGATIVE_INFINITY);
  const lookupBefore = watermark === null ? Number.NEGATIVE_INFINITY : watermark - spec.dedupWindowMs;
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
    // An event stamped in the future (a producer's wrong clock) may be stored, but must not drag
    // the watermark past the present and make every on-time event after it late.
    const progress = Math.min(event.timestamp, now);
    const seenMax = partitionMaxTimestamp.get(record.partition);
    if (seenMax === undefined || progress > seenMax) partitionMaxTimestamp.set(record.partition, progress);
    if (state.dedup.has(event.id) || batchSeen.has(event.id)) {
      duplicates++;
      continue;
    }
    batchSeen.add(event.id);
    const late = event.timestamp < lateBefore;
    const needsStoreLookup = event.timestamp < lookupBefore;
    if (needsStoreLookup) lookupIds.push(event.id);
    items.push({ record, event, late, needsStoreLookup });
  }
  return {
    items,
    duplicates,
    undecodable,
    watermark: nextWatermark(watermark, partitionMaxTimestamp, partitionsWithUnread, spec.watermarkDelayMs),
    partitionMaxTimestamp,
    lookupIds,
    nextOffsets,
    lateBefore,
  };
}

function nextWatermark(current: number | null, maxByPartition: Map<number, number>, withUnread: ReadonlySet<number>, delayMs: number): number | null {
  let candidate: number | null = null;
  if (withUnread.size === 0) {
    for (const ts of maxByPartition.values()) if (candidate === null || ts > candidate) candidate = ts;
  } else {
    for (const p of withUnread) {
      const ts = maxByPartition.get(p);
      // A partition with unread records and nothing read yet: nothing is known, hold still.
      if (ts === undefined) return current;
      if (candidate === null || ts < candidate) candidate = ts;
    }
  }
  if (candidate === null) return current;
  const proposed = candidate - delayMs;
  return current === null || proposed > current ? proposed : current;
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

/** Second half: enrich, count into windows, and build the rows; `stored` are ids the store already has. */
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
  const versionMismatches: Record<string, number> = {};
  const deadLetters: DeadLetter[] = [];
  const tally = spec.quality && spec.quality.rules.length > 0 ? new QualityTally(spec.quality) : undefined;
  const newUniqueValues: BatchPlan['newUniqueValues'] = [];
  // Values of unique rules kept earlier in this batch, on top of the state's.
  const batchUnique = new Map<string, Set<string>>();
  const uniqueView = (rule: string) => ({
    has: (value: string) => state.unique.get(rule)?.has(value) === true || batchUnique.get(rule)?.has(value) === true,
  });
  let flagged = 0;
  const newestBySource: Record<string, number> = Object.create(null);
  const now = Date.now();
  const refuse = (record: LogRecord, event: SightlineEvent, code: string, message: string, rule?: string): void => {
    deadLetters.push(processDeadLetter(record, event, now, code, message, rule));
  };
  for (const { record, event, late: isLate, needsStoreLookup } of classification.items) {
    if (needsStoreLookup && stored.has(event.id)) {
      duplicates++;
      continue;
    }
    if (isLate && spec.lateEvents === 'dead-letter') {
      late++;
      refuse(record, event, 'SL_EVENT_LATE', `event time ${new Date(event.timestamp).toISOString()} is before ${new Date(classification.lateBefore).toISOString()}: its windows are final (watermark minus ${spec.allowedLatenessMs} ms allowed lateness)`);
      continue;
    }
    let warnings: readonly RuleFailure[] | undefined;
    if (tally) {
      const failures = tally.check(event, now, uniqueView);
      const errors = failures.filter((f) => f.severity === 'error');
      if (errors.length > 0) {
        refuse(record, event, 'SL_QUALITY_FAILED', failures.map((f) => `${f.rule} (${f.severity}): ${f.message}`).join('; '), errors[0]!.rule);
        continue;
      }
      if (failures.length > 0) warnings = failures;
    }
    let metadata: string | null = null;
    let profile: Record<string, unknown> | undefined;
    if (spec.joinOn && reference) {
      const key = readPath(event, spec.joinOn);
      profile = typeof key === 'string' || typeof key === 'number' ? reference.lookup(String(key)) : undefined;
      if (!profile) {
        enrichmentMisses++;
        if (spec.enrichmentMiss === 'dead-letter') {
          refuse(record, event, 'SL_ENRICHMENT_MISS', `the reference data has no row for ${spec.joinOn.join('.')} = ${JSON.stringify(key) ?? 'undefined'}`);
          continue;
        }
      }
    }
    if (warnings) {
      flagged++;
      const flaggedMetadata = { ...event.metadata, quality: { warnings: warnings.map((w) => ({ rule: w.rule, message: w.message })) } };
      metadata = profile ? enrichedMetadata(flaggedMetadata, profile) : wellFormedJson(flaggedMetadata);
    } else if (profile) {
      metadata = enrichedMetadata(event.metadata, profile);
    }
    newIds.push({ id: event.id, timestamp: event.timestamp });
    if (tally) {
      for (const rule of tally.uniqueRules(event)) {
        const value = uniqueKey(readPath(event, rule.uniqueField!));
        if (value === undefined) continue;
        let values = batchUnique.get(rule.name);
        if (!values) batchUnique.set(rule.name, (values = new Set()));
        values.add(value);
        newUniqueValues.push({ rule: rule.name, value, timestamp: event.timestamp });
      }
    }
    const newest = newestBySource[event.source];
    if (newest === undefined || event.timestamp > newest) newestBySource[event.source] = event.timestamp;
    if (isLate) late++;
    else unaggregated += countIntoWindows(event, spec.aggregations, state, touched);
    if (spec.acceptedVersions) {
      const mismatch = versionMismatch(event, spec.acceptedVersions);
      if (mismatch) versionMismatches[mismatch] = (versionMismatches[mismatch] ?? 0) + 1;
    }
    const userId = isPlainObject(event.payload) ? event.payload.user_id : undefined;
    rows.push({
      logPos: logPosition(record.partition, record.offset),
      id: event.id,
      timestamp: event.timestamp,
      userId: typeof userId === 'string' || typeof userId === 'number' ? String(userId) : null,
      late: isLate,
      json: storableJson(record.value, event),
      metadata,
    });
  }
  const watermark = classification.watermark;
  return {
    rows,
    windows: [...touched.values()],
    newIds,
    watermark,
    partitionMaxTimestamp: classification.partitionMaxTimestamp,
    finalizeThrough: watermark === null ? state.finalizedThrough : Math.max(watermark - spec.allowedLatenessMs, state.finalizedThrough ?? Number.NEGATIVE_INFINITY),
    duplicates,
    late,
    undecodable: classification.undecodable,
    enrichmentMisses,
    unaggregated,
    versionMismatches,
    traceRuns: traceRunsOf(classification.items.map((i) => i.record)),
    offsets,
    deadLetters,
    quality: tally?.results() ?? [],
    newUniqueValues,
    flagged,
    newestBySource,
  };
}

/** A dead letter for an event refused in processing: the log's bytes, and where in the log it sat. */
function processDeadLetter(record: LogRecord, event: SightlineEvent, now: number, code: string, message: string, rule?: string): DeadLetter {
  const contract = isPlainObject(event.metadata) ? event.metadata.contract : undefined;
  const schema =
    isPlainObject(contract) && typeof contract.subject === 'string' && typeof contract.version === 'number' && typeof contract.id === 'number'
      ? { subject: contract.subject, version: contract.version, id: contract.id }
      : undefined;
  const traceparent = record.headers.traceparent;
  const replayOf = record.headers[REPLAY_OF_HEADER];
  return {
    reason: { code, stage: 'process', message, ...(rule !== undefined && { rule }), ...(schema && { schema }), ...(traceparent !== undefined && { traceparent }) },
    // A copy with a buffer of its own: a view into the batch's buffer would drag all of it along
    // when the plan is posted back from the planner thread.
    original: Buffer.from(Uint8Array.from(record.value).buffer),
    eventId: event.id,
    source: event.source,
    type: event.type,
    at: now,
    origin: `${record.topic}/${record.partition}/${record.offset}`,
    ...(replayOf !== undefined && { replayOf }),
  };
}

/** Runs of consecutive offsets per partition that carry one trace id. */
function traceRunsOf(records: readonly LogRecord[]): TraceRun[] {
  const runs: TraceRun[] = [];
  const open = new Map<number, TraceRun>();
  for (const record of records) {
    const traceId = traceIdOf(record.headers.traceparent);
    const current = open.get(record.partition);
    if (current && traceId === current.traceId && record.offset === current.toOffset + 1) {
      current.toOffset = record.offset;
      continue;
    }
    if (traceId === null) {
      open.delete(record.partition);
      continue;
    }
    const run = { partition: record.partition, fromOffset: record.offset, toOffset: record.offset, traceId };
    runs.push(run);
    open.set(record.partition, run);
  }
  return runs;
}

/**
 * `subject@version` when the pipeline lists accepted versions for the event's subject and the
 * event's contract stamp (written by ingest) names another version, or none.
 */
function versionMismatch(event: SightlineEvent, accepted: Record<string, number[]>): string | undefined {
  const subject = subjectFor(event.source, event.type);
  const versions = accepted[subject];
  if (!versions) return undefined;
  const contract = isPlainObject(event.metadata) ? event.metadata.contract : undefined;
  const version = isPlainObject(contract) && typeof contract.version === 'number' ? contract.version : null;
  return version !== null && versions.includes(version) ? undefined : `${subject}@${version ?? 'none'}`;
}

const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;

let lastTraceparent: string | undefined;
let lastTraceId: string | null = null;

/**
 * The trace id of a W3C traceparent, or null for none or a malformed one (or the all-zero id).
 * The records of a request share one traceparent, so the last answer is kept.
 */
function traceIdOf(traceparent: string | undefined): string | null {
  if (traceparent === undefined) return null;
  if (traceparent === lastTraceparent) return lastTraceId;
  const id = TRACEPARENT.exec(traceparent)?.[1];
  lastTraceparent = traceparent;
  lastTraceId = id === undefined || /^0+$/.test(id) ? null : id;
  return lastTraceId;
}

/** JSON.stringify writes paired surrogates as characters and escapes only lone ones. */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/**
 * The event's JSON as the log holds it, unless it escapes a lone UTF-16 surrogate (JSON.parse
 * accepts one, DuckDB's reader rejects it, and one such event would stop every batch behind it):
 * then the event is written again with each lone surrogate replaced by U+FFFD. Ingest refuses such
 * strings; this guards records already in a log.
 */
function storableJson(json: Buffer, event: SightlineEvent): Uint8Array {
  // Most events have no escaped backslash-u at all: one native byte search rules them out.
  if (json.indexOf('\\u') === -1 || !SURROGATE_ESCAPE.test(json.toString('latin1'))) return json;
  return Buffer.from(wellFormedJson(event));
}

/** A profile's JSON, kept per profile object: a reload replaces the objects, so it never goes stale. */
const profileJson = new WeakMap<Record<string, unknown>, string>();

/**
 * The event's metadata with the profile under `enrichment`, replacing whatever the producer put
 * there. Most events carry no metadata of their own, and their result is built from the profile's
 * JSON serialised once, not per event.
 */
function enrichedMetadata(metadata: Record<string, unknown>, profile: Record<string, unknown>): string {
  let json = profileJson.get(profile);
  if (json === undefined) {
    json = wellFormedJson(profile);
    profileJson.set(profile, json);
  }
  if (!hasOwnKeys(metadata)) return `{"enrichment":${json}}`;
  // Ingest stamps metadata.contract, so most enriched events have some: serialise the rest as it
  // is and append the profile's cached JSON. Only an escaped \u (a possible lone surrogate, from
  // records written before ingest refused them) takes the slow, repairing path.
  const { enrichment: _replaced, ...rest } = metadata;
  if (!hasOwnKeys(rest)) return `{"enrichment":${json}}`;
  const restJson = JSON.stringify(rest);
  if (restJson.includes('\\u')) return wellFormedJson({ ...rest, enrichment: profile });
  return `${restJson.slice(0, -1)},"enrichment":${json}}`;
}

function hasOwnKeys(value: Record<string, unknown>): boolean {
  for (const key in value) if (Object.hasOwn(value, key)) return true;
  return false;
}

function wellFormedJson(value: unknown): string {
  return JSON.stringify(toWellFormedDeep(value));
}

function toWellFormedDeep(value: unknown): unknown {
  if (typeof value === 'string') return value.toWellFormed();
  if (Array.isArray(value)) return value.map(toWellFormedDeep);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k.toWellFormed()] = toWellFormedDeep(v);
    return out;
  }
  return value;
}

/** Returns how many aggregations matched the event but could not group it (no group field). */
function countIntoWindows(event: SightlineEvent, aggregations: AggregationConfig[], state: PipelineState, touched: Map<string, WindowCount>): number {
  let ungrouped = 0;
  for (const agg of aggregations) {
    if (agg.match.type !== undefined && agg.match.type !== event.type) continue;
    if (agg.match.source !== undefined && agg.match.source !== event.source) continue;
    const raw = readPath(event, agg.groupBy);
    if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') {
      ungrouped++;
      continue;
    }
    const group = String(raw);
    for (const w of agg.windows) {
      const windowStart = tumblingStart(event.timestamp, w.ms);
      const key = windowKey(agg.name, w.label, windowStart, group);
      const current = touched.get(key);
      if (current) current.count++;
      else touched.set(key, { name: agg.name, window: w.label, windowStart, windowEnd: windowStart + w.ms, group, count: state.windows.count(key) + 1 });
    }
  }
  return ungrouped;
}
