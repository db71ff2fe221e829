import { type Link, ROOT_CONTEXT, type Span } from '@opentelemetry/api';
import type { LogRecord } from '../core/ports/log.js';
import type { Tracing } from '../observe/tracing.js';

/** Links on one batch span; a batch of 20,000 events from as many traces would make a span too large to export. */
const MAX_LINKS = 128;

/**
 * A batch has many producers: its span starts a trace of its own and links to each producer's
 * span (the `traceparent` header ingest wrote on every record), up to MAX_LINKS of them. None
 * when tracing is off.
 */
export function startBatchSpan(tracing: Tracing, pipeline: string, records: readonly LogRecord[]): Span | undefined {
  if (!tracing.enabled) return undefined;
  const links: Link[] = [];
  const seen = new Set<string>();
  for (const record of records) {
    const traceparent = record.headers.traceparent;
    if (traceparent === undefined || seen.has(traceparent)) continue;
    seen.add(traceparent);
    const link = tracing.linkTo(traceparent);
    if (link) links.push(link);
    if (links.length >= MAX_LINKS) break;
  }
  return tracing.startSpan('sightline.process.batch', {
    parent: ROOT_CONTEXT,
    links,
    attributes: { 'sightline.pipeline': pipeline, 'sightline.records': records.length, 'sightline.producer_traces': seen.size },
  });
}
