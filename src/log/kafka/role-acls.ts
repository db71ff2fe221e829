import { DLQ_TOPIC } from '../../core/dead-letter.js';
import { DLQ_INDEX_GROUP, EVENTS_TOPIC, pipelineTopics, processorGroup, sinkGroup, STATE_READER_GROUP, transactionalId } from '../../core/pipeline-topics.js';
import { tableTransactionalId } from './fenced-table-writer.js';

export const KAFKA_ROLES = ['ingest', 'process', 'serve'] as const;
export type KafkaRole = (typeof KAFKA_ROLES)[number];

export type AclResource = 'topic' | 'group' | 'transactional-id';
export type AclOperation = 'read' | 'write' | 'describe' | 'describe-configs';

/** One ALLOW binding a role's principal needs, with the reason an operator reads. */
export interface RoleAcl {
  resource: AclResource;
  name: string;
  pattern: 'literal' | 'prefixed';
  operations: AclOperation[];
  why: string;
}

/** The tables every node follows and writes: its API answers registry, key and audit requests. */
const TABLES = [
  { topic: '_schemas', label: 'registry' },
  { topic: '_keys', label: 'keys' },
  { topic: '_audit', label: 'audit' },
  { topic: '_erasures', label: 'erasures' },
] as const;

/**
 * The ACLs one role needs on a deployment's cluster, and nothing more: ingest appends events and
 * dead letters; processing reads events in its group and writes its rows, state and dead letters
 * under its transactional ids; serving reads rows and dead letters. No role may create, delete or
 * alter topics: `sightline kafka setup` does that once, as an administrator.
 */
export function roleAcls(role: KafkaRole, deployment: { topicPrefix: string; pipeline: string }): RoleAcl[] {
  const p = deployment.topicPrefix;
  const { rows, state } = pipelineTopics(deployment.pipeline);
  const group = processorGroup(deployment.pipeline);
  const acls: RoleAcl[] = [
    ...TABLES.flatMap(({ topic, label }): RoleAcl[] => [
      { resource: 'topic', name: p + topic, pattern: 'literal', operations: ['read', 'write', 'describe', 'describe-configs'], why: `the ${label} table every node follows and its API writes` },
      { resource: 'transactional-id', name: p + tableTransactionalId(label), pattern: 'literal', operations: ['write', 'describe'], why: `the ${label} table's writer, fenced across nodes` },
    ]),
    // Every node opens the log with the pipeline's topics and checks that they exist.
    { resource: 'topic', name: p + EVENTS_TOPIC, pattern: 'literal', operations: ['describe'], why: 'checked at start; end offsets, for the processing backlog in /v1/status' },
    { resource: 'topic', name: p + rows, pattern: 'literal', operations: ['describe'], why: 'checked at start' },
    { resource: 'topic', name: p + state, pattern: 'literal', operations: ['describe', 'describe-configs'], why: 'checked at start, and that it is compacted' },
    { resource: 'group', name: p + group, pattern: 'literal', operations: ['describe'], why: "the processors' committed offsets, for the backlog" },
  ];
  switch (role) {
    case 'ingest':
      acls.push(
        { resource: 'topic', name: p + EVENTS_TOPIC, pattern: 'literal', operations: ['write'], why: 'appends accepted events' },
        { resource: 'topic', name: p + DLQ_TOPIC, pattern: 'literal', operations: ['write', 'describe'], why: 'appends events refused at ingest' },
      );
      break;
    case 'process':
      acls.push(
        { resource: 'topic', name: p + EVENTS_TOPIC, pattern: 'literal', operations: ['read'], why: 'reads the events it processes' },
        { resource: 'group', name: p + group, pattern: 'literal', operations: ['read'], why: 'shares the events partitions and commits their offsets in its transactions' },
        { resource: 'topic', name: p + rows, pattern: 'literal', operations: ['write'], why: 'writes the rows of each batch' },
        { resource: 'topic', name: p + state, pattern: 'literal', operations: ['read', 'write'], why: "writes and restores each partition's state" },
        { resource: 'group', name: p + STATE_READER_GROUP, pattern: 'literal', operations: ['describe'], why: 'restoring state reads from offsets it picks; the group is never joined' },
        { resource: 'topic', name: p + DLQ_TOPIC, pattern: 'literal', operations: ['write', 'describe'], why: 'appends events refused in processing' },
        {
          resource: 'transactional-id',
          name: p + transactionalId(deployment.pipeline, 0).replace(/0$/, ''),
          pattern: 'prefixed',
          operations: ['write', 'describe'],
          why: "one per events partition: a new owner fences the old one's transactions",
        },
      );
      break;
    case 'serve':
      acls.push(
        { resource: 'topic', name: p + rows, pattern: 'literal', operations: ['read'], why: 'loads committed rows into its hot store' },
        { resource: 'group', name: p + sinkGroup(deployment.pipeline), pattern: 'literal', operations: ['read'], why: "the rows loader's offsets" },
        { resource: 'topic', name: p + DLQ_TOPIC, pattern: 'literal', operations: ['read', 'describe'], why: 'indexes dead letters for listing' },
        { resource: 'group', name: p + DLQ_INDEX_GROUP, pattern: 'literal', operations: ['read'], why: "the dead-letter index's offsets" },
        { resource: 'topic', name: `${p}_pipes`, pattern: 'literal', operations: ['read', 'write', 'describe', 'describe-configs'], why: 'the pipes table every serve node follows and its API writes' },
        { resource: 'transactional-id', name: p + tableTransactionalId('pipes'), pattern: 'literal', operations: ['write', 'describe'], why: "the pipes table's writer, fenced across nodes" },
      );
      break;
  }
  return acls;
}

/** The same ACLs as `kafka-acls.sh` commands, for an operator who applies them by hand. */
export function aclCommands(principal: string, acls: readonly RoleAcl[]): string[] {
  const flag: Record<AclResource, string> = { topic: '--topic', group: '--group', 'transactional-id': '--transactional-id' };
  return acls.map((acl) =>
    [
      'kafka-acls.sh --bootstrap-server $BOOTSTRAP --command-config admin.properties --add',
      `--allow-principal ${principal}`,
      ...acl.operations.map((op) => `--operation ${op === 'describe-configs' ? 'DescribeConfigs' : op[0]!.toUpperCase() + op.slice(1)}`),
      `${flag[acl.resource]} '${acl.name}'`,
      ...(acl.pattern === 'prefixed' ? ['--resource-pattern-type prefixed'] : []),
    ].join(' '),
  );
}
