import { loadConfigFile } from '../config/config.js';
import { createLogger } from '../observe/logging.js';
import { KAFKA_ROLES, type KafkaRole, roleAclReport, setUpKafka } from '../platform/kafka-setup.js';
import { parseLogUrl } from './up.js';

interface ClusterOptions {
  config?: string;
  log?: string;
}

type Principals = Partial<Record<KafkaRole, string>>;

const print = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

async function clusterConfig(options: ClusterOptions) {
  const brokers = options.log === undefined ? undefined : parseLogUrl(options.log);
  return loadConfigFile(options.config, brokers ? { log: { kafka: { bootstrap: brokers } } } : {});
}

const principalsOf = (options: Principals): Principals => Object.fromEntries(KAFKA_ROLES.flatMap((role) => (options[role] ? [[role, options[role]]] : [])));

/** `sightline kafka acls`: what each role's principal needs, as kafka-acls.sh commands; no cluster is reached. */
export async function printAcls(options: ClusterOptions & Principals & { topicPrefix?: string }): Promise<void> {
  const prefix = options.topicPrefix ?? (options.config || options.log ? ((await clusterConfig(options)).log.kafka?.topicPrefix ?? '') : '');
  for (const line of roleAclReport(principalsOf(options), prefix)) print(line);
}

/** `sightline kafka setup`: as an administrator, the deployment's topics and each role's ACLs. */
export async function setUp(options: ClusterOptions & Principals): Promise<void> {
  const config = await clusterConfig(options);
  const report = await setUpKafka(config, principalsOf(options), createLogger(config.logLevel));
  print(`topics: ${report.topics.join(', ')}`);
  for (const grant of report.grants) print(`${grant.role}: ${grant.principal} allowed ${grant.bindings} operations`);
  if (report.grants.length === 0) print('no principals given (--ingest, --process, --serve): no ACLs were added');
}
