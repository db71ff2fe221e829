import { type Acl, AclOperations, AclPermissionTypes, Admin, ConfigResourceTypes, ResourcePatternTypes, ResourceTypes } from '@platformatic/kafka';
import type { AclOperation, AclResource, RoleAcl } from './role-acls.js';
import { brokerErrorIds } from './errors.js';
import type { KafkaSecurity } from './security.js';

export interface TopicCreation {
  partitions: number;
  replicationFactor: number;
  configs: Record<string, string>;
}

export interface ListedOffsets {
  start: Map<number, number>;
  end: Map<number, number>;
}

const LATEST = -1n;
const EARLIEST = -2n;

/** The cluster-side operations on topics and group offsets, through one admin client. */
export class TopicAdmin {
  private readonly admin: Admin;

  constructor(options: { bootstrap: string[]; security: KafkaSecurity; clientId: string; timeoutMs: number }) {
    this.admin = new Admin({
      clientId: `${options.clientId}-admin`,
      bootstrapBrokers: options.bootstrap,
      ...options.security,
      timeout: options.timeoutMs,
      retries: 5,
      retryDelay: 250,
    });
  }

  /** Adds ALLOW bindings for one principal; a binding that exists already is left as it is. */
  async allow(principal: string, acls: readonly RoleAcl[]): Promise<number> {
    const resource: Record<AclResource, Acl['resourceType']> = { topic: ResourceTypes.TOPIC, group: ResourceTypes.GROUP, 'transactional-id': ResourceTypes.TRANSACTIONAL_ID };
    const operation: Record<AclOperation, Acl['operation']> = {
      read: AclOperations.READ,
      write: AclOperations.WRITE,
      describe: AclOperations.DESCRIBE,
      'describe-configs': AclOperations.DESCRIBE_CONFIGS,
    };
    const creations: Acl[] = acls.flatMap((acl) =>
      acl.operations.map((op) => ({
        resourceType: resource[acl.resource],
        resourceName: acl.name,
        resourcePatternType: acl.pattern === 'prefixed' ? ResourcePatternTypes.PREFIXED : ResourcePatternTypes.LITERAL,
        principal,
        host: '*',
        operation: operation[op],
        permissionType: AclPermissionTypes.ALLOW,
      })),
    );
    await this.admin.createAcls({ creations });
    return creations.length;
  }

  /** Every topic whose cluster name starts with `prefix`, with its partition count. */
  async discover(prefix: string): Promise<Map<string, number>> {
    const names = (await this.admin.listTopics()).filter((name) => name.startsWith(prefix) && !name.startsWith('__'));
    if (names.length === 0) return new Map();
    const metadata = await this.admin.metadata({ topics: names, forceUpdate: true });
    const out = new Map<string, number>();
    for (const [name, topic] of metadata.topics) out.set(name, topic.partitionsCount);
    return out;
  }

  /** The topic's partition count, or undefined when the cluster does not have it. */
  async partitionCount(name: string): Promise<number | undefined> {
    // Metadata for a missing topic fails with a client error, not a broker code; listing is unambiguous.
    if (!(await this.admin.listTopics()).includes(name)) return undefined;
    const metadata = await this.admin.metadata({ topics: [name], forceUpdate: true });
    return metadata.topics.get(name)?.partitionsCount;
  }

  /**
   * Creates the topic; another process creating it first is not an error. Resolves once every
   * partition has a leader, so the first append does not race the controller.
   */
  async create(name: string, spec: TopicCreation): Promise<number> {
    try {
      await this.admin.createTopics({
        topics: [name],
        partitions: spec.partitions,
        replicas: spec.replicationFactor,
        configs: Object.entries(spec.configs).map(([key, value]) => ({ name: key, value })),
      });
    } catch (error) {
      if (!brokerErrorIds(error).has('TOPIC_ALREADY_EXISTS')) throw error;
    }
    const deadline = Date.now() + 30_000;
    for (;;) {
      const metadata = await this.admin.metadata({ topics: [name], forceUpdate: true }).catch(() => undefined);
      const topic = metadata?.topics.get(name);
      if (topic && topic.partitions.length === topic.partitionsCount && topic.partitions.every((p) => p.leader >= 0)) return topic.partitionsCount;
      if (Date.now() > deadline) throw new Error(`topic ${name} has no leader for every partition after 30 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The topic's effective configs (cleanup.policy, retention.ms, …). */
  async configs(name: string): Promise<Map<string, string>> {
    const [described] = await this.admin.describeConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: name }] });
    return new Map((described?.configs ?? []).flatMap((c) => (c.value == null ? [] : [[c.name, c.value] as [string, string]])));
  }

  async listOffsets(name: string, partitions: number): Promise<ListedOffsets> {
    const request = (timestamp: bigint) => ({
      topics: [{ name, partitions: Array.from({ length: partitions }, (_, partitionIndex) => ({ partitionIndex, timestamp })) }],
    });
    const [latest, earliest] = await Promise.all([this.admin.listOffsets(request(LATEST)), this.admin.listOffsets(request(EARLIEST))]).catch((error: unknown) => {
      // A leader that moved or died stays in the cached metadata until it expires; drop it now.
      this.admin.clearMetadata();
      throw error;
    });
    const toMap = (topics: typeof latest): Map<number, number> =>
      new Map((topics.find((t) => t.name === name)?.partitions ?? []).map((p) => [p.partitionIndex, Number(p.offset)]));
    return { start: toMap(earliest), end: toMap(latest) };
  }

  /** The group's committed offsets; partitions without a commit are absent. */
  async committed(group: string, name: string, partitions: number): Promise<Map<number, number>> {
    const [result] = await this.admin.listConsumerGroupOffsets({
      groups: [{ groupId: group, topics: [{ name, partitionIndexes: Array.from({ length: partitions }, (_, p) => p) }] }],
      requireStable: true,
    });
    const out = new Map<number, number>();
    for (const topic of result?.topics ?? []) {
      if (topic.name !== name) continue;
      for (const p of topic.partitions) if (p.committedOffset >= 0n) out.set(p.partitionIndex, Number(p.committedOffset));
    }
    return out;
  }

  /**
   * Commits as a client outside the group's membership (generation -1), which the coordinator
   * accepts while the group has no active members: right for manually assigned consumers. Group
   * members committing through their generation are a later step (rebalancing processors).
   */
  async commit(group: string, name: string, offsets: Map<number, number>): Promise<void> {
    if (offsets.size === 0) return;
    await this.admin.alterConsumerGroupOffsets({
      groupId: group,
      topics: [{ name, partitionOffsets: [...offsets].map(([partition, offset]) => ({ partition, offset: BigInt(offset) })) }],
    });
  }

  async close(): Promise<void> {
    await this.admin.close();
  }
}
