import {
  context,
  type Context,
  type Link,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
  type Tracer,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  NodeTracerProvider,
  ParentBasedSampler,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { TracesOptions } from './observe-options.js';

export interface TracingOptions extends TracesOptions {
  version: string;
  /** Spans go here too (tests use an in-memory exporter). */
  exporter?: SpanExporter;
}

const propagator = new W3CTraceContextPropagator();
const headerGetter = { get: (carrier: Record<string, unknown>, key: string) => carrier[key] as string | undefined, keys: (c: Record<string, unknown>) => Object.keys(c) };
let contextManagerInstalled = false;

/**
 * The platform's tracer. W3C trace context (`traceparent`) is continued from producers, carried
 * with each event in the log, and given back by the API; spans are exported over OTLP
 * (HTTP/protobuf) when the standard `OTEL_EXPORTER_OTLP_ENDPOINT` (or `_TRACES_ENDPOINT`)
 * variable names a collector, and `OTEL_SDK_DISABLED=true` turns tracing off, as in every
 * OpenTelemetry SDK. When off, nothing is created and events carry no trace context of ours.
 */
export class Tracing {
  readonly enabled: boolean;
  private readonly provider: NodeTracerProvider | undefined;
  private readonly tracer: Tracer;

  constructor(options: TracingOptions) {
    this.enabled = options.enabled && process.env.OTEL_SDK_DISABLED !== 'true';
    if (!this.enabled) {
      this.tracer = trace.getTracer('sightline-disabled');
      return;
    }
    if (!contextManagerInstalled) {
      // One per process: it carries the active span across awaits (and into log lines).
      context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
      contextManagerInstalled = true;
    }
    const spanProcessors: SpanProcessor[] = [];
    if (process.env.OTEL_EXPORTER_OTLP_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) {
      spanProcessors.push(new BatchSpanProcessor(new OTLPTraceExporter()));
    }
    if (options.exporter) spanProcessors.push(new SimpleSpanProcessor(options.exporter));
    this.provider = new NodeTracerProvider({
      resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: process.env.OTEL_SERVICE_NAME ?? 'sightline', [ATTR_SERVICE_VERSION]: options.version }),
      sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(options.sampleRatio) }),
      spanProcessors,
    });
    this.tracer = this.provider.getTracer('sightline', options.version);
  }

  /** The context a W3C `traceparent` names, under the root; the root when it is absent or malformed. */
  extract(traceparent: string | undefined): Context {
    if (!traceparent) return ROOT_CONTEXT;
    return propagator.extract(ROOT_CONTEXT, { traceparent }, headerGetter);
  }

  /** The `traceparent` of a span, to carry with an event. */
  traceparentOf(span: Span): string | undefined {
    if (!this.enabled) return undefined;
    const carrier: Record<string, string> = {};
    propagator.inject(trace.setSpan(ROOT_CONTEXT, span), carrier, { set: (c, k, v) => (c[k] = v) });
    return carrier.traceparent;
  }

  startSpan(name: string, options: { parent?: Context; kind?: SpanKind; links?: Link[]; attributes?: Record<string, string | number | boolean> } = {}): Span {
    return this.tracer.startSpan(
      name,
      { kind: options.kind ?? SpanKind.INTERNAL, ...(options.links && { links: options.links }), ...(options.attributes && { attributes: options.attributes }) },
      options.parent ?? context.active(),
    );
  }

  /** Runs `work` in a new span (the active one inside it), ending it and recording a failure. */
  async inSpan<T>(name: string, work: (span: Span) => Promise<T>, options: Parameters<Tracing['startSpan']>[1] = {}): Promise<T> {
    const span = this.startSpan(name, options);
    try {
      return await context.with(trace.setSpan(options.parent ?? context.active(), span), () => work(span));
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      throw err;
    } finally {
      span.end();
    }
  }

  /**
   * Runs one step of work in a span of its own when tracing is on (under `options.parent`, or the
   * active span), and just runs it when off: one code path for both, and nothing made per call
   * when off.
   */
  step<T>(name: string, work: (span: Span | undefined) => Promise<T>, options: Parameters<Tracing['startSpan']>[1] = {}): Promise<T> {
    if (!this.enabled) return work(undefined);
    return this.inSpan(name, work, options);
  }

  /** The span context of a `traceparent`, as a link from a batch span to a producer's span. */
  linkTo(traceparent: string): Link | undefined {
    const spanContext = trace.getSpanContext(this.extract(traceparent));
    return spanContext && trace.isSpanContextValid(spanContext) ? { context: spanContext } : undefined;
  }

  async shutdown(): Promise<void> {
    await this.provider?.shutdown();
  }
}

/** trace_id and span_id of the active span, for every log line written inside a request or batch. */
export function activeTraceFields(): Record<string, string> {
  const spanContext = trace.getActiveSpan()?.spanContext();
  return spanContext && trace.isSpanContextValid(spanContext) ? { trace_id: spanContext.traceId, span_id: spanContext.spanId } : {};
}

export { SpanKind };

/** For a component given no tracer (tests, tools): every step just runs. */
export const NO_TRACING = new Tracing({ enabled: false, sampleRatio: 1, version: '' });
