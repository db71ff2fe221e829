import type { Reprocessed, StoredEventRow } from '../core/backfill.js';
import { isPlainObject, type SightlineEvent } from '../core/envelope.js';
import { splitLogPosition } from '../core/log-position.js';
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
 * Runs stored events through processing's checks again, with the pipeline as configured now: the
 * quality rules (an event one now fails is refused, with the dead letter processing would write)
 * and enrichment (against the reference data loaded now). Dedup does not run (the table holds each
 * event once) and lateness is kept as it was decided when the event arrived.
 */
export function reprocess(rows: readonly StoredEventRow[], spec: PipelineSpec, reference: ReferenceData | undefined, now: number): Reprocessed {
  const classification: Classification = { items: [], duplicates: 0, undecodable: 0, clocks: new Map(), lookupIds: [], nextOffsets: new Map(), streamsAtStart: new Map(), now };
  const byPosition = new Map<number, StoredEventRow>();
  const positionOf = new Map<string, number>();
  for (const row of rows) {
    const event = loggedEvent(row);
    const stream = streamOf(event.source, event.type);
    if (!classification.streamsAtStart.has(stream)) {
      classification.streamsAtStart.set(stream, { rules: rulesFor(spec, event.source, event.type), lateFrom: Number.NEGATIVE_INFINITY, lookupBefore: Number.NEGATIVE_INFINITY });
    }
    classification.items.push({ record: recordOf(row, event, now), event, stream, late: row.late, needsStoreLookup: false });
    byPosition.set(row.logPos, row);
    positionOf.set(row.id, row.logPos);
  }
  const plan = assembleBatch(classification, new Set(), emptyState(spec), { ...spec, lateEvents: 'store' }, reference, new Map());
  const kept = plan.rows.map((r) => ({ logPos: r.logPos, metadata: r.metadata ?? JSON.stringify(loggedEvent(byPosition.get(r.logPos)!).metadata) }));
  // A table holds each id once, so the id finds the row a letter is of.
  const refused = plan.deadLetters.map((letter) => ({ logPos: positionOf.get(letter.eventId!)!, letter }));
  return { kept, refused };
}

/**
 * Counts stored events into the windows of the configured aggregations, as processing counts them
 * (a late event is in no window). `touched` accumulates over calls: one per chunk of rows.
 */
export function countStored(rows: readonly StoredEventRow[], spec: PipelineSpec, touched: Map<string, WindowCount>): void {
  const windows = new WindowState();
  for (const row of rows) {
    if (row.late) continue;
    const event = loggedEvent(row);
    countIntoWindows(event, streamOf(event.source, event.type), spec.aggregations, windows, touched);
  }
}
