import { DURATION_PATTERN } from '../core/duration.js';
import { COMPATIBILITY_LEVELS } from '../core/ports/schema-store.js';

const duration = { anyOf: [{ type: 'string', pattern: DURATION_PATTERN }, { type: 'integer', minimum: 0 }] };
/** A duration that must not be zero (a bucket, an interval). */
const positiveDuration = { anyOf: [{ type: 'string', pattern: '^0*[1-9][0-9]*(ms|s|m|h|d)$' }, { type: 'integer', minimum: 1 }] };
const positive = (d: number, max?: number) => ({ type: 'integer', minimum: 1, ...(max ? { maximum: max } : {}), default: d });

const field = { type: 'string', pattern: '^(id|source|type|timestamp|(payload|metadata)(\\.[^.]+)+)$' };
const comparison = {
  type: 'object',
  additionalProperties: false,
  required: ['field', 'op'],
  properties: { field, op: { enum: ['==', '!=', '<', '<=', '>', '>=', 'exists', 'missing'] }, value: {}, other: field },
  not: { required: ['value', 'other'] },
  // A comparison needs something to compare with; exists and missing need nothing.
  if: { properties: { op: { enum: ['exists', 'missing'] } } },
  else: { anyOf: [{ required: ['value'] }, { required: ['other'] }] },
};
const CHECK_PROPERTIES: Record<string, { required: string[]; anyOf?: Array<{ required: string[] }> }> = {
  required: { required: ['fields'] },
  type: { required: ['field', 'type'] },
  range: { required: ['field'], anyOf: [{ required: ['min'] }, { required: ['max'] }] },
  regex: { required: ['field', 'pattern'] },
  enum: { required: ['field', 'values'] },
  length: { required: ['field'], anyOf: [{ required: ['min'] }, { required: ['max'] }] },
  timestamp: { required: [], anyOf: [{ required: ['maxFuture'] }, { required: ['maxPast'] }] },
  unique: { required: ['field'] },
  condition: { required: ['assert'] },
};

/** A quality rule: a name, the events it applies to, a severity and one check with its parameters. */
const QUALITY_RULE = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'check'],
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$' },
    match: { type: 'object', additionalProperties: false, default: {}, properties: { source: { type: 'string' }, type: { type: 'string' } } },
    severity: { enum: ['warn', 'error'], default: 'error' },
    check: { enum: Object.keys(CHECK_PROPERTIES) },
    field,
    fields: { type: 'array', minItems: 1, items: field },
    type: { enum: ['string', 'number', 'integer', 'boolean', 'object', 'array', 'null'] },
    min: { type: 'number' },
    max: { type: 'number' },
    pattern: { type: 'string' },
    values: { type: 'array', minItems: 1 },
    maxFuture: duration,
    maxPast: duration,
    when: comparison,
    assert: comparison,
  },
  allOf: Object.entries(CHECK_PROPERTIES).map(([check, needs]) => ({ if: { properties: { check: { const: check } } }, then: needs })),
};

/**
 * The one configuration schema. Ajv fills in every default, so a missing file, an empty file and
 * a partial file all give a complete configuration; anything unknown or mistyped fails at start.
 */
export const CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    dataDir: { type: 'string', default: './sightline-data' },
    server: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'integer', minimum: 0, maximum: 65535, default: 8080 },
      },
    },
    log: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        partitions: positive(4, 1024),
        segmentBytes: positive(128 * 1024 * 1024),
        maxRecordBytes: positive(4 * 1024 * 1024),
        /** How long a segment is kept after the processor has committed all of it. */
        retention: { ...duration, default: '7d' },
        /** Distributed mode: the Kafka cluster is the log (`--log kafka://host:port,...`). */
        kafka: {
          type: 'object',
          additionalProperties: false,
          required: ['bootstrap'],
          properties: {
            bootstrap: { type: 'array', minItems: 1, items: { type: 'string', pattern: '^[^\\s:]+:[0-9]{1,5}$' } },
            /** Prepended to every topic and group, so deployments can share a cluster. */
            topicPrefix: { type: 'string', default: '', pattern: '^[A-Za-z0-9._-]*$' },
            replicationFactor: positive(3, 16),
            minInsyncReplicas: positive(2, 16),
            /** A dead processor's partitions move to the others after this long without heartbeats. */
            sessionTimeout: { ...duration, default: '10s' },
          },
        },
      },
    },
    ingest: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        maxBodyBytes: positive(10 * 1024 * 1024),
        maxEventsPerBatch: positive(10_000),
        maxEventBytes: positive(1024 * 1024),
        maxDepth: positive(32),
        maxStringLength: positive(65_536),
        maxFutureSkew: { ...duration, default: '1d' },
        /** Unprocessed events in the log above which ingest answers 429. */
        maxBacklogEvents: positive(1_000_000),
        /** Bytes of request bodies being parsed or appended at once, above which ingest answers 429. */
        maxInFlightBytes: positive(256 * 1024 * 1024),
        retryAfterSeconds: positive(1, 3600),
      },
    },
    process: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        batchSize: positive(20_000, 100_000),
        dedupWindow: { ...duration, default: '5m' },
        allowedLateness: { ...duration, default: '1m' },
        watermarkDelay: { ...duration, default: '5s' },
        /** Plan batches on a worker thread (another core than HTTP ingest); false keeps one thread. */
        plannerThread: { type: 'boolean', default: true },
        /** Events later than the allowed lateness: to the dead-letter queue, or kept in the events table (flagged late, not counted in windows). */
        lateEvents: { enum: ['dead-letter', 'store'], default: 'dead-letter' },
      },
    },
    enrichment: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        referenceData: {
          type: 'object',
          additionalProperties: false,
          required: ['path'],
          properties: {
            path: { type: 'string' },
            format: { enum: ['csv', 'json'] },
            key: { type: 'string', default: 'user_id' },
            joinOn: { type: 'string', default: 'payload.user_id' },
            reloadInterval: { ...duration, default: '2s' },
          },
        },
        /** An event whose join key the reference data lacks: stored without enrichment, or dead-lettered. */
        onMiss: { enum: ['store', 'dead-letter'], default: 'store' },
      },
    },
    contracts: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        /** An event whose subject has no schema: refused with SL_CONTRACT_UNKNOWN, or accepted unvalidated. */
        unknown: { enum: ['reject', 'accept'], default: 'reject' },
        /** The registry's global compatibility level until one is set through the API. */
        defaultCompatibility: { enum: [...COMPATIBILITY_LEVELS], default: 'BACKWARD' },
        /** Schemas registered at start (contracts kept with the config); an incompatible one stops the start. */
        register: {
          type: 'array',
          default: [],
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['subject', 'path'],
            properties: { subject: { type: 'string', minLength: 1 }, path: { type: 'string' }, schemaType: { enum: ['AVRO', 'JSON'] } },
          },
        },
        /** Versions the processor accepts per subject; events of other versions are counted as mismatches. */
        acceptedVersions: {
          type: 'object',
          default: {},
          additionalProperties: { type: 'array', minItems: 1, items: { type: 'integer', minimum: 1 } },
        },
      },
    },
    aggregations: {
      type: 'array',
      default: [{ name: 'page-views', match: { type: 'page_view' }, groupBy: 'payload.page', windows: ['1m', '5m'] }],
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'groupBy', 'windows'],
        properties: {
          name: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' },
          match: {
            type: 'object',
            additionalProperties: false,
            default: {},
            properties: { source: { type: 'string' }, type: { type: 'string' } },
          },
          groupBy: { type: 'string', pattern: '^(payload|metadata)(\\.[A-Za-z0-9_-]+)+$' },
          windows: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', pattern: DURATION_PATTERN } },
        },
      },
    },
    quality: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        /** Width of the event-time buckets of the quality summary (GET /v1/quality). */
        bucket: { ...positiveDuration, default: '5m' },
        rules: { type: 'array', default: [], items: QUALITY_RULE },
      },
    },
    hot: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        /** DuckDB's buffer pool cap: without one it grows toward 80% of RAM as data grows. */
        memoryLimit: { type: 'string', pattern: '^[0-9]+(\\.[0-9]+)?\\s*(KB|MB|GB|KiB|MiB|GiB)$', default: '512MiB' },
      },
    },
    cold: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        rollRows: positive(500_000),
        rollInterval: { ...duration, default: '1m' },
      },
    },
    api: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        defaultLimit: positive(100),
        maxLimit: positive(1000),
      },
    },
    traces: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        /** Spans for ingest, the log, processing, the stores and the API; exported when OTEL_EXPORTER_OTLP_ENDPOINT is set. */
        enabled: { type: 'boolean', default: true },
        /** Share of new traces recorded; a producer's sampled trace is always followed. */
        sampleRatio: { type: 'number', minimum: 0, maximum: 1, default: 1 },
      },
    },
    /** Log levels per component (ingest, process, cold, serve, registry), over logLevel. */
    logLevels: {
      type: 'object',
      default: {},
      additionalProperties: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
    },
    probe: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        /** How often the platform sends a canary event through itself (0 turns it off). */
        interval: { ...duration, default: '30s' },
        timeout: { ...duration, default: '30s' },
      },
    },
    /** The alert engine (src/alerts, docs/alerts.md): rules over the platform's own signals, listed at /v1/alerts and sent to webhooks. */
    alerts: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        enabled: { type: 'boolean', default: true },
        evaluationInterval: { ...positiveDuration, default: '15s' },
        /** How long a resolved alert stays listed (and can be seen by a late poller) before it is dropped. */
        resolvedRetention: { ...duration, default: '1h' },
        /** A still-firing group is sent again after this long (0 never), as Alertmanager's repeat_interval. */
        repeatInterval: { ...duration, default: '4h' },
        /** Base of generatorURL and externalURL in webhook payloads; the server's own URL when absent. */
        externalUrl: { type: 'string', pattern: '^https?://' },
        volume: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            enabled: { type: 'boolean', default: true },
            bucket: { ...positiveDuration, default: '1m' },
            alpha: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: 0.3 },
            dropRatio: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: 0.5 },
            spikeRatio: { type: 'number', exclusiveMinimum: 1, default: 3 },
            warmupBuckets: positive(5),
            minBaselineEvents: { type: 'number', minimum: 0, default: 10 },
            hourOfWeek: { type: 'boolean', default: false },
            /** Consecutive anomalous buckets after which their level is taken as the new normal (0 never). */
            relearnAfterBuckets: { type: 'integer', minimum: 0, default: 60 },
            for: { ...duration, default: '0s' },
            severity: { type: 'string', minLength: 1, default: 'warn' },
          },
        },
        freshness: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            enabled: { type: 'boolean', default: true },
            sla: { ...duration, default: '15m' },
            sources: { type: 'object', default: {}, additionalProperties: duration },
            for: { ...duration, default: '1m' },
            severity: { type: 'string', minLength: 1, default: 'page' },
          },
        },
        errorRate: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            enabled: { type: 'boolean', default: true },
            threshold: { type: 'number', minimum: 0, maximum: 1, default: 0.05 },
            window: { ...duration, default: '5m' },
            minEvents: { type: 'integer', minimum: 0, default: 100 },
            for: { ...duration, default: '1m' },
            severity: { type: 'string', minLength: 1, default: 'page' },
          },
        },
        backlog: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            enabled: { type: 'boolean', default: true },
            growthEvents: positive(100_000),
            window: { ...duration, default: '5m' },
            for: { ...duration, default: '5m' },
            severity: { type: 'string', minLength: 1, default: 'warn' },
          },
        },
        versionDrift: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            enabled: { type: 'boolean', default: true },
            window: { ...duration, default: '15m' },
            for: { ...duration, default: '0s' },
            severity: { type: 'string', minLength: 1, default: 'warn' },
          },
        },
        webhooks: {
          type: 'array',
          default: [],
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['url'],
            properties: {
              url: { type: 'string', pattern: '^https?://' },
              /** The payload's `receiver` and the metrics' label; webhook-N (from 1) when absent. */
              name: { type: 'string', minLength: 1 },
              headers: { type: 'object', default: {}, additionalProperties: { type: 'string' } },
              maxAttempts: positive(5, 100),
              initialBackoff: { ...duration, default: '1s' },
              maxBackoff: { ...duration, default: '1m' },
              timeout: { ...duration, default: '5s' },
              /** Messages waiting for this webhook; the oldest is dropped (and counted) past it. */
              maxQueue: positive(1000),
            },
          },
        },
      },
    },
    /** OpenLineage RunEvents about Sightline's own jobs (docs/lineage.md); with no transport none are sent. */
    lineage: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        /** The job namespace of the events (the datasets' namespaces follow OpenLineage's naming spec). */
        namespace: { type: 'string', minLength: 1, default: 'sightline' },
        /** How often each running job reports RUNNING with fresh dataset facets. */
        interval: { ...duration, default: '1m' },
        /** Events waiting for delivery, per transport, above which new ones are dropped (and counted). */
        maxQueue: positive(1000, 100_000),
        http: {
          type: 'object',
          additionalProperties: false,
          required: ['url'],
          properties: {
            /** e.g. Marquez: http://localhost:5000/api/v1/lineage */
            url: { type: 'string', pattern: '^https?://' },
            /** Sent as `Authorization: Bearer <apiKey>`. */
            apiKey: { type: 'string', minLength: 1 },
            timeout: { ...duration, default: '5s' },
            /** Attempts after the first, with exponential backoff, on a network error, 429 or 5xx. */
            retries: { type: 'integer', minimum: 0, maximum: 20, default: 5 },
          },
        },
        /** NDJSON file, one event a line; a relative path is inside the data folder. */
        file: { type: 'string', minLength: 1 },
      },
    },
    logLevel: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info' },
  },
} as const;
