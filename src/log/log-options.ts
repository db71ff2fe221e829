import type { KafkaSecurityOptions } from './kafka/security.js';
/** The events log: the `log` config section, durations in ms. */
export interface LogOptions {
  partitions: number;
  segmentBytes: number;
  maxRecordBytes: number;
  retentionMs: number;
  /** Distributed mode when set. */
  kafka?: KafkaClusterOptions;
}

/** The Kafka cluster that is the log in distributed mode. */
export interface KafkaClusterOptions {
  bootstrap: string[];
  topicPrefix: string;
  replicationFactor: number;
  minInsyncReplicas: number;
  sessionTimeoutMs: number;
  /** TLS and SASL of this node's connections (files not read yet). */
  security: KafkaSecurityOptions;
}
