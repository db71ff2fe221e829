import { pino } from 'pino';
import { KafkaLog } from '../../src/log/kafka/kafka-log.js';
import { SchemaRegistry } from '../../src/registry/schema-registry.js';
import { LogSchemaStore } from '../../src/registry/store/log-schema-store.js';

export interface RegistryNode {
  registry: SchemaRegistry;
  store: LogSchemaStore;
  log: KafkaLog;
  close(): Promise<void>;
}

/** One node's registry: a KafkaLog (clients of its own) and the registry over `_schemas` under `prefix`. */
export async function openRegistryNode(brokers: string[], prefix: string, name: string): Promise<RegistryNode> {
  const log = await KafkaLog.open({
    bootstrap: brokers,
    clientId: `${prefix}${name}`,
    topicPrefix: prefix,
    topicDefaults: { replicationFactor: 1 },
    logger: pino({ level: process.env.SIGHTLINE_TEST_LOG_LEVEL ?? 'silent' }),
  });
  const store = await LogSchemaStore.openShared(log);
  const registry = await SchemaRegistry.open(store);
  return {
    registry,
    store,
    log,
    async close() {
      await registry.close();
      await log.close();
    },
  };
}

/**
 * The i-th of a family of Avro schemas that are all compatible with each other under BACKWARD
 * (each adds one optional field with a default), so any order of registration is accepted.
 */
export function compatibleSchema(i: number): { schema: string } {
  return {
    schema: JSON.stringify({
      type: 'record',
      name: 'PageView',
      fields: [
        { name: 'page', type: 'string' },
        { name: `extra_${i}`, type: ['null', 'string'], default: null },
      ],
    }),
  };
}

/** Everything a registry holds, as its API shows it, for comparing nodes. */
export function registrySnapshot(registry: SchemaRegistry): unknown {
  const subjects = registry.listSubjects({ deleted: true });
  return {
    global: registry.getLevel(null),
    subjects: subjects.map((subject) => ({
      subject,
      level: registry.getLevel(subject, { defaultToGlobal: true }),
      versions: registry.listVersions(subject, { deleted: true }).map((v) => registry.getVersion(subject, v, { deleted: true })),
    })),
  };
}
