import type { Logger } from 'pino';
import { SightlineError } from '../../core/errors.js';
import type { KafkaSecurity } from './security.js';

/** Topic settings applied when the adapter creates a topic; existing topics are left as they are. */
export interface KafkaTopicDefaults {
  /** Replicas per partition (3 in production, so one broker can fail without losing writes). */
  replicationFactor: number;
  /** min.insync.replicas: with acks=all, a write needs this many replicas before it is acknowledged. */
  minInsyncReplicas?: number;
  /** retention.ms of new topics; the broker's default when absent. */
  retentionMs?: number;
}

/** Per-topic overrides, by the topic's name as Sightline knows it (without the prefix). */
export interface KafkaTopicOverride {
  partitions?: number;
  compact?: boolean;
  retentionMs?: number;
  /** Any other topic config, passed to CreateTopics as is (e.g. segment.ms). */
  configs?: Record<string, string>;
}

export interface KafkaLogOptions {
  bootstrap: string[];
  /** TLS and SASL of every connection; none (plaintext, anonymous) when absent. */
  security?: KafkaSecurity;
  clientId: string;
  topicDefaults: KafkaTopicDefaults;
  /** Overrides by topic name; e.g. `_schemas: { compact: true }` for the registry's topic. */
  topics?: Record<string, KafkaTopicOverride>;
  /**
   * Prepended to every topic and group name on the cluster, so several Sightline deployments (or
   * test runs) can share one cluster. Records and offsets are reported under the short names.
   */
  topicPrefix?: string;
  logger: Logger;
  /** How long `append` keeps re-sending a batch through leader changes before it rejects. */
  appendTimeoutMs?: number;
  /** Per request timeout of the client (produce, fetch, metadata). */
  requestTimeoutMs?: number;
  /** How often the cached start and end offsets are refreshed from ListOffsets. */
  offsetRefreshMs?: number;
  /** Most bytes one fetch asks for per partition. */
  fetchMaxBytesPerPartition?: number;
}

export type ResolvedKafkaLogOptions = Required<Omit<KafkaLogOptions, 'topics'>> & { topics: Record<string, KafkaTopicOverride> };

export const KAFKA_LOG_DEFAULTS = {
  topicPrefix: '',
  security: {},
  appendTimeoutMs: 30_000,
  requestTimeoutMs: 10_000,
  offsetRefreshMs: 5_000,
  fetchMaxBytesPerPartition: 1 << 20,
} as const;

const BROKER = /^[^\s:]+:\d{1,5}$/;

/** Fails fast on a configuration the cluster would only refuse later, less clearly. */
export function resolveKafkaLogOptions(options: KafkaLogOptions): ResolvedKafkaLogOptions {
  const invalid = (why: string): SightlineError => new SightlineError('SL_CONFIG_INVALID', `kafka log: ${why}`);
  if (!Array.isArray(options.bootstrap) || options.bootstrap.length === 0) throw invalid('bootstrap needs at least one host:port');
  for (const broker of options.bootstrap) if (!BROKER.test(broker)) throw invalid(`bootstrap broker "${broker}" is not host:port`);
  if (!options.clientId) throw invalid('clientId is required');
  const { replicationFactor, minInsyncReplicas, retentionMs } = options.topicDefaults ?? ({} as KafkaTopicDefaults);
  if (!Number.isInteger(replicationFactor) || replicationFactor < 1) throw invalid('topicDefaults.replicationFactor must be a positive integer');
  if (minInsyncReplicas !== undefined && (!Number.isInteger(minInsyncReplicas) || minInsyncReplicas < 1 || minInsyncReplicas > replicationFactor)) {
    throw invalid('topicDefaults.minInsyncReplicas must be 1 to replicationFactor');
  }
  if (retentionMs !== undefined && !(Number.isInteger(retentionMs) && (retentionMs > 0 || retentionMs === -1))) {
    throw invalid('topicDefaults.retentionMs must be a positive integer (or -1 to keep forever)');
  }
  const resolved: ResolvedKafkaLogOptions = { ...KAFKA_LOG_DEFAULTS, ...stripUndefined(options), topics: options.topics ?? {} };
  for (const key of ['appendTimeoutMs', 'requestTimeoutMs', 'offsetRefreshMs', 'fetchMaxBytesPerPartition'] as const) {
    if (!Number.isInteger(resolved[key]) || resolved[key] <= 0) throw invalid(`${key} must be a positive integer`);
  }
  return resolved;
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
