import { Counter, Histogram, Registry } from 'prom-client';

/** The stages of the pipeline; each emits the base set below with its name as `component`. */
// sink: distributed mode's loading of processed rows from Kafka into a serving node's hot store.
export const COMPONENTS = ['ingest', 'log', 'process', 'sink', 'hot_store', 'cold_store', 'serve'] as const;
export type ComponentName = (typeof COMPONENTS)[number];
/** The stages `sightline up` runs on the embedded log (no sink: the processor writes the hot store itself). */
export const EMBEDDED_COMPONENTS: readonly ComponentName[] = COMPONENTS.filter((c) => c !== 'sink');

/** The base set every component emits (docs/metrics.md). Counts are per call, never per event, on hot paths. */
export interface ComponentMetrics {
  /** Events (or records, rows, requests) that came into the component, and their bytes. */
  received(events: number, bytes?: number): void;
  /** Events passed on to the next stage (made durable, committed, returned), and their bytes. */
  sent(events: number, bytes?: number): void;
  /** A failure, by its Sightline error code. */
  error(code: string, count?: number): void;
  /** Events dropped on purpose, by reason (an error code, `duplicate`, `undecodable`, ...). */
  discarded(reason: string, count?: number): void;
  /** Starts timing an operation; the returned function records its duration in seconds. */
  startTimer(operation: string): () => number;
  /** Records a duration measured elsewhere (e.g. from the moment a request arrived). */
  observe(operation: string, seconds: number): void;
}

const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The platform's metrics registry and the base set of every component. Specific metrics of a
 * component (watermarks, backlog, store sizes) are registered beside it on `registry`.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly eventsReceived: Counter<'component'>;
  private readonly eventsSent: Counter<'component'>;
  private readonly bytesReceived: Counter<'component'>;
  private readonly bytesSent: Counter<'component'>;
  private readonly errors: Counter<'component' | 'code'>;
  private readonly discards: Counter<'component' | 'reason'>;
  private readonly durations: Histogram<'component' | 'operation'>;
  private readonly components = new Map<ComponentName, ComponentMetrics>();

  /** @param components the stages this process runs: their series are created at zero at once. */
  constructor(components: readonly ComponentName[] = EMBEDDED_COMPONENTS) {
    const registers = [this.registry];
    this.eventsReceived = new Counter({ name: 'sightline_events_received_total', help: 'Events (records, rows, requests) that came into a component.', labelNames: ['component'], registers });
    this.eventsSent = new Counter({ name: 'sightline_events_sent_total', help: 'Events a component passed on: made durable, committed, exported, returned.', labelNames: ['component'], registers });
    this.bytesReceived = new Counter({ name: 'sightline_received_bytes_total', help: 'Bytes that came into a component.', labelNames: ['component'], registers });
    this.bytesSent = new Counter({ name: 'sightline_sent_bytes_total', help: 'Bytes a component passed on.', labelNames: ['component'], registers });
    this.errors = new Counter({ name: 'sightline_errors_total', help: 'Failures of a component, by error code.', labelNames: ['component', 'code'], registers });
    this.discards = new Counter({ name: 'sightline_events_discarded_total', help: 'Events a component dropped on purpose, by reason.', labelNames: ['component', 'reason'], registers });
    this.durations = new Histogram({
      name: 'sightline_operation_duration_seconds',
      help: "Duration of a component's operations (ingest request to durable, log append, batch plan and commit, export, API request).",
      labelNames: ['component', 'operation'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    // Every component's series exist from the start at zero, so rates and alerts work before traffic.
    for (const component of components) this.component(component);
  }

  component(name: ComponentName): ComponentMetrics {
    const existing = this.components.get(name);
    if (existing) return existing;
    const received = this.eventsReceived.labels(name);
    const sent = this.eventsSent.labels(name);
    const bytesIn = this.bytesReceived.labels(name);
    const bytesOut = this.bytesSent.labels(name);
    received.inc(0);
    sent.inc(0);
    bytesIn.inc(0);
    bytesOut.inc(0);
    const metrics: ComponentMetrics = {
      received: (events, bytes) => {
        received.inc(events);
        if (bytes) bytesIn.inc(bytes);
      },
      sent: (events, bytes) => {
        sent.inc(events);
        if (bytes) bytesOut.inc(bytes);
      },
      error: (code, count = 1) => this.errors.labels(name, code).inc(count),
      discarded: (reason, count = 1) => this.discards.labels(name, reason).inc(count),
      observe: (operation, seconds) => this.durations.labels(name, operation).observe(seconds),
      startTimer: (operation) => {
        const histogram = this.durations.labels(name, operation);
        const started = performance.now();
        return () => {
          const seconds = (performance.now() - started) / 1000;
          histogram.observe(seconds);
          return seconds;
        };
      },
    };
    this.components.set(name, metrics);
    return metrics;
  }
}
