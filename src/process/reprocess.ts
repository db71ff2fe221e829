import type { Reprocessed, StoredEventRow } from '../core/backfill.js';
import { isPlainObject, type SightlineEvent } from '../core/envelope.js';
import { logPosition, splitLogPosition } from '../core/log-position.js';
import type { LogRecord } from '../core/ports/log.js';
import type { WindowCount } from '../core/ports/processed-batch.js';
import type { ReferenceData } from '../core/ports/reference-data.js';
import { EVENTS_TOPIC } from '../core/pipeline-topics.js';
import { streamOf } from '../core/window-key.js';
import { assembleBatch, type Classification, type PipelineSpec } from './batch-plan.js';
import { emptyState } from './planner.js';
import { countIntoWindows, WindowState } from './stages/windows.js';
import { rulesFor } from './stream-rules.js';

/** What processing adds to an event's metadata; the rest is the producer's (and ingest's contract stamp). */
const ADDED_BY_PROCESSING = ['enrichment', 'quality'];

/** The event as it was in the log: its stored metadata without what processing added. */
export function loggedEvent(row: StoredEventRow): SightlineEvent {
  const stored: unknown = JSON.parse(row.metadata || '{}');
  const metadata: Record<string, unknown> = {};
  if (isPlainObject(stored)) for (const [k, v] of Object.entries(stored)) if (!ADDED_BY_PROCESSING.includes(k)) metadata[k] = v;
  const payload: unknown = JSON.parse(row.payload || '{}');
  return { id: row.id, source: row.source, type: row.type, timestamp: row.timestamp, payload: isPlainObject(payload) ? payload : {}, metadata };
}

function recordOf(row: StoredEventRow, event: SightlineEvent, now: number): LogRecord {
  const { partition, offset } = splitLogPosition(row.logPos);
  return { topic: EVENTS_TOPIC, partition, offset, key: row.id, value: Buffer.from(JSON.stringify(event)), timestamp: now, headers: {} };
}

/**
 * The pipeline a backfill judges stored events with: the configured one without the quality rules
 * that depend on when or after what an event arrived (`timestamp` ages, `unique` values). Those
 * were judged on arrival; judged again now, an old event would always be too old.
 */
export function backfillSpec(spec: PipelineSpec): PipelineSpec {
  if (!spec.quality) return spec;
  return { ...spec, quality: { ...spec.quality, rules: spec.quality.rules.filter((r) => r.check !== 'timestamp' && r.check !== 'unique') } };
}

/**
 * Runs stored events through processing's checks again, with `spec` (see backfillSpec): the
 * quality rules (an event one now refuses gets the dead letter processing would write) and
 * enrichment (against the reference data loaded now). Dedup does not run (the table holds each
 * event once) and lateness is kept as it was decided when the event arrived. Answers too what each
 * refused event had added to the windows (a late one added nothing).
 */
export function reprocess(rows: readonly StoredEventRow[], spec: PipelineSpec, reference: ReferenceData | undefined, now: number): Reprocessed {
  const classification: Classification = { items: [], duplicates: 0, undecodable: 0, clocks: new Map(), lookupIds: [], nextOffsets: new Map(), streamsAtStart: new Map(), now };
  const byPosition = new Map<number, { row: StoredEventRow; event: SightlineEvent; stream: string }>();
  for (const row of rows) {
    const event = loggedEvent(row);
    const stream = streamOf(event.source, event.type);
    if (!classification.streamsAtStart.has(stream)) {
      classification.streamsAtStart.set(stream, { rules: rulesFor(spec, event.source, event.type), lateFrom: Number.NEGATIVE_INFINITY, lookupBefore: Number.NEGATIVE_INFINITY });
    }
    classification.items.push({ record: recordOf(row, event, now), event, stream, late: row.late, needsStoreLookup: false });
    byPosition.set(row.logPos, { row, event, stream });
  }
  const plan = assembleBatch(classification, new Set(), emptyState(spec), { ...spec, lateEvents: 'store' }, reference, new Map());
  const kept = plan.rows.map((r) => {
    const { row, event } = byPosition.get(r.logPos)!;
    return { logPos: r.logPos, id: row.id, metadata: r.metadata ?? JSON.stringify(event.metadata) };
  });
  const touched = new Map<string, WindowCount>();
  const windows = new WindowState();
  const refused = plan.deadLetters.map((letter) => {
    // The origin is the event's place in the log (`events/<partition>/<offset>`): its row.
    const [, partition, offset] = letter.origin!.split('/');
    const { row, event, stream } = byPosition.get(logPosition(Number(partition), Number(offset)))!;
    if (!row.late) countIntoWindows(event, stream, spec.aggregations, windows, touched);
    return { logPos: row.logPos, id: row.id, letter };
  });
  return { kept, refused, windows: [...touched.values()] };
}
