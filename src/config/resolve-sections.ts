import { resolve } from 'node:path';
import type { ContractsOptions } from '../contracts/contracts-options.js';
import { parseDuration } from '../core/duration.js';
import { SightlineError } from '../core/errors.js';
import type { IngestOptions } from '../ingest/ingest-options.js';
import type { LineageOptions } from '../lineage/lineage-options.js';
import type { LogOptions } from '../log/log-options.js';
import type { AggregationConfig } from '../process/aggregation-options.js';
import type { EnrichmentOptions } from '../process/enrichment-options.js';
import type { ProcessOptions } from '../process/process-options.js';
import type { ColdStoreOptions, LifecycleOptions, TableLifecycle } from '../store/store-options.js';
import { parseByteSize } from '../core/byte-size.js';
import type { ConfigDocument } from './schema.js';

/*
 * Each function turns one validated section into the options of the component that reads it:
 * durations to ms, dotted paths split, file paths made absolute, what a file's extension implies.
 */

export function resolveLog(raw: ConfigDocument['log'], baseDir: string): LogOptions {
  const { kafka } = raw;
  return {
    partitions: raw.partitions,
    segmentBytes: raw.segmentBytes,
    maxRecordBytes: raw.maxRecordBytes,
    retentionMs: parseDuration(raw.retention),
    ...(kafka && {
      kafka: {
        bootstrap: kafka.bootstrap,
        topicPrefix: kafka.topicPrefix,
        replicationFactor: kafka.replicationFactor,
        minInsyncReplicas: kafka.minInsyncReplicas,
        sessionTimeoutMs: parseDuration(kafka.sessionTimeout),
        security: {
          ...(kafka.tls && {
            tls: {
              ...(kafka.tls.caFile !== undefined && { caPath: resolve(baseDir, kafka.tls.caFile) }),
              ...(kafka.tls.certFile !== undefined && { certPath: resolve(baseDir, kafka.tls.certFile) }),
              ...(kafka.tls.keyFile !== undefined && { keyPath: resolve(baseDir, kafka.tls.keyFile) }),
              ...(kafka.tls.serverName !== undefined && { serverName: kafka.tls.serverName }),
            },
          }),
          ...(kafka.sasl && {
            sasl: {
              mechanism: kafka.sasl.mechanism,
              username: kafka.sasl.username,
              ...(kafka.sasl.password !== undefined && { password: kafka.sasl.password }),
              ...(kafka.sasl.passwordFile !== undefined && { passwordPath: resolve(baseDir, kafka.sasl.passwordFile) }),
            },
          }),
        },
      },
    }),
  };
}

export function resolveIngest(raw: ConfigDocument['ingest']): IngestOptions {
  return {
    maxBodyBytes: raw.maxBodyBytes,
    maxEventsPerBatch: raw.maxEventsPerBatch,
    maxEventBytes: raw.maxEventBytes,
    maxDepth: raw.maxDepth,
    maxStringLength: raw.maxStringLength,
    maxFutureSkewMs: parseDuration(raw.maxFutureSkew),
    maxBacklogEvents: raw.maxBacklogEvents,
    maxInFlightBytes: raw.maxInFlightBytes,
    retryAfterSeconds: raw.retryAfterSeconds,
  };
}

export function resolveProcess(raw: ConfigDocument['process']): ProcessOptions {
  return {
    batchSize: raw.batchSize,
    dedupWindowMs: parseDuration(raw.dedupWindow),
    allowedLatenessMs: parseDuration(raw.allowedLateness),
    watermarkDelayMs: parseDuration(raw.watermarkDelay),
    idleTimeoutMs: parseDuration(raw.idleTimeout),
    streamRules: Object.fromEntries(
      Object.entries(raw.streams).map(([stream, rules]) => [
        stream,
        {
          ...(rules.watermarkDelay !== undefined && { watermarkDelayMs: parseDuration(rules.watermarkDelay) }),
          ...(rules.allowedLateness !== undefined && { allowedLatenessMs: parseDuration(rules.allowedLateness) }),
          ...(rules.idleTimeout !== undefined && { idleTimeoutMs: parseDuration(rules.idleTimeout) }),
        },
      ]),
    ),
    plannerThread: raw.plannerThread,
    lateEvents: raw.lateEvents,
  };
}

/** `baseDir`: the config file's folder, which the reference data path is relative to. */
export function resolveEnrichment(raw: ConfigDocument['enrichment'], baseDir: string): EnrichmentOptions {
  const ref = raw.referenceData;
  return {
    onMiss: raw.onMiss,
    ...(ref && {
      referenceData: {
        path: resolve(baseDir, ref.path),
        format: ref.format ?? (ref.path.toLowerCase().endsWith('.csv') ? 'csv' : 'json'),
        key: ref.key,
        joinOn: ref.joinOn.split('.'),
        reloadIntervalMs: parseDuration(ref.reloadInterval),
      },
    }),
  };
}

/** `baseDir`: the config file's folder, which schema paths are relative to. */
export function resolveContracts(raw: ConfigDocument['contracts'], baseDir: string): ContractsOptions {
  return {
    unknown: raw.unknown,
    defaultCompatibility: raw.defaultCompatibility,
    // A schema file's type follows its extension (.avsc is Avro) unless given.
    register: raw.register.map((r) => ({
      subject: r.subject,
      path: resolve(baseDir, r.path),
      schemaType: r.schemaType ?? (r.path.toLowerCase().endsWith('.avsc') ? 'AVRO' : 'JSON'),
    })),
    acceptedVersions: raw.acceptedVersions,
  };
}

export function resolveAggregations(raw: ConfigDocument['aggregations']): AggregationConfig[] {
  const names = new Set<string>();
  return raw.map((a) => {
    if (names.has(a.name)) throw new SightlineError('SL_CONFIG_INVALID', `aggregation "${a.name}" is declared twice`);
    names.add(a.name);
    return {
      name: a.name,
      match: a.match,
      groupBy: a.groupBy.split('.'),
      // The schema's pattern puts at least one dot in groupBy.
      groupField: a.groupBy.slice(a.groupBy.lastIndexOf('.') + 1),
      windows: a.windows.map((label) => ({ label, ms: parseDuration(label) })),
    };
  });
}

/** `dataDir`: the resolved data folder; lineage output is data the platform writes, so it lives there unless told otherwise. */
export function resolveLineage(raw: ConfigDocument['lineage'], dataDir: string): LineageOptions {
  const { http, file } = raw;
  return {
    namespace: raw.namespace,
    intervalMs: parseDuration(raw.interval),
    maxQueue: raw.maxQueue,
    ...(http && {
      http: {
        url: http.url,
        ...(http.apiKey !== undefined && { apiKey: http.apiKey }),
        timeoutMs: parseDuration(http.timeout),
        retries: http.retries,
      },
    }),
    ...(file !== undefined && { file: resolve(dataDir, file) }),
  };
}

export function resolveCold(raw: ConfigDocument['cold'], baseDir: string): ColdStoreOptions {
  const store = raw.objectStore;
  return {
    rollRows: raw.rollRows,
    rollIntervalMs: parseDuration(raw.rollInterval),
    contractTables: raw.contractTables,
    ...(store && {
      objectStore: {
        bucket: store.bucket,
        prefix: store.prefix === '' || store.prefix.endsWith('/') ? store.prefix : `${store.prefix}/`,
        ...(store.endpoint !== undefined && { endpoint: store.endpoint.replace(/\/$/, '') }),
        ...(store.region !== undefined && { region: store.region }),
        ...(store.pathStyle !== undefined && { pathStyle: store.pathStyle }),
        ...(store.accessKeyId !== undefined && { accessKeyId: store.accessKeyId }),
        ...(store.secretAccessKey !== undefined && { secretAccessKey: store.secretAccessKey }),
        ...(store.secretAccessKeyFile !== undefined && { secretAccessKeyPath: resolve(baseDir, store.secretAccessKeyFile) }),
        ...(store.caFile !== undefined && { caPath: resolve(baseDir, store.caFile) }),
      },
    }),
  };
}

export function resolveLifecycle(raw: ConfigDocument['lifecycle']): LifecycleOptions {
  const tables: Record<string, TableLifecycle> = {};
  for (const [name, t] of Object.entries(raw.tables)) {
    tables[name] = {
      ...(t.hotRetention !== undefined && { hotRetentionMs: parseDuration(t.hotRetention) }),
      ...(t.coldRetention !== undefined && { coldRetentionMs: parseDuration(t.coldRetention) }),
      ...(t.tierAfter !== undefined && { tierAfterMs: parseDuration(t.tierAfter) }),
      ...(t.compactBelow !== undefined && { compactBelowBytes: parseByteSize(t.compactBelow) }),
      ...(t.compactMinFiles !== undefined && { compactMinFiles: t.compactMinFiles }),
    };
  }
  // The tier folder is the tables' own: inside a table's folder, that table's cleanup of orphan
  // files would take another table's tiered files for its own leftovers.
  if (/^(events|aggregates|contracts|dead_letters|audit)\//.test(raw.tier.prefix)) {
    throw new SightlineError('SL_CONFIG_INVALID', `lifecycle.tier.prefix ${raw.tier.prefix} is inside the folder of a table (events/, aggregates/, contracts/, dead_letters/) or of the audit log: name a folder of its own, such as tier/`);
  }
  return {
    intervalMs: parseDuration(raw.interval),
    snapshotRetentionMs: parseDuration(raw.snapshotRetention),
    tier: { prefix: raw.tier.prefix, ...(raw.tier.storageClass !== undefined && { storageClass: raw.tier.storageClass }) },
    tables,
  };
}
