/**
 * One error type for the whole platform. Every failure that can reach a user carries a code from
 * this closed set, so clients, logs and metrics can key on it; `retryable` tells a client whether
 * sending the same request again can succeed, and `status` is the HTTP status where it reaches one.
 */
export const ERROR_CODES = {
  // ingest: the request as a whole
  SL_INGEST_BODY_INVALID: { status: 400, retryable: false, summary: 'The body is not a JSON array of events or NDJSON.' },
  SL_INGEST_BODY_TOO_LARGE: { status: 413, retryable: false, summary: 'The body (after decompression) exceeds ingest.maxBodyBytes.' },
  SL_INGEST_TOO_MANY_EVENTS: { status: 413, retryable: false, summary: 'The batch holds more events than ingest.maxEventsPerBatch.' },
  SL_INGEST_UNSUPPORTED_MEDIA_TYPE: { status: 415, retryable: false, summary: 'Content-Type must be application/json or application/x-ndjson.' },
  SL_INGEST_UNSUPPORTED_ENCODING: { status: 415, retryable: false, summary: 'Content-Encoding must be gzip or identity.' },
  SL_INGEST_BACKPRESSURE: { status: 429, retryable: true, summary: 'The processor is behind; retry after the Retry-After delay.' },
  SL_INGEST_STOPPING: { status: 503, retryable: true, summary: 'The platform is shutting down and accepts no new events.' },
  // ingest: one event of a batch
  SL_EVENT_UNPARSEABLE: { status: 400, retryable: false, summary: 'An NDJSON line is not valid JSON.' },
  SL_EVENT_NOT_OBJECT: { status: 400, retryable: false, summary: 'An event must be a JSON object.' },
  SL_EVENT_FIELD_MISSING: { status: 400, retryable: false, summary: 'A required envelope field is missing.' },
  SL_EVENT_FIELD_INVALID: { status: 400, retryable: false, summary: 'An envelope field has the wrong type or format.' },
  SL_EVENT_TIMESTAMP_INVALID: { status: 400, retryable: false, summary: 'timestamp must be epoch milliseconds, not too far in the future.' },
  SL_EVENT_TOO_LARGE: { status: 400, retryable: false, summary: 'The event exceeds ingest.maxEventBytes.' },
  SL_EVENT_TOO_DEEP: { status: 400, retryable: false, summary: 'The event nests deeper than ingest.maxDepth.' },
  SL_EVENT_STRING_TOO_LONG: { status: 400, retryable: false, summary: 'A string in the event is longer than ingest.maxStringLength.' },
  SL_CONTRACT_UNKNOWN: { status: 400, retryable: false, summary: 'No schema is registered for the event (its source.type subject, or the schema id it names), and contracts.unknown is reject.' },
  SL_CONTRACT_VIOLATION: { status: 400, retryable: false, summary: "The payload does not match its contract; the message names the path and the rule." },
  SL_CONTRACT_SUNSET: { status: 400, retryable: false, summary: 'The event names a schema version that is deprecated and past its sunset date.' },
  SL_CONTRACT_WIRE_INVALID: { status: 400, retryable: false, summary: 'A binary payload is not in the Confluent wire format (magic byte 0, 4-byte schema id, body) or does not decode.' },
  // schema registry (Confluent-compatible API); the Confluent error_code is in serve/routes/registry
  SL_SCHEMA_SUBJECT_NOT_FOUND: { status: 404, retryable: false, summary: 'The subject has no (live) versions.' },
  SL_SCHEMA_VERSION_NOT_FOUND: { status: 404, retryable: false, summary: 'The subject has no such version.' },
  SL_SCHEMA_NOT_FOUND: { status: 404, retryable: false, summary: 'No schema with this id, or not under this subject.' },
  SL_SCHEMA_SUBJECT_SOFT_DELETED: { status: 404, retryable: false, summary: 'The subject was already soft deleted; delete it with permanent=true.' },
  SL_SCHEMA_SUBJECT_NOT_SOFT_DELETED: { status: 404, retryable: false, summary: 'A subject must be soft deleted before it is deleted permanently.' },
  SL_SCHEMA_VERSION_SOFT_DELETED: { status: 404, retryable: false, summary: 'The version was already soft deleted; delete it with permanent=true.' },
  SL_SCHEMA_VERSION_NOT_SOFT_DELETED: { status: 404, retryable: false, summary: 'A version must be soft deleted before it is deleted permanently.' },
  SL_SCHEMA_SUBJECT_LEVEL_NOT_CONFIGURED: { status: 404, retryable: false, summary: 'The subject has no compatibility level of its own (ask with defaultToGlobal=true).' },
  SL_SCHEMA_INCOMPATIBLE: { status: 409, retryable: false, summary: "The schema breaks the subject's compatibility level; the message lists each problem." },
  SL_SCHEMA_INVALID: { status: 422, retryable: false, summary: 'The schema does not parse, or its type is not AVRO or JSON.' },
  SL_SCHEMA_VERSION_INVALID: { status: 422, retryable: false, summary: 'A version must be an integer from 1 to 2^31-1, or "latest".' },
  SL_SCHEMA_COMPATIBILITY_INVALID: { status: 422, retryable: false, summary: 'Not a compatibility level (NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE).' },
  SL_SCHEMA_SUBJECT_INVALID: { status: 422, retryable: false, summary: 'A subject must be 1-255 characters without control characters.' },
  SL_SCHEMA_REQUEST_INVALID: { status: 400, retryable: false, summary: 'The registry request body is not the JSON the endpoint takes.' },
  SL_REGISTRY_STORE_FAILED: { status: 500, retryable: true, summary: 'The registry could not read or write its store.' },
  SL_TABLE_STORE_FAILED: { status: 500, retryable: true, summary: "A table on the log (the registry's, the keys') lost its write lock or could not settle a commit; the write is tried again." },
  // log
  SL_LOG_WRITE_FAILED: { status: 503, retryable: true, summary: 'The log could not make the batch durable; nothing of it was acknowledged.' },
  SL_LOG_CORRUPT: { status: 500, retryable: false, summary: 'A log segment failed its checksum outside the recoverable tail.' },
  SL_LOG_TOPIC_UNKNOWN: { status: 500, retryable: false, summary: 'The topic does not exist.' },
  SL_LOG_CLOSED: { status: 503, retryable: true, summary: 'The log is closed.' },
  SL_LOG_OFFSET_OUT_OF_RANGE: { status: 500, retryable: false, summary: 'The offset lies outside the partition.' },
  SL_PARTITION_FENCED: { status: 409, retryable: false, summary: "Another processor took this partition over (Kafka fenced this one's transactional id); this one stops working on it." },
  SL_ENCRYPTION_KEY_MISSING: {
    status: 500,
    retryable: false,
    summary: 'A file encrypted at rest names a master key the configured key file does not hold (or one that does not unwrap its data key); nothing is read or changed.',
  },
  SL_LOG_ACCESS_DENIED: {
    status: 500,
    retryable: false,
    summary: "The Kafka cluster refused this node's principal: its SASL login failed, or an ACL its role needs is missing (`sightline kafka acls` lists them); nothing was changed.",
  },
  SL_LOG_UNAVAILABLE: { status: 503, retryable: true, summary: "The log's brokers did not answer (Kafka: no bootstrap broker reachable, or a metadata, admin or offset request failed); nothing was changed." },
  // stores and processing
  SL_STORE_WRITE_FAILED: { status: 503, retryable: true, summary: 'A store write failed; the batch was rolled back and will be retried.' },
  SL_STORE_QUERY_FAILED: { status: 500, retryable: true, summary: 'A store query failed.' },
  SL_COLD_ACCESS_DENIED: {
    status: 500,
    retryable: false,
    summary: "The object store refused this node's credentials (unknown key, bad signature) or its policy does not allow the operation; the message names the operation and the key; nothing was changed.",
  },
  SL_COLD_UNAVAILABLE: { status: 503, retryable: true, summary: 'The object store did not answer, or kept answering 5xx or throttling after the retries; nothing half-written is visible.' },
  SL_COLD_EXPORT_FAILED: { status: 503, retryable: true, summary: 'A Parquet export failed; the rows stay in the hot store and the export is retried.' },
  SL_EVENT_LATE: { status: 400, retryable: false, summary: 'The event is older than the watermark minus process.allowedLateness; its windows are final (dead-lettered when process.lateEvents is dead-letter).' },
  SL_QUALITY_FAILED: { status: 400, retryable: false, summary: 'The event fails a quality rule of severity error; the message names the rule and why.' },
  SL_ENRICHMENT_MISS: { status: 400, retryable: false, summary: 'The reference data has no row for the event\'s join key (dead-lettered when enrichment.onMiss is dead-letter).' },
  SL_REFERENCE_DATA_INVALID: { status: 500, retryable: false, summary: 'The reference data file could not be read or parsed.' },
  // lineage
  SL_LINEAGE_DELIVERY_FAILED: { status: 502, retryable: true, summary: 'An OpenLineage event could not be delivered to its HTTP endpoint or file after the retries; it is dropped, logged and counted.' },
  // access: API keys and what they may do
  SL_AUTH_MISSING: { status: 401, retryable: false, summary: 'The route needs an API key: send it as `Authorization: Bearer <key>` (the Confluent registry API also takes HTTP Basic with the key id and secret).' },
  SL_AUTH_INVALID: { status: 401, retryable: false, summary: 'The Authorization header is malformed, or names no key this platform holds, or its secret is wrong.' },
  SL_AUTH_EXPIRED: { status: 401, retryable: false, summary: 'The API key is past its expiry; an admin rotates it or creates another.' },
  SL_AUTH_REVOKED: { status: 401, retryable: false, summary: 'The API key was revoked (or rotated, and its old secret\'s grace period is over).' },
  SL_AUTH_FORBIDDEN: { status: 403, retryable: false, summary: 'The API key is valid but lacks the scope (or the resource within it) the request needs; the message names both.' },
  SL_KEY_NOT_FOUND: { status: 404, retryable: false, summary: 'No API key with this id.' },
  SL_KEY_REQUEST_INVALID: { status: 400, retryable: false, summary: 'A key request is not valid: an unknown scope, a resource on a scope that takes none, a bad pattern, or an expiry in the past.' },
  SL_AUDIT_WRITE_FAILED: { status: 500, retryable: true, summary: 'An audit entry could not be made durable (the `_audit` topic); the action it records was done, and is logged.' },
  SL_KEYS_STORE_FAILED: { status: 500, retryable: true, summary: 'The API keys could not be read or written in their store (the `_keys` topic).' },
  SL_SERVER_OPEN_TO_NETWORK: { status: 500, retryable: false, summary: 'The API would listen on a non-loopback address without requiring keys (auth.required: false); pass --insecure-open to accept that risk.' },
  // API and config
  SL_API_BAD_REQUEST: { status: 400, retryable: false, summary: 'The request is not one the API takes: a query, path or body parameter is invalid (a number must be finite), the path is not a valid URL, or the method needs a body type it lacks.' },
  SL_API_HEADERS_TOO_LARGE: { status: 431, retryable: false, summary: "The request's headers (or its URL) exceed the server's limit." },
  SL_API_REQUEST_TIMEOUT: { status: 408, retryable: true, summary: 'The request did not arrive whole within the server\'s request timeout.' },
  SL_API_UNSUPPORTED_MEDIA_TYPE: { status: 415, retryable: false, summary: 'A request with a body must send it as JSON (Content-Type application/json, or the registry\'s own JSON types); form and text bodies, which a web page can send to any site, are refused.' },
  SL_API_HOST_NOT_ALLOWED: { status: 403, retryable: false, summary: 'The Host header names a host this server does not answer for (server.allowedHosts; a loopback-bound server answers only for localhost and IP addresses), which is how DNS rebinding reaches a local API from a web page.' },
  SL_API_RATE_LIMITED: { status: 429, retryable: true, summary: 'The client sent more requests a second to this route than its rate limit (rateLimits); the RateLimit-* headers say how many, and Retry-After when to try again.' },
  SL_API_NOT_FOUND: { status: 404, retryable: false, summary: 'No such route or resource.' },
  SL_API_NOT_ACCEPTABLE: { status: 406, retryable: false, summary: 'The route cannot answer in any type the Accept header takes; the message lists those it can.' },
  SL_API_METHOD_NOT_ALLOWED: { status: 405, retryable: false, summary: 'The path exists, but not with this method; the Allow header lists the methods it takes.' },
  SL_ERASURE_NOT_FOUND: { status: 404, retryable: false, summary: 'No deletion request with this id.' },
  SL_ERASURE_FAILED: { status: 500, retryable: true, summary: "A node could not remove a deletion request's data (processing did not catch up, a store failed); it tries again a minute later and at its next start, and the request's results say what failed." },
  SL_BACKFILL_NOT_FOUND: { status: 404, retryable: false, summary: 'No backfill with this id.' },
  SL_BACKFILL_RANGE_OPEN: { status: 409, retryable: true, summary: 'The range still has open windows: backfill days whose windows have closed (a backfill that meets one tries again later).' },
  SL_BACKFILL_UNAVAILABLE: { status: 409, retryable: false, summary: 'This node cannot backfill: it needs the cold tier (cold.enabled) and runs processing and serving in one process (sightline up).' },
  SL_BACKFILL_BUSY: { status: 409, retryable: true, summary: 'Ten backfills are waiting or running already, or another backfill has not finished a day of this one: wait for it (a backfill that meets one goes on later).' },
  SL_BACKFILL_FAILED: { status: 500, retryable: true, summary: 'A backfill failed partway; it goes on from the first day not done a minute later and at the next start, and its view says what failed.' },
  // SQL on read (POST /v1/sql, the Postgres port)
  SL_SQL_INVALID: { status: 400, retryable: false, summary: 'The statement does not parse or bind (a syntax error, an unknown table or column, a wrong type); the message is DuckDB\'s, with the place in the statement.' },
  SL_SQL_NOT_ALLOWED: { status: 400, retryable: false, summary: 'SQL on read runs one SELECT over the platform\'s views: no DDL or DML, no SET, PRAGMA, ATTACH or COPY, no table functions that read files or the network, no schema-qualified tables; the message names what was refused.' },
  SL_SQL_PARAMS_INVALID: { status: 400, retryable: false, summary: 'A parameter is missing, not used by the statement, or not of its declared type.' },
  SL_SQL_TIMEOUT: { status: 422, retryable: false, summary: 'The statement ran longer than sql.statementTimeout and was cancelled: narrow it (a shorter time range, fewer rows).' },
  SL_SQL_TOO_MANY_ROWS: { status: 422, retryable: false, summary: 'The result has more rows than sql.maxRows (or the request\'s max_rows): aggregate, or page with LIMIT and OFFSET.' },
  SL_SQL_MEMORY_LIMIT: { status: 422, retryable: false, summary: 'The statement needed more memory than the query engine may use (hot.memoryLimit): aggregate earlier or narrow the time range.' },
  SL_SQL_TOO_MANY_FILES: { status: 422, retryable: false, summary: 'The statement would read more cold data files than sql.maxColdFiles: bound its time column (timestamp, event_time, window_start, failed_at) to fewer days.' },
  SL_SQL_CANCELLED: { status: 400, retryable: false, summary: 'The client cancelled the statement (a Postgres CancelRequest).' },
  SL_SQL_TOO_MANY_CONCURRENT: { status: 429, retryable: true, summary: 'The client already runs as many statements as rateLimits.sqlConcurrent lets it (over HTTP and the Postgres port); retry after one finishes.' },
  SL_SQL_BUSY: { status: 503, retryable: true, summary: 'Every SQL connection stayed busy past sql.queueTimeout; try again after Retry-After.' },
  SL_SQL_UNAVAILABLE: { status: 503, retryable: false, summary: 'SQL on read needs the hot store: it runs on nodes with the serve role.' },
  // Pipes: published SQL endpoints (GET /v1/pipes/<name>)
  SL_PIPE_NOT_FOUND: { status: 404, retryable: false, summary: 'No pipe with this name (or no such version of it); GET /v1/pipes lists those the key may read.' },
  SL_PIPE_INVALID: { status: 422, retryable: false, summary: 'A pipe definition is not valid: a bad name, a parameter the statement does not use or uses undeclared, a default not of its type, or a statement that does not check (the message says which).' },
  SL_PIPE_INCOMPATIBLE: { status: 409, retryable: false, summary: "The new version would break the pipe's callers (a parameter removed or retyped, a new one required, an output column removed or retyped) under its BACKWARD compatibility; the message lists each break. Publish it under another name, or set compatibility NONE." },
  SL_PIPE_CONFIGURED: { status: 409, retryable: false, summary: 'The pipe is defined in the config (pipes.<name>): change or remove it there, not through the API, or the next start would undo the change.' },
  SL_PIPE_PARAMS_INVALID: { status: 400, retryable: false, summary: 'A query parameter of a pipe is missing, unknown, or not of its declared type; the message names it.' },
  SL_PIPES_STORE_FAILED: { status: 500, retryable: true, summary: 'The pipe definitions could not be read or written in their store (the `_pipes` topic).' },
  SL_DLQ_ENTRY_NOT_FOUND: { status: 404, retryable: false, summary: 'No dead letter with this id.' },
  SL_API_CURSOR_INVALID: { status: 400, retryable: false, summary: 'The paging cursor is not one this API issued.' },
  SL_API_INTERNAL: { status: 500, retryable: true, summary: 'An unexpected server error.' },
  SL_DATA_DIR_IN_USE: { status: 500, retryable: false, summary: 'Another Sightline process has this data folder open.' },
  SL_SERVER_ADDRESS_IN_USE: { status: 500, retryable: true, summary: "Another process listens on the API's address (server.host and server.port, or --port)." },
  SL_CONFIG_INVALID: { status: 500, retryable: false, summary: 'The configuration does not match its schema.' },
  SL_CLI_USAGE: { status: 400, retryable: false, summary: 'The command line is not valid.' },
  SL_CLIENT_REQUEST_FAILED: { status: 502, retryable: true, summary: 'A request to the Sightline API failed.' },
} as const satisfies Record<string, { status: number; retryable: boolean; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class SightlineError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  /** For 429 and 503: when a client should try again. */
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; retryable?: boolean; retryAfterSeconds?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SightlineError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.retryable = options?.retryable ?? ERROR_CODES[code].retryable;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }

  toBody(): { code: ErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

export function isSightlineError(err: unknown): err is SightlineError {
  return err instanceof SightlineError;
}
