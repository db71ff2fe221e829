import { isUtf8 } from 'node:buffer';
import { SightlineError } from '../core/errors.js';
import type { BatchItem } from '../core/ports/event-intake.js';

export type BodyFormat = 'json' | 'ndjson';

/**
 * Splits a request body into events. A JSON body must be one array (or one object, taken as a
 * batch of one) and fails whole when it does not parse; NDJSON fails per line, so one bad line
 * costs one event, not the batch.
 */
export function parseBody(body: Buffer, format: BodyFormat, maxEvents: number): BatchItem[] {
  if (format === 'json') return parseJsonBody(body, maxEvents);
  return parseNdjsonBody(body, maxEvents);
}

function parseJsonBody(body: Buffer, maxEvents: number): BatchItem[] {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new SightlineError('SL_INGEST_BODY_INVALID', `body is not valid JSON: ${(err as Error).message}`);
  }
  // Decoding would replace invalid bytes with U+FFFD, and two ids that differ only there would merge.
  if (!isUtf8(body)) throw new SightlineError('SL_INGEST_BODY_INVALID', 'the body is not valid UTF-8');
  if (doc === null || typeof doc !== 'object') throw new SightlineError('SL_INGEST_BODY_INVALID', 'the body must be a JSON array of events, or one event object');
  const values = Array.isArray(doc) ? doc : [doc];
  if (values.length > maxEvents) tooMany(values.length, maxEvents);
  if (values.length === 0) throw new SightlineError('SL_INGEST_BODY_INVALID', 'the batch is empty');
  return values.map((value) => ({ value }));
}

function parseNdjsonBody(body: Buffer, maxEvents: number): BatchItem[] {
  const items: BatchItem[] = [];
  // One pass over the body; only a body with invalid bytes checks each line.
  const checkLines = !isUtf8(body);
  let start = 0;
  while (start < body.length) {
    let end = body.indexOf(0x0a, start);
    if (end === -1) end = body.length;
    let lineEnd = end;
    if (lineEnd > start && body[lineEnd - 1] === 0x0d) lineEnd--;
    const line = body.toString('utf8', start, lineEnd);
    const lineStart = start;
    start = end + 1;
    if (line.trim().length === 0) continue;
    if (items.length >= maxEvents) tooMany(items.length + 1, maxEvents);
    if (checkLines && !isUtf8(body.subarray(lineStart, lineEnd))) {
      items.push({ error: `line ${items.length + 1} is not valid UTF-8`, raw: line, at: [lineStart, lineEnd] });
      continue;
    }
    try {
      items.push({ value: JSON.parse(line), at: [lineStart, lineEnd] });
    } catch (err) {
      items.push({ error: `line ${items.length + 1} is not valid JSON: ${(err as Error).message}`, raw: line, at: [lineStart, lineEnd] });
    }
  }
  if (items.length === 0) throw new SightlineError('SL_INGEST_BODY_INVALID', 'the batch is empty');
  return items;
}

function tooMany(count: number, max: number): never {
  throw new SightlineError('SL_INGEST_TOO_MANY_EVENTS', `the batch holds ${count > max ? 'more than ' + max : count} events; the limit is ${max}`);
}
