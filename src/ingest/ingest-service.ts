import type { ContractChecker, ContractStamp } from '../contracts/contract-checker.js';
import type { SightlineEvent } from '../core/envelope.js';
import { checkEnvelope, type EventLimits, serializeEvent } from '../core/event-check.js';
import type { ErrorCode } from '../core/errors.js';
import { SightlineError } from '../core/errors.js';
import type { Log, LogRecordInput } from '../core/ports/log.js';
import type { DeadLetter, DeadLetterReason } from '../core/dead-letter.js';
import { stringifyAnyDepth } from '../core/deep-json.js';
import { isPlainObject } from '../core/envelope.js';
import type { DeadLetterWriter } from '../core/ports/dead-letter-writer.js';
import type { ComponentMetrics } from '../observe/metrics.js';
import type { SourceTypeCounter } from '../observe/source-type-counter.js';
import { NO_TRACING, type Tracing } from '../observe/tracing.js';
import type { Span } from '@opentelemetry/api';
import { trace, context } from '@opentelemetry/api';
import type { BatchItem, EventIntake, IngestCallOptions, IngestResult } from '../core/ports/event-intake.js';

export interface IngestCounters {
  requests: number;
  accepted: number;
  rejected: number;
  throttled: number;
  bytes: number;
}

export interface IngestServiceOptions {
  log: Log;
  topic: string;
  limits: EventLimits;
  /** Unprocessed events above which new batches are refused with 429. */
  maxBacklogEvents: number;
  maxInFlightBytes: number;
  maxBodyBytes: number;
  retryAfterSeconds: number;
  backlog: () => number;
  /** Data contracts; without it events are checked against the envelope only. */
  contracts?: ContractChecker;
  metrics?: ComponentMetrics;
  /** Accepted events per source and type, for throughput by source. */
  sourceTypes?: SourceTypeCounter;
  tracing?: Tracing;
  /** Where refused events go, with their reason and bytes; without it they are only reported. */
  deadLetters?: DeadLetterWriter;
  /**
   * Name the contract each event passed in its record's headers (`sl.schema.*`), for other
   * consumers of a Kafka topic. Off on the embedded log, whose only reader is Sightline's own
   * processor: there the extra headers cost about 6 µs of event-loop time per event (measured).
   */
  schemaHeaders?: boolean;
}

/**
 * Checks each event of a batch and appends the good ones to the log, keyed by event id. The
 * promise resolves only once the log made them durable, so a 200 means "survives kill -9".
 */
export class IngestService implements EventIntake {
  private inFlightBytes = 0;
  private stopping = false;
  readonly counters: IngestCounters = { requests: 0, accepted: 0, rejected: 0, throttled: 0, bytes: 0 };

  constructor(private readonly options: IngestServiceOptions) {}

  /**
   * Admits a request before its body is read, or throws 429 (backpressure) or 503 (stopping).
   * Reserves the body's size until the returned release is called, so the bodies held at once
   * stay under maxInFlightBytes whatever the number of connections. A compressed or chunked body
   * is counted at maxBodyBytes, the most it may grow to.
   */
  admit(declaredBytes: number | undefined, compressed: boolean): () => void {
    const retryAfterSeconds = this.options.retryAfterSeconds;
    if (this.stopping) throw new SightlineError('SL_INGEST_STOPPING', 'the platform is shutting down', { retryAfterSeconds });
    const backlog = this.options.backlog();
    if (backlog > this.options.maxBacklogEvents) {
      this.counters.throttled++;
      throw new SightlineError('SL_INGEST_BACKPRESSURE', `${backlog} events wait for processing (limit ${this.options.maxBacklogEvents}); retry later`, {
        retryAfterSeconds,
      });
    }
    const max = this.options.maxBodyBytes;
    const bytes = compressed || declaredBytes === undefined || !Number.isFinite(declaredBytes) ? max : Math.min(declaredBytes, max);
    if (this.inFlightBytes > 0 && this.inFlightBytes + bytes > this.options.maxInFlightBytes) {
      this.counters.throttled++;
      throw new SightlineError('SL_INGEST_BACKPRESSURE', `${this.inFlightBytes} bytes of batches are in flight; retry later`, { retryAfterSeconds });
    }
    this.inFlightBytes += bytes;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlightBytes -= bytes;
    };
  }

  get bytesInFlight(): number {
    return this.inFlightBytes;
  }

  async ingest(items: BatchItem[], bytes: number, headers: IngestCallOptions = {}): Promise<IngestResult> {
    this.counters.requests++;
    this.counters.bytes += bytes;
    const now = Date.now();
    const rejected: IngestResult['rejected'] = [];
    const records: LogRecordInput[] = [];
    const warnings: NonNullable<IngestResult['warnings']> = [];
    const accepted: Array<{ source: string; type: string }> = [];
    const tracing = this.options.tracing?.enabled ? this.options.tracing : undefined;
    // Events without a trace context of their own join the batch's (the active span: the
    // request's, continuing the caller's traceparent header, or a new trace).
    const activeSpan = tracing ? trace.getSpan(context.active()) : undefined;
    const batchTraceparent = tracing && activeSpan ? tracing.traceparentOf(activeSpan) : undefined;
    const eventSpans: Span[] = [];
    // Every event of the batch without a trace of its own shares one headers object.
    const batchHeaders = batchTraceparent ? { traceparent: batchTraceparent } : undefined;
    const { contracts, limits } = this.options;
    const deadLetters = this.options.deadLetters && headers.deadLetter !== false ? this.options.deadLetters : undefined;
    const letters: DeadLetter[] = [];
    const refuse = (index: number, failure: { code: ErrorCode; message: string; schema?: DeadLetterReason['schema'] }, original: () => string | Buffer): void => {
      rejected.push({ index, code: failure.code, message: failure.message });
      if (!deadLetters) return;
      const item = items[index]!;
      const value = 'value' in item && isPlainObject(item.value) ? item.value : undefined;
      const traceparent = batchTraceparent ?? headers.traceparent;
      letters.push({
        reason: { code: failure.code, stage: 'ingest', message: failure.message, ...(failure.schema && { schema: failure.schema }), ...(traceparent && { traceparent }) },
        // A copy: the request body it may point into is not kept.
        original: Buffer.from(original()),
        at: now,
        ...(typeof value?.id === 'string' && { eventId: value.id }),
        ...(typeof value?.source === 'string' && { source: value.source }),
        ...(typeof value?.type === 'string' && { type: value.type }),
      });
    };
    for (let index = 0; index < items.length; index++) {
      const item = items[index]!;
      if ('error' in item) {
        // The line's bytes as sent (invalid UTF-8 included), not their decoded text.
        refuse(index, { code: 'SL_EVENT_UNPARSEABLE', message: item.error }, () => (item.at && headers.body ? headers.body.subarray(item.at[0], item.at[1]) : item.raw));
        continue;
      }
      // A wire-format payload is decoded in place (payload and metadata replaced); the dead letter
      // keeps the event as it came: the NDJSON line, or the element rebuilt from the parts kept.
      const line = item.at && headers.body ? headers.body.subarray(item.at[0], item.at[1]) : undefined;
      const sent = line === undefined && isPlainObject(item.value) && typeof item.value.payload === 'string' ? { payload: item.value.payload, metadata: item.value.metadata } : undefined;
      // An event refused for its depth may nest deeper than JSON.stringify's call stack goes.
      const original = (): string | Buffer => line ?? stringifyAnyDepth(sent && isPlainObject(item.value) ? { ...item.value, ...sent } : item.value);
      const wire = contracts?.decodeWirePayload(item.value);
      if (wire) {
        refuse(index, wire, original);
        continue;
      }
      const envelope = checkEnvelope(item.value, limits, now);
      if (!envelope.ok) {
        refuse(index, envelope, original);
        continue;
      }
      const contract = contracts?.check(envelope.event, now);
      if (contract && !contract.ok) {
        refuse(index, contract, original);
        continue;
      }
      const traced = tracing ? this.continueTrace(tracing, envelope.event, batchTraceparent, eventSpans) : undefined;
      const checked = serializeEvent(envelope.event, limits);
      if (!checked.ok) {
        refuse(index, checked, original);
        continue;
      }
      if (contract?.warning) warnings.push({ index, ...contract.warning });
      accepted.push(checked.event);
      const traceparent = traced ?? (typeof checked.event.metadata.traceparent === 'string' ? checked.event.metadata.traceparent : headers.traceparent);
      const shared = traceparent ? (traceparent === batchTraceparent ? batchHeaders! : { traceparent }) : undefined;
      // The contract the event passed rides in headers too, so a consumer of the topic (a Kafka
      // Connect sink, a Streams app) can route or decode by schema without parsing the value.
      const stamp = this.options.schemaHeaders ? (checked.event.metadata.contract as ContractStamp | undefined) : undefined;
      const recordHeaders = stamp ? { ...shared, ...schemaHeaders(stamp) } : shared;
      records.push({
        key: checked.event.id,
        value: checked.bytes,
        timestamp: checked.event.timestamp,
        ...(headers.recordHeaders?.[index] ? { headers: { ...recordHeaders, ...headers.recordHeaders[index] } } : recordHeaders ? { headers: recordHeaders } : {}),
      });
    }
    const { metrics, sourceTypes } = this.options;
    metrics?.received(items.length, bytes);
    try {
      const append = async (): Promise<void> => {
        if (records.length === 0) return;
        await (this.options.tracing ?? NO_TRACING).step('sightline.log.append', () => this.options.log.append(this.options.topic, records), { attributes: { 'sightline.records': records.length } });
      };
      // The refused events are safe in the dead-letter topic before the response says so.
      await Promise.all([append(), deadLetters?.write(letters)]);
    } finally {
      // An event's ingest span ends when the event is durable (or its batch failed).
      for (const span of eventSpans) span.end();
    }
    this.counters.accepted += records.length;
    this.counters.rejected += rejected.length;
    if (metrics) {
      let storedBytes = 0;
      for (const r of records) storedBytes += r.value.length;
      metrics.sent(records.length, storedBytes);
      const byCode = new Map<string, number>();
      for (const r of rejected) byCode.set(r.code, (byCode.get(r.code) ?? 0) + 1);
      for (const [code, n] of byCode) metrics.discarded(code, n);
    }
    sourceTypes?.countBatch(accepted);
    return { accepted: records.length, rejected, ...(warnings.length > 0 && { warnings }) };
  }

  /**
   * The trace context an event's log record carries (its `traceparent` header): an event that
   * brings its own `metadata.traceparent` gets an ingest span in that trace, and its metadata then
   * names that span; any other joins the batch's trace through the header alone, so its stored
   * bytes do not grow (the processor stores the trace id in a column of its own).
   */
  private continueTrace(tracing: Tracing, event: SightlineEvent, batchTraceparent: string | undefined, eventSpans: Span[]): string | undefined {
    const own = event.metadata.traceparent;
    if (typeof own !== 'string' || !tracing.linkTo(own)) return batchTraceparent;
    const span = tracing.startSpan('sightline.ingest.event', { parent: tracing.extract(own), attributes: { 'sightline.event.id': event.id } });
    eventSpans.push(span);
    const traceparent = tracing.traceparentOf(span);
    if (traceparent) event.metadata = { ...event.metadata, traceparent };
    return traceparent;
  }

  stop(): void {
    this.stopping = true;
  }
}

/** Record headers naming the contract an accepted event passed (docs/distributed.md). */
export function schemaHeaders(stamp: ContractStamp): Record<string, string> {
  return { 'sl.schema.subject': stamp.subject, 'sl.schema.version': String(stamp.version), 'sl.schema.id': String(stamp.id) };
}
