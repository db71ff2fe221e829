import { Connection, FindCoordinatorKeyTypes, findCoordinatorV6, heartbeatV4, joinGroupV9, leaveGroupV5, offsetCommitV9, syncGroupV5 } from '@platformatic/kafka';
import type { Logger } from 'pino';
import { SightlineError } from '../../core/errors.js';
import { rangeAssignment } from '../../core/group-assignment.js';
import type { GroupListener, GroupMemberOptions, GroupMembership, PartitionOffsets } from '../../core/ports/log.js';
import { decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription } from './consumer-protocol.js';
import { brokerErrorIds, describeKafkaError, wrapKafkaError } from './errors.js';
import type { KafkaSecurity } from './security.js';

export interface GroupMemberDeps {
  bootstrap: string[];
  security: KafkaSecurity;
  clientId: string;
  logger: Logger;
  requestTimeoutMs: number;
  /** The group and topic as the cluster names them (with the prefix). */
  clusterGroup: string;
  clusterTopic: string;
  /** Partition counts of the subscribed topics, for the member the coordinator makes leader. */
  partitionCount: (clusterTopic: string) => Promise<number>;
  onOpen: (member: KafkaGroupMember) => void;
  onClose: (member: KafkaGroupMember) => void;
}

// The assignor's name as the group protocol carries it: every member must offer the same one.
const PROTOCOL = 'range';
const REJOIN = new Set(['REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION']);
const MEMBER_GONE = new Set(['UNKNOWN_MEMBER_ID', 'FENCED_INSTANCE_ID']);
// Errors a retry cannot cure: the first join fails with them instead of retrying until its deadline.
const CONFIG_ERRORS = new Set(['INVALID_SESSION_TIMEOUT', 'INVALID_GROUP_ID', 'INCONSISTENT_GROUP_PROTOCOL']);
const FATAL_ERRORS = new Set([...CONFIG_ERRORS, 'GROUP_AUTHORIZATION_FAILED', 'GROUP_MAX_SIZE_REACHED']);

/**
 * A member of a Kafka consumer group on the classic protocol (JoinGroup, SyncGroup, Heartbeat,
 * LeaveGroup), driven here rather than through the client's Consumer because that one rejoins at
 * once on a rebalance (no room to await onRevoked first) and keeps the coordinator it found first
 * for good (a moved coordinator is never looked up again). It reads no records and commits only
 * when asked (`commitOffsets`, with its generation).
 *
 * Eager protocol: before every rejoin the member revokes all it holds and awaits onRevoked, so a
 * partition is given to another member only after its last holder let go of it, or after the
 * holder's session expired (a crashed process).
 */
export class KafkaGroupMember implements GroupMembership {
  private id = '';
  /** The group generation this member's assignment belongs to; -1 before the first join. */
  generationId = -1;
  private held: number[] = [];
  private connection: Connection | undefined;
  private coordinator: { host: string; port: number } | undefined;
  private closing = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> = Promise.resolve();
  private readonly options: Required<GroupMemberOptions>;

  private constructor(
    private readonly deps: GroupMemberDeps,
    readonly group: string,
    readonly topic: string,
    private readonly listener: GroupListener,
    options: Required<GroupMemberOptions>,
  ) {
    this.options = options;
  }

  /** Resolves once the first assignment was handed to onAssigned; rejects if no join succeeds in time. */
  static async join(deps: GroupMemberDeps, group: string, topic: string, listener: GroupListener, options: Required<GroupMemberOptions>): Promise<KafkaGroupMember> {
    const member = new KafkaGroupMember(deps, group, topic, listener, options);
    deps.onOpen(member);
    const joined = new Promise<void>((resolve, reject) => {
      member.loop = member.run(resolve, reject);
    });
    try {
      await joined;
    } catch (error) {
      await member.close();
      throw error;
    }
    return member;
  }

  get memberId(): string {
    return this.id;
  }

  assigned(): number[] {
    return [...this.held];
  }

  /** Whether offsets can be committed through this member (it holds a generation; also within onRevoked at close). */
  isActive(): boolean {
    return this.id !== '' && this.generationId >= 0;
  }

  async close(): Promise<void> {
    if (!this.closing) {
      this.closing = true;
      this.wake?.();
      // A JoinGroup can wait on the broker for the whole rebalance; holding nothing then, the
      // member drops the connection to end it, and leaves through a new one.
      if (this.held.length === 0) this.dropCoordinator(false);
    }
    await this.loop;
  }

  private async run(joined: () => void, failed: (error: Error) => void): Promise<void> {
    let first = true;
    const firstDeadline = Date.now() + this.options.rebalanceTimeoutMs + this.deps.requestTimeoutMs;
    let failures = 0;
    while (!this.closing) {
      try {
        const partitions = await this.joinAndSync();
        failures = 0;
        if (this.closing) break;
        this.held = partitions;
        this.deps.logger.info({ group: this.group, topic: this.topic, memberId: this.id, generation: this.generationId, partitions }, 'group member assigned partitions');
        // Heartbeats go on while onAssigned runs (a state restore can outlast the session).
        const heartbeats = this.heartbeatUntilRejoin();
        await this.tell('onAssigned', partitions);
        if (first) {
          first = false;
          joined();
        }
        await heartbeats;
      } catch (error) {
        if (this.closing) break;
        const ids = brokerErrorIds(error);
        if (first && ([...ids].some((id) => FATAL_ERRORS.has(id)) || Date.now() > firstDeadline)) {
          const config = [...ids].some((id) => CONFIG_ERRORS.has(id));
          failed(wrapKafkaError(error, config ? 'SL_CONFIG_INVALID' : 'SL_LOG_UNAVAILABLE', `joining group "${this.group}" on "${this.topic}" failed`, !config));
          break;
        }
        this.dropCoordinator(true);
        failures++;
        this.deps.logger.warn({ group: this.group, topic: this.topic, err: describeKafkaError(error) }, 'group join failed; retrying');
        await this.pause(Math.min(100 * 2 ** failures, 2_000));
      }
      await this.revokeAll();
    }
    this.closing = true;
    if (first) failed(new SightlineError('SL_LOG_CLOSED', `the log closed while joining group "${this.group}"`));
    await this.revokeAll();
    await this.leave();
    this.dropCoordinator(false);
    this.deps.onClose(this);
  }

  /** Joins (or rejoins) and syncs; returns this member's partitions of the topic. */
  private async joinAndSync(): Promise<number[]> {
    for (;;) {
      const connection = await this.coordinatorConnection();
      this.checkNotClosing();
      let joined: joinGroupV9.JoinGroupResponse;
      try {
        joined = await joinGroupV9.api.async(
          connection,
          this.deps.clusterGroup,
          this.options.sessionTimeoutMs,
          this.options.rebalanceTimeoutMs,
          this.id,
          null,
          'consumer',
          [{ name: PROTOCOL, metadata: encodeSubscription([this.deps.clusterTopic]) }],
          null,
        );
      } catch (error) {
        // The broker hands out the member id on the first JoinGroup and wants it sent back.
        if (brokerErrorIds(error).has('MEMBER_ID_REQUIRED')) {
          this.id = (error as { response?: { memberId?: string } }).response?.memberId ?? '';
          continue;
        }
        if (this.forgetIfGone(error)) continue;
        throw error;
      }
      this.id = joined.memberId ?? this.id;
      this.generationId = joined.generationId;
      const assignments = joined.leader === this.id ? await this.assign(joined.members) : [];
      this.checkNotClosing();
      try {
        const synced = await syncGroupV5.api.async(connection, this.deps.clusterGroup, this.generationId, this.id, null, 'consumer', joined.protocolName, assignments);
        return decodeAssignment(synced.assignment, this.deps.clusterTopic);
      } catch (error) {
        // Another member joined or left meanwhile: the generation is over before it began.
        if (this.forgetIfGone(error) || [...brokerErrorIds(error)].some((id) => REJOIN.has(id))) continue;
        throw error;
      }
    }
  }

  private checkNotClosing(): void {
    if (this.closing) throw new SightlineError('SL_LOG_CLOSED', `the member of group "${this.group}" is closing`);
  }

  /** The leader's work: every subscribed topic's partitions spread over its subscribers by range. */
  private async assign(members: joinGroupV9.JoinGroupResponseMember[]): Promise<Array<{ memberId: string; assignment: Buffer }>> {
    const subscribers = new Map<string, string[]>();
    for (const m of members) {
      for (const t of decodeSubscription(m.metadata)) subscribers.set(t, [...(subscribers.get(t) ?? []), m.memberId]);
    }
    const perMember = new Map<string, Map<string, number[]>>(members.map((m) => [m.memberId, new Map()]));
    for (const [t, ids] of subscribers) {
      for (const [memberId, partitions] of rangeAssignment(ids, await this.deps.partitionCount(t))) perMember.get(memberId)!.set(t, partitions);
    }
    return [...perMember].map(([memberId, assignment]) => ({ memberId, assignment: encodeAssignment(assignment) }));
  }

  /**
   * Heartbeats until the group rebalances or drops this member. A coordinator that does not
   * answer (broker down, coordinator moved) is looked up again; after a whole session without an
   * answer the group has certainly given the partitions away, so the member stops and rejoins.
   */
  private async heartbeatUntilRejoin(): Promise<void> {
    let lastAnswer = Date.now();
    const timeoutMs = Math.max(this.options.heartbeatIntervalMs, Math.floor(this.options.sessionTimeoutMs / 2));
    for (;;) {
      await this.pause(this.options.heartbeatIntervalMs);
      if (this.closing) return;
      try {
        await this.heartbeat(timeoutMs);
        lastAnswer = Date.now();
      } catch (error) {
        if (this.closing) return;
        if (this.forgetIfGone(error)) return;
        const ids = brokerErrorIds(error);
        if ([...ids].some((id) => REJOIN.has(id))) {
          this.deps.logger.info({ group: this.group, topic: this.topic, memberId: this.id, reason: [...ids].join(',') }, 'group is rebalancing; revoking and rejoining');
          return;
        }
        this.dropCoordinator(true);
        if (Date.now() - lastAnswer >= this.options.sessionTimeoutMs) {
          this.deps.logger.warn({ group: this.group, topic: this.topic, err: describeKafkaError(error) }, 'no heartbeat answered for a whole session; revoking and rejoining');
          return;
        }
        this.deps.logger.debug({ group: this.group, err: describeKafkaError(error) }, 'heartbeat failed; looking up the coordinator again');
      }
    }
  }

  /** The coordinator dropped this member (session expired): join afresh under a new id. */
  private forgetIfGone(error: unknown): boolean {
    if (![...brokerErrorIds(error)].some((id) => MEMBER_GONE.has(id))) return false;
    this.deps.logger.warn({ group: this.group, topic: this.topic, memberId: this.id }, 'the group no longer knows this member; joining again');
    this.id = '';
    this.generationId = -1;
    return true;
  }

  /** Commits offsets as this member (its id and generation), which Kafka accepts while the group has members. */
  async commitOffsets(offsets: PartitionOffsets): Promise<void> {
    if (offsets.size === 0) return;
    const connection = await this.coordinatorConnection();
    const partitions = [...offsets].map(([partitionIndex, offset]) => ({ partitionIndex, committedOffset: BigInt(offset), committedLeaderEpoch: -1, committedMetadata: null }));
    try {
      await withTimeout(
        offsetCommitV9.api.async(connection, this.deps.clusterGroup, this.generationId, this.id, null, [{ name: this.deps.clusterTopic, partitions }]),
        this.deps.requestTimeoutMs,
        'offset commit',
      );
    } catch (error) {
      if (![...brokerErrorIds(error)].some((id) => REJOIN.has(id) || MEMBER_GONE.has(id))) this.dropCoordinator(true);
      throw error;
    }
  }

  private async revokeAll(): Promise<void> {
    if (this.held.length === 0) return;
    const revoked = this.held;
    this.held = [];
    await this.keepingAlive(this.tell('onRevoked', revoked));
  }

  /**
   * Heartbeats while `work` (a listener's onRevoked: commits, an aborted transaction) runs, so the
   * coordinator does not expel the member for its silence; the answers are not needed, since the
   * member rejoins or leaves next anyway.
   */
  private async keepingAlive(work: Promise<void>): Promise<void> {
    let done = false;
    const timer = setInterval(() => {
      if (done || this.id === '') return;
      // Rebalancing, or the coordinator is away: either way the rejoin that follows sorts it out.
      this.heartbeat(this.options.heartbeatIntervalMs).catch(() => undefined);
    }, this.options.heartbeatIntervalMs);
    try {
      await work;
    } finally {
      done = true;
      clearInterval(timer);
    }
  }

  private async heartbeat(timeoutMs: number): Promise<void> {
    const connection = await this.coordinatorConnection();
    await withTimeout(heartbeatV4.api.async(connection, this.deps.clusterGroup, this.generationId, this.id, null), timeoutMs, 'heartbeat');
  }

  /** A listener that throws cannot undo a rebalance: the failure is logged and the member goes on. */
  private async tell(what: 'onAssigned' | 'onRevoked', partitions: number[]): Promise<void> {
    if (partitions.length === 0) return;
    try {
      await this.listener[what]([...partitions]);
    } catch (error) {
      this.deps.logger.error({ group: this.group, topic: this.topic, partitions, err: error }, `group listener ${what} failed`);
    }
  }

  /** Tells the coordinator at once, so the others need not wait out this member's session. */
  private async leave(): Promise<void> {
    if (this.id === '') return;
    this.dropCoordinator(false);
    try {
      const connection = await this.coordinatorConnection();
      await withTimeout(leaveGroupV5.api.async(connection, this.deps.clusterGroup, [{ memberId: this.id, groupInstanceId: null, reason: 'closed' }]), this.deps.requestTimeoutMs, 'leave group');
    } catch (error) {
      this.deps.logger.warn({ group: this.group, memberId: this.id, err: describeKafkaError(error) }, 'leaving the group failed; the coordinator removes the member when its session expires');
    }
    this.id = '';
    this.generationId = -1;
  }

  private async coordinatorConnection(): Promise<Connection> {
    if (this.connection) return this.connection;
    this.coordinator ??= await this.findCoordinator();
    const connection = this.newConnection(this.options.rebalanceTimeoutMs + this.deps.requestTimeoutMs);
    try {
      await connection.connect(this.coordinator.host, this.coordinator.port);
    } catch (error) {
      this.coordinator = undefined;
      await connection.close().catch(() => undefined);
      throw error;
    }
    this.connection = connection;
    return connection;
  }

  private async findCoordinator(): Promise<{ host: string; port: number }> {
    let lastError: unknown;
    for (const broker of this.deps.bootstrap) {
      const [host, port] = splitHostPort(broker);
      const connection = this.newConnection(this.deps.requestTimeoutMs);
      try {
        await connection.connect(host, port);
        const response = await findCoordinatorV6.api.async(connection, FindCoordinatorKeyTypes.GROUP, [this.deps.clusterGroup]);
        const found = response.coordinators.find((c) => c.key === this.deps.clusterGroup);
        if (found && found.nodeId >= 0) return { host: found.host, port: found.port };
      } catch (error) {
        lastError = error;
      } finally {
        await connection.close().catch(() => undefined);
      }
    }
    throw lastError ?? new Error(`no coordinator found for group ${this.deps.clusterGroup}`);
  }

  private newConnection(requestTimeout: number): Connection {
    const connection = new Connection(`${this.deps.clientId}-group`, { connectTimeout: this.deps.requestTimeoutMs, requestTimeout, ...this.deps.security });
    // Failures reach the pending requests; without a listener an 'error' event would throw.
    connection.on('error', () => undefined);
    return connection;
  }

  /** Closes the coordinator connection (failing what is in flight on it); `relookup` forgets the coordinator too. */
  private dropCoordinator(relookup: boolean): void {
    const connection = this.connection;
    this.connection = undefined;
    if (relookup) this.coordinator = undefined;
    if (connection) void connection.close().catch(() => undefined);
  }

  /** Waits `ms`, or less if close() wakes it. */
  private pause(ms: number): Promise<void> {
    if (this.closing) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}

function splitHostPort(broker: string): [string, number] {
  const at = broker.lastIndexOf(':');
  return [broker.slice(0, at), Number(broker.slice(at + 1))];
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} got no answer within ${ms} ms`)), ms);
  });
  // The request may still fail after the timeout won; that late rejection is expected.
  promise.catch(() => undefined);
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
