/**
 * The backbone. The embedded segment log and the Kafka adapter implement this port, and both run
 * the contract suite in test/contract/log.contract.ts.
 *
 * Offsets are per partition and dense from 0. `append` resolves only once every record of the
 * call is durable; consumers see a record only after it is durable, so nothing a consumer has
 * processed can vanish from the log in a crash.
 */
export interface LogRecordInput {
  key: string;
  value: Buffer;
  /** Event time or produce time, epoch ms. */
  timestamp: number;
  headers?: Record<string, string>;
}

export interface LogRecord {
  topic: string;
  partition: number;
  offset: number;
  key: string;
  value: Buffer;
  timestamp: number;
  headers: Record<string, string>;
}

export interface AppendResult {
  partition: number;
  offset: number;
}

export interface TopicSpec {
  partitions: number;
  /**
   * Keep only the newest record per key (Kafka's cleanup.policy=compact), for state and registry
   * topics. A hint: a log that never deletes records (the embedded one) may ignore it.
   */
  compact?: boolean;
  /** How long records are kept; a hint like `compact`, for logs that enforce retention themselves. */
  retentionMs?: number;
}

/** Offsets a group has committed: the next offset to read, per partition. */
export type PartitionOffsets = Map<number, number>;

export interface LogConsumer {
  readonly group: string;
  readonly topic: string;
  /** Moves the read position of one partition; the next poll starts there. */
  seek(partition: number, offset: number): void;
  /** The next offset this consumer will read, per partition. */
  positions(): PartitionOffsets;
  /**
   * Up to `maxRecords` records across the partitions, in offset order within each partition.
   * Waits up to `maxWaitMs` when nothing is available, and returns [] then.
   */
  poll(maxRecords: number, maxWaitMs: number): Promise<LogRecord[]>;
  /** Stores `offsets` (default: the current positions) as the group's committed offsets. */
  commit(offsets?: PartitionOffsets): Promise<void>;
  close(): Promise<void>;
}

export interface LogStats {
  topics: Array<{ topic: string; partitions: Array<{ partition: number; endOffset: number; bytes: number; segments: number }> }>;
  fsyncs: number;
  appendedRecords: number;
}

/**
 * Told of the partitions a group member gains and loses. The protocol is eager: on a rebalance a
 * member gives up everything it holds (onRevoked) before the group assigns anew (onAssigned), so
 * no partition is ever worked on by two members that both follow these calls.
 */
export interface GroupListener {
  /** Partitions newly given to this member (after a join or a rebalance). */
  onAssigned(partitions: number[]): Promise<void>;
  /** Partitions taken from this member (rebalance, or close). Awaited before the member rejoins where the protocol allows; the caller must stop working on them. */
  onRevoked(partitions: number[]): Promise<void>;
}

export interface GroupMemberOptions {
  /** A member not heard from for this long is removed and its partitions go to the others. */
  sessionTimeoutMs?: number; // default 10_000
  heartbeatIntervalMs?: number; // default 1_000
  /** How long the group waits for its members to rejoin during a rebalance. */
  rebalanceTimeoutMs?: number; // default 30_000
}

export interface GroupMembership {
  readonly group: string;
  readonly topic: string;
  readonly memberId: string;
  /** The partitions this member holds now, ascending. */
  assigned(): number[];
  /** Leaves the group (others take the partitions at once); calls onRevoked for what it held. */
  close(): Promise<void>;
}

export interface ConsumerOptions {
  /** Read only these partitions (e.g. a group member's assignment); every partition when absent. */
  partitions?: readonly number[];
}

export interface Log {
  /** Creates the topic if absent; an existing topic keeps its partition count. */
  ensureTopic(topic: string, spec: TopicSpec): Promise<void>;
  partitionCount(topic: string): number;
  /** Partitions by key hash; resolves when every record is durable. */
  append(topic: string, records: readonly LogRecordInput[]): Promise<AppendResult[]>;
  /** The offset the next record of each partition will get (only durable records count). */
  endOffsets(topic: string): PartitionOffsets;
  /** The oldest offset still held per partition (retention deletes what lies before it). */
  startOffsets(topic: string): PartitionOffsets;
  committedOffsets(group: string, topic: string): Promise<PartitionOffsets>;
  /**
   * A consumer of every partition of the topic (or of `options.partitions`), starting at the
   * group's committed offsets. `seek`, `positions` and `commit` refer to its partitions only.
   */
  consumer(group: string, topic: string, options?: ConsumerOptions): Promise<LogConsumer>;
  /**
   * Joins `group` as a member sharing the topic's partitions with the group's other members;
   * resolves once the first assignment was handed to `listener.onAssigned`. A membership does not
   * read records or commit offsets: read with `consumer(group, topic, { partitions })`.
   */
  joinGroup(group: string, topic: string, listener: GroupListener, options?: GroupMemberOptions): Promise<GroupMembership>;
  /**
   * Deletes what retention allows: closed segments older than `retentionMs` whose records are all
   * below `consumed` (what every consumer that matters has committed). Returns segments deleted; a
   * log whose brokers enforce retention themselves (Kafka's retention.ms) deletes nothing here.
   */
  enforceRetention(topic: string, consumed: PartitionOffsets, retentionMs: number): Promise<number>;
  /**
   * Deletion of a user's data: overwrites matching records where the log can (closed segments below
   * `safeOffsets`) and counts the matches it leaves. Absent where records cannot be rewritten
   * (Kafka): they go with the topic's retention.
   */
  eraseRecords?(topic: string, safeOffsets: PartitionOffsets, matches: (value: Buffer, timestamp: number) => boolean, erased: (length: number) => Buffer): Promise<{ records: number; segments: number; left: number }>;
  /** Partitions that stopped taking writes after a failed one, for readiness; none where a failure fails only its call. */
  failures(): string[];
  stats(): LogStats;
  close(): Promise<void>;
}
