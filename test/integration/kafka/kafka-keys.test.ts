import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { type Authentication, KeyStore } from '../../../src/auth/key-store.js';
import { openKeyTable } from '../../../src/auth/key-table.js';
import { KafkaLog } from '../../../src/log/kafka/kafka-log.js';
import { kafkaSkipReason, useKafka } from '../../helpers/kafka.js';

const skip = kafkaSkipReason();
const outcome = (a: Authentication) => ('principal' in a ? a.principal.keyId : a.failure);

/** API keys in a distributed deployment: the `_keys` table on Kafka, followed by every node. */
describe('API keys on Kafka, shared by every node', { skip, timeout: 300_000 }, () => {
  const cluster = useKafka({ brokers: 1 });
  const logs: KafkaLog[] = [];
  const stores: KeyStore[] = [];
  const node = async () => {
    const log = await KafkaLog.open({
      bootstrap: cluster().brokers,
      clientId: `keys-node-${logs.length}`,
      topicPrefix: 'keys-test.',
      topicDefaults: { replicationFactor: 1 },
      logger: pino({ level: process.env.SIGHTLINE_TEST_LOG_LEVEL ?? 'silent' }),
    });
    logs.push(log);
    const store = await KeyStore.open(await openKeyTable(log, true));
    stores.push(store);
    return store;
  };
  after(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await Promise.all(logs.map((l) => l.close()));
  });

  /** Polls until `check` holds, as another node follows the table within about a second. */
  const within = async (ms: number, what: string, check: () => boolean) => {
    const deadline = Date.now() + ms;
    while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(check(), what);
  };

  it('makes one admin key however many nodes start at once, and a key made or revoked on one node holds on the others', async () => {
    const [a, b, c] = await Promise.all([node(), node(), node()]);
    const made = (await Promise.all([a!, b!, c!].map((n) => n.bootstrapAdmin()))).filter((t) => t !== undefined);
    assert.equal(made.length, 1, 'one admin key for the deployment');
    await within(5000, 'every node knows the admin key', () => [a!, b!, c!].every((n) => n.list().length === 1));

    const { key, token } = await a!.create({ name: 'web producer', grants: [{ scope: 'ingest:write', resources: ['web.*'] }], expiresAt: null }, 'test');
    await within(5000, 'b accepts a key made on a', () => outcome(b!.authenticate(token)) === key.id);
    await c!.revoke(key.id);
    await within(5000, 'a refuses a key revoked on c', () => outcome(a!.authenticate(token)) === 'SL_AUTH_REVOKED');
    await within(5000, 'b refuses it too', () => outcome(b!.authenticate(token)) === 'SL_AUTH_REVOKED');

    // A node started later replays the table: the same keys, nothing made again.
    const late = await node();
    assert.equal(await late.bootstrapAdmin(), undefined);
    assert.deepEqual(late.list().map((k) => [k.id, k.state]), a!.list().map((k) => [k.id, k.state]));
  });
});
