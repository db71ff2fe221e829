import { isPlainObject, type SightlineEvent } from '../../core/envelope.js';
import { logPosition } from '../../core/log-position.js';
import type { LogRecord } from '../../core/ports/log.js';
import type { EventRow } from '../../core/ports/processed-batch.js';
import { wellFormedJson } from '../well-formed-json.js';

/** The row an event is stored as: the log's bytes as they are, with the metadata to store instead of its own. */
export function storedRow(record: LogRecord, event: SightlineEvent, late: boolean, metadata: string | null): EventRow {
  const userId = isPlainObject(event.payload) ? event.payload.user_id : undefined;
  return {
    logPos: logPosition(record.partition, record.offset),
    id: event.id,
    timestamp: event.timestamp,
    userId: typeof userId === 'string' || typeof userId === 'number' ? String(userId) : null,
    late,
    json: storableJson(record.value, event),
    metadata,
  };
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
