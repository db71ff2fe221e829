import { type Static, Type } from '@sinclair/typebox';
import { DURATION_PATTERN } from '../core/duration.js';
import { COMPATIBILITY_LEVELS } from '../core/ports/schema-store.js';
import { ALERTS_SCHEMA } from './alerts-schema.js';
import { QUALITY_SCHEMA } from './quality-schema.js';
import { duration, enumOf, objectWithDefaults, positive, positiveDuration, recordOf, strictObject } from './schema-types.js';
import { KAFKA_SASL_MECHANISMS } from '../log/kafka/security.js';
import { SQL_PARAM_TYPES } from '../core/ports/sql-engine.js';
import { PIPE_COMPATIBILITY } from '../pipes/pipe-definition.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * The one configuration schema. Ajv fills in every default, so a missing file, an empty file and
 * a partial file all give a complete configuration; anything unknown or mistyped fails at start.
 * Its static type, ConfigDocument, is what config.ts resolves into the components' options.
 */
export const CONFIG_SCHEMA = objectWithDefaults({
  dataDir: Type.String({ default: './sightline-data' }),
  server: objectWithDefaults({
    host: Type.String({ default: '127.0.0.1' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
    /**
     * Host names the API answers for besides localhost and IP addresses (`.example.com` matches its
     * subdomains). Empty: any name, unless bound to loopback, where only localhost is taken, so a
     * web page cannot reach the local API by DNS rebinding.
     */
    allowedHosts: Type.Array(Type.String({ pattern: '^\\.?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$' }), { default: [] }),
    /**
     * How long a request may take to arrive whole (headers and body): a client that trickles its
     * bytes (slowloris) holds a socket no longer than this, then gets 408.
     */
    requestTimeout: positiveDuration({ default: '60s' }),
    /**
     * HTTPS: PEM certificate (chain) and private key files, read again when either changes (checked
     * every `reloadInterval`), so a renewed certificate is served without a restart.
     */
    tls: Type.Optional(
      strictObject({
        cert: Type.String({ minLength: 1 }),
        key: Type.String({ minLength: 1 }),
        reloadInterval: positiveDuration({ default: '10s' }),
      }),
    ),
    /** Web origins whose pages may call the API (`https://app.example.com`, or `*` for any); none by default. */
    cors: objectWithDefaults({
      origins: Type.Array(Type.String({ pattern: '^(\\*|https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?)$' }), { default: [] }),
    }),
  }),
  /** Who may call the API (docs/security.md). */
  auth: objectWithDefaults({
    /**
     * Whether every request (but health, readiness, the OpenAPI document and the dashboard's page)
     * needs an API key. Unset: yes, unless the API listens on loopback only, where requests from
     * this machine need none.
     */
    required: Type.Optional(Type.Boolean()),
    /** Listen on a non-loopback address with `required: false` all the same (`--insecure-open`). */
    insecureOpen: Type.Boolean({ default: false }),
  }),
  /** Encryption at rest (docs/security.md): master keys, one `id:base64` per line, the first current. */
  encryption: objectWithDefaults({
    /** The key file; SIGHTLINE_ENCRYPTION_KEY (one `id:base64`) when not set. Neither: no encryption. */
    keyFile: Type.Optional(Type.String({ minLength: 1 })),
  }),
  log: objectWithDefaults({
    partitions: positive(4, 1024),
    segmentBytes: positive(128 * 1024 * 1024),
    maxRecordBytes: positive(4 * 1024 * 1024),
    /** How long a segment is kept after the processor has committed all of it. */
    retention: duration({ default: '7d' }),
    /** Distributed mode: the Kafka cluster is the log (`--log kafka://host:port,...`). */
    kafka: Type.Optional(
      strictObject({
        bootstrap: Type.Array(Type.String({ pattern: '^[^\\s:]+:[0-9]{1,5}$' }), { minItems: 1 }),
        /** Prepended to every topic and group, so deployments can share a cluster. */
        topicPrefix: Type.String({ default: '', pattern: '^[A-Za-z0-9._-]*$' }),
        replicationFactor: positive(3, 16),
        minInsyncReplicas: positive(2, 16),
        /** A dead processor's partitions move to the others after this long without heartbeats. */
        sessionTimeout: duration({ default: '10s' }),
        /** TLS to the brokers (docs/security.md): the CA to trust, and a client certificate where the listener asks for one. */
        tls: Type.Optional(
          strictObject({
            caFile: Type.Optional(Type.String({ minLength: 1 })),
            certFile: Type.Optional(Type.String({ minLength: 1 })),
            keyFile: Type.Optional(Type.String({ minLength: 1 })),
            serverName: Type.Optional(Type.String({ minLength: 1 })),
          }),
        ),
        /** This node's own Kafka principal: each role runs with its own user and only its ACLs (`sightline kafka acls`). */
        sasl: Type.Optional(
          strictObject({
            mechanism: Type.Union(KAFKA_SASL_MECHANISMS.map((m) => Type.Literal(m)), { default: 'SCRAM-SHA-512' }),
            username: Type.String({ minLength: 1 }),
            /** Better kept out of the file: `passwordFile`, or the SIGHTLINE_KAFKA_PASSWORD variable. */
            password: Type.Optional(Type.String({ minLength: 1 })),
            passwordFile: Type.Optional(Type.String({ minLength: 1 })),
          }),
        ),
      }),
    ),
  }),
  ingest: objectWithDefaults({
    maxBodyBytes: positive(10 * 1024 * 1024),
    maxEventsPerBatch: positive(10_000),
    maxEventBytes: positive(1024 * 1024),
    maxDepth: positive(32),
    maxStringLength: positive(65_536),
    maxFutureSkew: duration({ default: '1d' }),
    /** Unprocessed events in the log above which ingest answers 429. */
    maxBacklogEvents: positive(1_000_000),
    /** Bytes of request bodies being parsed or appended at once, above which ingest answers 429. */
    maxInFlightBytes: positive(256 * 1024 * 1024),
    retryAfterSeconds: positive(1, 3600),
  }),
  process: objectWithDefaults({
    batchSize: positive(20_000, 100_000),
    dedupWindow: duration({ default: '5m' }),
    allowedLateness: duration({ default: '1m' }),
    watermarkDelay: duration({ default: '5s' }),
    /** A stream (source/type) with no event for this long, everything read, stops holding windows open: they close on the wall clock. */
    idleTimeout: positiveDuration({ default: '1m' }),
    /** Event-time rules per source (`web`) or stream (`web/page_view`), over the ones above. */
    streams: recordOf(
      strictObject({
        watermarkDelay: Type.Optional(duration()),
        allowedLateness: Type.Optional(duration()),
        idleTimeout: Type.Optional(positiveDuration()),
      }),
      { default: {} },
    ),
    /** Plan batches on a worker thread (another core than HTTP ingest); false keeps one thread. */
    plannerThread: Type.Boolean({ default: true }),
    /** Events later than the allowed lateness: to the dead-letter queue, or kept in the events table (flagged late, not counted in windows). */
    lateEvents: enumOf(['dead-letter', 'store'], { default: 'dead-letter' }),
  }),
  enrichment: objectWithDefaults({
    referenceData: Type.Optional(
      strictObject({
        path: Type.String(),
        format: Type.Optional(enumOf(['csv', 'json'])),
        key: Type.String({ default: 'user_id' }),
        joinOn: Type.String({ default: 'payload.user_id' }),
        reloadInterval: duration({ default: '2s' }),
      }),
    ),
    /** An event whose join key the reference data lacks: stored without enrichment, or dead-lettered. */
    onMiss: enumOf(['store', 'dead-letter'], { default: 'store' }),
  }),
  contracts: objectWithDefaults({
    /** An event whose subject has no schema: refused with SL_CONTRACT_UNKNOWN, or accepted unvalidated. */
    unknown: enumOf(['reject', 'accept'], { default: 'reject' }),
    /** The registry's global compatibility level until one is set through the API. */
    defaultCompatibility: enumOf(COMPATIBILITY_LEVELS, { default: 'BACKWARD' }),
    /** Schemas registered at start (contracts kept with the config); an incompatible one stops the start. */
    register: Type.Array(
      strictObject({
        subject: Type.String({ minLength: 1 }),
        path: Type.String(),
        schemaType: Type.Optional(enumOf(['AVRO', 'JSON'])),
      }),
      { default: [] },
    ),
    /** Versions the processor accepts per subject; events of other versions are counted as mismatches. */
    acceptedVersions: recordOf(Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1 }), { default: {} }),
  }),
  aggregations: Type.Array(
    strictObject({
      name: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' }),
      match: objectWithDefaults({ source: Type.Optional(Type.String()), type: Type.Optional(Type.String()) }),
      groupBy: Type.String({ pattern: '^(payload|metadata)(\\.[A-Za-z0-9_-]+)+$' }),
      windows: Type.Array(Type.String({ pattern: DURATION_PATTERN }), { minItems: 1, uniqueItems: true }),
    }),
    { default: [{ name: 'page-views', match: { type: 'page_view' }, groupBy: 'payload.page', windows: ['1m', '5m'] }] },
  ),
  quality: QUALITY_SCHEMA,
  hot: objectWithDefaults({
    /** DuckDB's buffer pool cap: without one it grows toward 80% of RAM as data grows. */
    memoryLimit: Type.String({ pattern: '^[0-9]+(\\.[0-9]+)?\\s*(KB|MB|GB|KiB|MiB|GiB)$', default: '512MiB' }),
    /**
     * DuckDB's worker threads, shared by commits and every query (SQL on read included). Default:
     * one less than the cores, at least one: the event loop keeps a core (BENCHMARKS.md).
     */
    threads: Type.Optional(Type.Integer({ minimum: 1, maximum: 256 })),
  }),
  cold: objectWithDefaults({
    rollRows: positive(500_000),
    rollInterval: duration({ default: '1m' }),
    /**
     * A table per contract subject beside `events`, the payload's top-level fields as typed
     * columns that follow the contract's versions (docs/lakehouse.md). Each such event is written
     * to Parquet twice.
     */
    contractTables: Type.Boolean({ default: true }),
    /**
     * The cold tier on an S3-compatible object store (docs/lakehouse.md) instead of `<dataDir>/cold`.
     * What is left out comes from the standard AWS variables (AWS_ENDPOINT_URL_S3, AWS_REGION,
     * AWS_ACCESS_KEY_ID, …); each role of a distributed deployment gives its own credentials.
     */
    objectStore: Type.Optional(
      strictObject({
        bucket: Type.String({ pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$' }),
        /** A folder inside the bucket. */
        prefix: Type.String({ default: '', pattern: '^([A-Za-z0-9!_.*\'()=-]+/)*([A-Za-z0-9!_.*\'()=-]+/?)?$' }),
        endpoint: Type.Optional(Type.String({ pattern: '^https?://[^\\s/]+/?$' })),
        region: Type.Optional(Type.String({ pattern: '^[a-z0-9-]+$' })),
        /** Path-style addressing, which local servers need; on by default when an endpoint is given. */
        pathStyle: Type.Optional(Type.Boolean()),
        accessKeyId: Type.Optional(Type.String({ minLength: 1 })),
        /** Better kept out of the file: `secretAccessKeyFile`, or AWS_SECRET_ACCESS_KEY. */
        secretAccessKey: Type.Optional(Type.String({ minLength: 1 })),
        secretAccessKeyFile: Type.Optional(Type.String({ minLength: 1 })),
        /** The CAs to trust for the endpoint's certificate (a private CA), instead of the system's. */
        caFile: Type.Optional(Type.String({ minLength: 1 })),
      }),
    ),
  }),
  /**
   * The cold tables' and the hot store's lifecycle (docs/lakehouse.md#lifecycle): jobs that run every
   * `interval`, each configured per table (`events`, `dead_letters`, or an aggregation's name; `*` for the rest).
   */
  lifecycle: objectWithDefaults({
    interval: positiveDuration({ default: '1h' }),
    /** Snapshots older than this are expired (the current one never), and the files only they named deleted. */
    snapshotRetention: duration({ default: '7d' }),
    /** Where tiered files go: a folder (prefix) of the same store, and on S3 a storage class. */
    tier: objectWithDefaults({
      prefix: Type.String({ default: 'tier/', pattern: '^([A-Za-z0-9!_.*()=-]+/)+$' }),
      storageClass: Type.Optional(Type.String({ pattern: '^[A-Z_]+$' })),
    }),
    tables: recordOf(
      strictObject({
        /** Rows with an event time (window end) older than this leave the hot store, once the table holds them. */
        hotRetention: Type.Optional(positiveDuration()),
        /** Days older than this leave the table (a `delete` snapshot); their files go when it expires. */
        coldRetention: Type.Optional(positiveDuration()),
        /** Files of days older than this move to the tier folder (a `replace` snapshot). */
        tierAfter: Type.Optional(positiveDuration()),
        /** A day's files smaller than this are rewritten into one once there are at least `compactMinFiles`. */
        compactBelow: Type.Optional(Type.String({ pattern: '^[0-9]+(\\.[0-9]+)?\\s*(B|KB|MB|GB|KiB|MiB|GiB)$' })),
        compactMinFiles: Type.Optional(Type.Integer({ minimum: 2, maximum: 10_000 })),
      }),
      { default: { '*': { compactBelow: '32MiB', compactMinFiles: 8 } } },
    ),
  }),
  /** SQL on read (docs/sql.md): `POST /v1/sql` over views of the hot store and the cold tables. */
  sql: objectWithDefaults({
    /** A statement still running (or streaming rows) after this is interrupted: SL_SQL_TIMEOUT. */
    statementTimeout: positiveDuration({ default: '30s' }),
    /** Rows one statement may answer; more is SL_SQL_TOO_MANY_ROWS, never a silent cut. */
    maxRows: positive(100_000, 10_000_000),
    /**
     * Statements running at once (each on its own DuckDB connection); more wait up to queueTimeout.
     * Default: one less than the cores, at least one, so SQL never takes every core from ingestion.
     */
    maxConcurrent: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 })),
    queueTimeout: positiveDuration({ default: '5s' }),
    /** Cold data files one statement may read after pruning on event time. */
    maxColdFiles: positive(2_000, 100_000),
  }),
  /**
   * Pipes defined at start (docs/sql.md#pipes), by name: a SELECT (inline `sql`, or a file at
   * `path`) with its named parameters, served at /v1/pipes/<name>. A changed one becomes a new
   * version; one that does not check or breaks its callers stops the start.
   */
  pipes: recordOf(
    strictObject({
      description: Type.Optional(Type.String({ maxLength: 2000 })),
      sql: Type.Optional(Type.String({ minLength: 1 })),
      path: Type.Optional(Type.String({ minLength: 1 })),
      compatibility: Type.Optional(enumOf(PIPE_COMPATIBILITY)),
      params: Type.Optional(
        recordOf(
          strictObject({
            type: enumOf(SQL_PARAM_TYPES),
            description: Type.Optional(Type.String({ maxLength: 2000 })),
            required: Type.Optional(Type.Boolean()),
            default: Type.Optional(Type.Union([Type.String(), Type.Number(), Type.Boolean()])),
          }),
        ),
      ),
    }),
    { default: {} },
  ),
  /** The Postgres wire protocol (docs/sql.md#postgres): off unless a port is given. */
  postgres: objectWithDefaults({
    /** 0 picks a free one. */
    port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
    /** Defaults to server.host; TLS uses server.tls (the API's certificate). */
    host: Type.Optional(Type.String({ minLength: 1 })),
    maxConnections: positive(64, 10_000),
  }),
  /**
   * Per-client rate limits (docs/security.md#rate-limits): requests a second per client (API key,
   * or address without one) and route, by default, per route (`POST /v1/sql`) and per client; 0 is
   * none. sqlConcurrent: statements one client runs at once, over HTTP and the Postgres port.
   */
  rateLimits: objectWithDefaults({
    perSecond: Type.Integer({ minimum: 0, default: 1000 }),
    routes: recordOf(Type.Integer({ minimum: 0 }), { default: { 'POST /v1/sql': 50 } }),
    sqlConcurrent: Type.Integer({ minimum: 0, default: 4 }),
    clients: recordOf(
      strictObject({
        perSecond: Type.Optional(Type.Integer({ minimum: 0 })),
        routes: Type.Optional(recordOf(Type.Integer({ minimum: 0 }))),
        sqlConcurrent: Type.Optional(Type.Integer({ minimum: 0 })),
      }),
      { default: {} },
    ),
  }),
  api: objectWithDefaults({
    defaultLimit: positive(100),
    maxLimit: positive(1000),
  }),
  traces: objectWithDefaults({
    /** Spans for ingest, the log, processing, the stores and the API; exported when OTEL_EXPORTER_OTLP_ENDPOINT is set. */
    enabled: Type.Boolean({ default: true }),
    /** Share of new traces recorded; a producer's sampled trace is always followed. */
    sampleRatio: Type.Number({ minimum: 0, maximum: 1, default: 1 }),
  }),
  /** Log levels per component (ingest, process, cold, serve, registry), over logLevel. */
  logLevels: recordOf(enumOf(LOG_LEVELS), { default: {} }),
  probe: objectWithDefaults({
    /** How often the platform sends a canary event through itself (0 turns it off). */
    interval: duration({ default: '30s' }),
    timeout: duration({ default: '30s' }),
  }),
  alerts: ALERTS_SCHEMA,
  /** OpenLineage RunEvents about Sightline's own jobs (docs/lineage.md); with no transport none are sent. */
  lineage: objectWithDefaults({
    /** The job namespace of the events (the datasets' namespaces follow OpenLineage's naming spec). */
    namespace: Type.String({ minLength: 1, default: 'sightline' }),
    /** How often each running job reports RUNNING with fresh dataset facets. */
    interval: duration({ default: '1m' }),
    /** Events waiting for delivery, per transport, above which new ones are dropped (and counted). */
    maxQueue: positive(1000, 100_000),
    http: Type.Optional(
      strictObject({
        /** e.g. Marquez: http://localhost:5000/api/v1/lineage */
        url: Type.String({ pattern: '^https?://' }),
        /** Sent as `Authorization: Bearer <apiKey>`. */
        apiKey: Type.Optional(Type.String({ minLength: 1 })),
        timeout: duration({ default: '5s' }),
        /** Attempts after the first, with exponential backoff, on a network error, 429 or 5xx. */
        retries: Type.Integer({ minimum: 0, maximum: 20, default: 5 }),
      }),
    ),
    /** NDJSON file, one event a line; a relative path is inside the data folder. */
    file: Type.Optional(Type.String({ minLength: 1 })),
  }),
  logLevel: enumOf(LOG_LEVELS, { default: 'info' }),
});

/** A configuration document as the schema leaves it: validated, every default filled, durations and paths as written. */
export type ConfigDocument = Static<typeof CONFIG_SCHEMA>;
