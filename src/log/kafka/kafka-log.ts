import { SightlineError } from '../../core/errors.js';
import { partitionForKey } from '../../core/partitioner.js';
import { consumerPartitions, resolveGroupMemberOptions } from '../../core/group-assignment.js';
import type { AppendResult, ConsumerOptions, GroupListener, GroupMemberOptions, GroupMembership, LogConsumer, LogRecordInput, LogStats, PartitionOffsets, TopicSpec } from '../../core/ports/log.js';
import { Appender } from './appender.js';
import { KafkaGroupMember } from './group-member.js';
import { brokerErrorIds, describeKafkaError, wrapKafkaError } from './errors.js';
import { KafkaLogConsumer } from './kafka-consumer.js';
import { type KafkaLogOptions, type ResolvedKafkaLogOptions, resolveKafkaLogOptions } from './options.js';
import { TopicAdmin } from './topic-admin.js';
import type { RoleAcl } from './role-acls.js';
import { TopicTable } from './topic-table.js';
import { CommittedPartitionReader } from './committed-reader.js';
import { FencedTableWriter, tableTransactionalId } from './fenced-table-writer.js';
import type { SharedTableLog, TableWriter, TopicReader } from '../../core/ports/table-store.js';
import type { KafkaSecurity } from './security.js';

// Kafka's own rule for topic names (249 characters at most, this alphabet).
const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;
const REFUSED_TOPIC_SETTINGS = ['INVALID_REPLICATION_FACTOR', 'INVALID_PARTITIONS', 'INVALID_CONFIG', 'POLICY_VIOLATION', 'INVALID_TOPIC_EXCEPTION', 'INVALID_REPLICA_ASSIGNMENT'];

/**
 * The Log port on Apache Kafka. Appends go through one idempotent producer with acks=all and land
 * on the partition Sightline's murmur2 partitioner picks (the one Kafka's Java clients pick for
 * the same key). The port's synchronous reads (partition counts, start and end offsets) answer
 * from a table kept current by produce acknowledgements, fetch responses and periodic ListOffsets
 * rounds; `refreshOffsets` asks the cluster on demand.
 */
export class KafkaLog implements SharedTableLog {
  private readonly table = new TopicTable();
  private readonly admin: TopicAdmin;
  private readonly appender: Appender;
  private readonly consumers = new Set<KafkaLogConsumer>();
  private readonly members = new Set<KafkaGroupMember>();
  /** Topics ensureTopic already checked in this process; later calls return at once. */
  private readonly ensured = new Set<string>();
  private refreshTimer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private appendedRecords = 0;
  private closed = false;

  private constructor(private readonly options: ResolvedKafkaLogOptions) {
    this.admin = new TopicAdmin({ bootstrap: options.bootstrap, security: options.security, clientId: options.clientId, timeoutMs: options.requestTimeoutMs });
    this.appender = new Appender({
      bootstrap: options.bootstrap,
      security: options.security,
      clientId: options.clientId,
      logger: options.logger,
      appendTimeoutMs: options.appendTimeoutMs,
      requestTimeoutMs: options.requestTimeoutMs,
      onAcknowledged: (clusterTopic, partition, end) => this.table.advanceEnd(this.shortName(clusterTopic), partition, end),
    });
  }

  /** Connects, and learns the topics already on the cluster (under the prefix) with their offsets. */
  static async open(options: KafkaLogOptions): Promise<KafkaLog> {
    const log = new KafkaLog(resolveKafkaLogOptions(options));
    try {
      const existing = await log.admin.discover(log.options.topicPrefix);
      for (const [clusterName, partitions] of existing) log.table.add(log.shortName(clusterName), partitions);
      await Promise.all(log.table.names().map((topic) => log.refreshOffsets(topic)));
    } catch (error) {
      await log.close().catch(() => undefined);
      throw wrapKafkaError(error, 'SL_LOG_UNAVAILABLE', `cannot reach Kafka at ${log.options.bootstrap.join(',')}`, true);
    }
    log.refreshTimer = setInterval(() => log.refreshAll(), log.options.offsetRefreshMs);
    log.refreshTimer.unref();
    return log;
  }

  private clusterName(topic: string): string {
    return this.options.topicPrefix + topic;
  }

  private shortName(clusterTopic: string): string {
    return clusterTopic.slice(this.options.topicPrefix.length);
  }

  private checkOpen(): void {
    if (this.closed) throw new SightlineError('SL_LOG_CLOSED', 'the log is closed');
  }

  async ensureTopic(topic: string, spec: TopicSpec): Promise<void> {
    this.checkOpen();
    if (this.ensured.has(topic)) return;
    if (!TOPIC_NAME.test(this.clusterName(topic))) throw new SightlineError('SL_CONFIG_INVALID', `invalid topic name "${topic}"`);
    const { partitions, configs } = this.creationSettings(topic, spec);
    let count: number;
    try {
      // An existing topic (found at open, or made by another process) keeps its partition count
      // and settings; create() reports the count the topic has.
      const existing = this.table.has(topic) ? this.table.partitionCount(topic) : await this.admin.partitionCount(this.clusterName(topic));
      if (existing !== undefined && configs['cleanup.policy'] === 'compact') await this.warnIfNotCompacted(topic);
      count = existing ?? (await this.admin.create(this.clusterName(topic), { partitions, replicationFactor: this.options.topicDefaults.replicationFactor, configs }));
    } catch (error) {
      const ids = brokerErrorIds(error);
      // The cluster refuses these settings however often they are sent: a configuration error.
      if (REFUSED_TOPIC_SETTINGS.some((id) => ids.has(id))) throw wrapKafkaError(error, 'SL_CONFIG_INVALID', `the cluster refused topic "${topic}"`);
      throw wrapKafkaError(error, 'SL_LOG_UNAVAILABLE', `creating topic "${topic}" failed`);
    }
    this.ensured.add(topic);
    if (this.table.has(topic)) return;
    this.table.add(topic, count);
    await this.refreshOffsets(topic).catch((error: unknown) =>
      this.options.logger.warn({ topic, err: describeKafkaError(error) }, 'listing offsets of a new topic failed; the periodic refresh will retry'),
    );
  }

  /** Partitions and topic configs for a new topic: the override by name, then the spec, then the defaults. */
  private creationSettings(topic: string, spec: TopicSpec): { partitions: number; configs: Record<string, string> } {
    const override = this.options.topics[topic] ?? {};
    const partitions = override.partitions ?? spec.partitions;
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > 1024) {
      throw new SightlineError('SL_CONFIG_INVALID', `topic "${topic}" needs 1 to 1024 partitions`);
    }
    const defaults = this.options.topicDefaults;
    const configs: Record<string, string> = {};
    if (defaults.minInsyncReplicas !== undefined) configs['min.insync.replicas'] = String(defaults.minInsyncReplicas);
    const retentionMs = override.retentionMs ?? spec.retentionMs ?? defaults.retentionMs;
    if (retentionMs !== undefined) configs['retention.ms'] = String(retentionMs);
    if (override.compact ?? spec.compact) configs['cleanup.policy'] = 'compact';
    Object.assign(configs, override.configs);
    return { partitions, configs };
  }

  /**
   * A state or registry topic made without compaction loses its records to retention. It is not
   * altered here (changing a live topic's policy is an operator's call), but it must not go unseen.
   */
  private async warnIfNotCompacted(topic: string): Promise<void> {
    const policy = (await this.admin.configs(this.clusterName(topic))).get('cleanup.policy') ?? '';
    if (!policy.split(',').includes('compact')) {
      this.options.logger.warn({ topic, cleanupPolicy: policy }, 'topic should be compacted (cleanup.policy=compact) but exists with another policy; records older than its retention will be deleted');
    }
  }

  partitionCount(topic: string): number {
    return this.table.partitionCount(topic);
  }

  async append(topic: string, records: readonly LogRecordInput[]): Promise<AppendResult[]> {
    this.checkOpen();
    const count = this.table.partitionCount(topic);
    const partitions = records.map((r) => partitionForKey(r.key, count));
    const results = await this.appender.append(this.clusterName(topic), records, partitions);
    this.appendedRecords += records.length;
    return results;
  }

  endOffsets(topic: string): PartitionOffsets {
    return this.table.endOffsets(topic);
  }

  startOffsets(topic: string): PartitionOffsets {
    return this.table.startOffsets(topic);
  }

  /** Asks the cluster for the topic's start and end offsets now, and updates the cached ones. */
  async refreshOffsets(topic: string): Promise<void> {
    const listed = await this.admin.listOffsets(this.clusterName(topic), this.table.partitionCount(topic));
    for (const [p, offset] of listed.start) this.table.advanceStart(topic, p, offset);
    for (const [p, offset] of listed.end) this.table.advanceEnd(topic, p, offset);
  }

  private refreshAll(): void {
    if (this.refreshing || this.closed) return;
    this.refreshing = Promise.all(this.table.names().map((topic) => this.refreshOffsets(topic)))
      .then(() => undefined)
      .catch((error: unknown) => this.options.logger.warn({ err: describeKafkaError(error) }, 'refreshing Kafka offsets failed'))
      .finally(() => (this.refreshing = undefined));
  }

  async committedOffsets(group: string, topic: string): Promise<PartitionOffsets> {
    this.checkOpen();
    const count = this.table.partitionCount(topic);
    let stored: Map<number, number>;
    try {
      stored = await this.admin.committed(this.clusterName(group), this.clusterName(topic), count);
    } catch (error) {
      throw wrapKafkaError(error, 'SL_LOG_UNAVAILABLE', `reading committed offsets of group "${group}" on "${topic}" failed`, true);
    }
    // A partition the group never committed reads from the beginning, as in the embedded log.
    const offsets: PartitionOffsets = new Map();
    for (let p = 0; p < count; p++) offsets.set(p, stored.get(p) ?? 0);
    return offsets;
  }

  async consumer(group: string, topic: string, options: ConsumerOptions = {}): Promise<LogConsumer> {
    this.checkOpen();
    const clusterTopic = this.clusterName(topic);
    const count = this.table.partitionCount(topic);
    const partitions = consumerPartitions(topic, count, options.partitions);
    const committed = await this.committedOffsets(group, topic);
    const consumer: KafkaLogConsumer = new KafkaLogConsumer(
      {
        bootstrap: this.options.bootstrap,
        security: this.options.security,
        clientId: this.options.clientId,
        clusterGroup: this.clusterName(group),
        clusterTopic,
        table: this.table,
        logger: this.options.logger,
        requestTimeoutMs: this.options.requestTimeoutMs,
        maxBytesPerPartition: this.options.fetchMaxBytesPerPartition,
        commit: (offsets) => this.commit(group, topic, offsets),
        startOffsets: async () => (await this.admin.listOffsets(clusterTopic, count)).start,
        onClose: () => this.consumers.delete(consumer),
      },
      group,
      topic,
      new Map(partitions.map((p) => [p, committed.get(p) ?? 0])),
    );
    this.consumers.add(consumer);
    return consumer;
  }

  /**
   * Kafka accepts an offset commit from outside a group's membership (generation -1) only while
   * the group has no members, so while this process holds a membership of the group its commits
   * go through that member, with its generation: one group id serves both membership and offsets,
   * and a member that lost its partitions in a rebalance has stale commits refused.
   */
  private async commit(group: string, topic: string, offsets: PartitionOffsets): Promise<void> {
    const member = [...this.members].find((m) => m.group === group && m.topic === topic && m.isActive());
    if (member) return member.commitOffsets(offsets);
    return this.admin.commit(this.clusterName(group), this.clusterName(topic), offsets);
  }

  async joinGroup(group: string, topic: string, listener: GroupListener, options?: GroupMemberOptions): Promise<GroupMembership> {
    this.checkOpen();
    const resolved = resolveGroupMemberOptions(options);
    this.table.partitionCount(topic);
    return KafkaGroupMember.join(
      {
        bootstrap: this.options.bootstrap,
        security: this.options.security,
        clientId: this.options.clientId,
        logger: this.options.logger,
        requestTimeoutMs: this.options.requestTimeoutMs,
        clusterGroup: this.clusterName(group),
        clusterTopic: this.clusterName(topic),
        partitionCount: async (clusterTopic) => {
          const short = this.shortName(clusterTopic);
          if (clusterTopic.startsWith(this.options.topicPrefix) && this.table.has(short)) return this.table.partitionCount(short);
          return (await this.admin.partitionCount(clusterTopic)) ?? 0;
        },
        onOpen: (member) => this.members.add(member),
        onClose: (member) => this.members.delete(member),
      },
      group,
      topic,
      listener,
      resolved,
    );
  }

  /**
   * Kafka keeps bytes and segments on the brokers; they are reported as 0 here (the broker's own
   * metrics have them), and so is `fsyncs`: the brokers decide when to flush.
   */
  stats(): LogStats {
    return {
      topics: this.table.names().map((topic) => ({
        topic,
        partitions: [...this.table.endOffsets(topic)].map(([partition, endOffset]) => ({ partition, endOffset, bytes: 0, segments: 0 })),
      })),
      fsyncs: 0,
      appendedRecords: this.appendedRecords,
    };
  }

  /** How this log reaches its cluster, for a client of its own beside it (a partition's transactional producer). */
  connection(): { bootstrap: string[]; security: KafkaSecurity; clientId: string; topicPrefix: string; requestTimeoutMs: number } {
    const { bootstrap, security, clientId, topicPrefix, requestTimeoutMs } = this.options;
    return { bootstrap: [...bootstrap], security, clientId, topicPrefix, requestTimeoutMs };
  }

  /** A table's writer (the registry's, the keys'): Kafka's transactional-id fencing is a lock every node of the deployment shares. */
  tableWriter(topic: string, label: string): TableWriter {
    const { bootstrap, security, clientId, topicPrefix, requestTimeoutMs } = this.options;
    return new FencedTableWriter({
      label,
      bootstrap: [...bootstrap],
      security,
      clientId: `${clientId}-${label}`,
      clusterTopic: this.clusterName(topic),
      transactionalId: topicPrefix + tableTransactionalId(label),
      timeoutMs: requestTimeoutMs,
    });
  }

  /** A table's follower: committed records only, with Kafka's own aborted-transaction filter. */
  async tableReader(topic: string, label: string): Promise<TopicReader> {
    const { bootstrap, security, clientId, requestTimeoutMs } = this.options;
    return new CommittedPartitionReader({
      bootstrap: [...bootstrap],
      security,
      clientId: `${clientId}-${label}-reader`,
      clusterTopic: this.clusterName(topic),
      topic,
      timeoutMs: requestTimeoutMs,
      maxBytes: 1 << 20,
    });
  }

  /** Grants a principal the ACLs of its role (`sightline kafka setup`); needs an administrator's credentials. */
  async allow(principal: string, acls: readonly RoleAcl[]): Promise<number> {
    try {
      return await this.admin.allow(principal, acls);
    } catch (error) {
      throw wrapKafkaError(error, 'SL_LOG_ACCESS_DENIED', `adding the ACLs of ${principal} failed`);
    }
  }

  /** The brokers enforce retention.ms themselves. */
  async enforceRetention(): Promise<number> {
    return 0;
  }

  /** A failed append fails only its own call: no partition stops. */
  failures(): string[] {
    return [];
  }

  /** Producer sessions started and batches re-sent after a failure: how often the workaround ran. */
  producerStats(): { sessions: number; resends: number } {
    return this.appender.stats();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    // Members first: their onRevoked may still commit through the consumers.
    await Promise.all([...this.members].map((m) => m.close()));
    await Promise.all([...this.consumers].map((c) => c.close()));
    await this.appender.close();
    await this.refreshing;
    await this.admin.close().catch(() => undefined);
  }
}
