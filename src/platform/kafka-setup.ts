import type { Logger } from 'pino';
import { AUDIT_TOPIC, auditCodec } from '../audit/audit-log.js';
import { ERASURES_TOPIC, erasuresCodec } from '../erasure/erasure-table.js';
import { KEYS_TOPIC, keysCodec } from '../auth/key-table.js';
import { PIPES_TOPIC, pipesCodec } from '../pipes/pipe-table.js';
import type { SightlineConfig } from '../config/config.js';
import { SightlineError } from '../core/errors.js';
import { MAIN_PIPELINE } from '../core/pipeline-topics.js';
import { DeadLetterQueue } from '../dlq/dead-letter-queue.js';
import { aclCommands, KAFKA_ROLES, type KafkaRole, roleAcls } from '../log/kafka/role-acls.js';

export { KAFKA_ROLES, type KafkaRole };
import { registryCodec, SCHEMAS_TOPIC } from '../registry/store/log-schema-store.js';
import { ensureTableTopic } from '../table/log-table.js';
import { openKafkaLog } from './adapters.js';

/** Kafka's principal form for SCRAM and certificate users. */
export const PRINCIPAL = /^User:[A-Za-z0-9._@=,-]{1,256}$/;

export interface KafkaSetupReport {
  /** Every topic of the deployment, made now or found. */
  topics: string[];
  grants: Array<{ role: KafkaRole; principal: string; bindings: number }>;
}

/**
 * An administrator's one-time step before nodes run with their own principals: makes every topic of
 * the deployment (nodes may not create topics) and grants each role's principal its ACLs. Running
 * it again changes nothing that is already there.
 */
export async function setUpKafka(config: SightlineConfig, principals: Partial<Record<KafkaRole, string>>, logger: Logger): Promise<KafkaSetupReport> {
  const kafka = config.log.kafka;
  if (!kafka) throw new SightlineError('SL_CLI_USAGE', 'kafka setup needs the cluster: --log kafka://host:port,... or log.kafka in the config file');
  for (const [role, principal] of Object.entries(principals)) {
    if (!PRINCIPAL.test(principal)) throw new SightlineError('SL_CLI_USAGE', `--${role} must be a principal such as User:sightline-${role}, not "${principal}"`);
  }
  const log = await openKafkaLog(config, kafka, `sightline-setup-${process.pid}`, logger);
  try {
    await DeadLetterQueue.open(log);
    await ensureTableTopic(log, SCHEMAS_TOPIC, registryCodec);
    await ensureTableTopic(log, KEYS_TOPIC, keysCodec);
    await ensureTableTopic(log, AUDIT_TOPIC, auditCodec);
    await ensureTableTopic(log, ERASURES_TOPIC, erasuresCodec);
    await ensureTableTopic(log, PIPES_TOPIC, pipesCodec);
    const grants: KafkaSetupReport['grants'] = [];
    for (const [role, principal] of Object.entries(principals) as Array<[KafkaRole, string]>) {
      const bindings = await log.allow(principal, roleAcls(role, { topicPrefix: kafka.topicPrefix, pipeline: MAIN_PIPELINE }));
      grants.push({ role, principal, bindings });
    }
    return { topics: log.stats().topics.map((t) => kafka.topicPrefix + t.topic).sort(), grants };
  } finally {
    await log.close();
  }
}

/** Each role's ACLs with the reason for each, then as `kafka-acls.sh` commands: what `sightline kafka acls` prints. */
export function roleAclReport(principals: Partial<Record<KafkaRole, string>>, topicPrefix: string): string[] {
  const roles = Object.keys(principals).length > 0 ? KAFKA_ROLES.filter((role) => principals[role]) : [...KAFKA_ROLES];
  return roles.flatMap((role) => {
    const acls = roleAcls(role, { topicPrefix, pipeline: MAIN_PIPELINE });
    return [
      `# ${role}`,
      ...acls.map((acl) => `#   ${acl.resource} ${acl.name}${acl.pattern === 'prefixed' ? '*' : ''}: ${acl.operations.join(', ')} (${acl.why})`),
      ...aclCommands(principals[role] ?? `User:sightline-${role}`, acls),
      '',
    ];
  });
}
