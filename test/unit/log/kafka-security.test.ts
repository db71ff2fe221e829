import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildConfig } from '../../../src/config/config.js';
import { loadKafkaSecurity } from '../../../src/log/kafka/security.js';
import { aclCommands, KAFKA_ROLES, roleAcls } from '../../../src/log/kafka/role-acls.js';
import { tempDir } from '../../helpers/tmp.js';

describe('Kafka TLS and SASL settings', () => {
  it('reads the CA and the password file named in the config, relative to the config file', async () => {
    const tmp = await tempDir();
    try {
      await writeFile(join(tmp.dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n');
      await writeFile(join(tmp.dir, 'ingest.password'), 's3cret\n');
      const config = buildConfig(
        { log: { kafka: { bootstrap: ['b:9093'], tls: { caFile: 'ca.pem' }, sasl: { username: 'ingest', passwordFile: 'ingest.password' } } } },
        tmp.dir,
      );
      const security = await loadKafkaSecurity(config.log.kafka!.security, {});
      assert.match(String(security.tls?.ca), /BEGIN CERTIFICATE/);
      assert.equal(security.tls?.rejectUnauthorized, true, 'brokers are always verified');
      assert.deepEqual(security.sasl, { mechanism: 'SCRAM-SHA-512', username: 'ingest', password: 's3cret' });
    } finally {
      await tmp.cleanup();
    }
  });

  it('takes the password from SIGHTLINE_KAFKA_PASSWORD when the file names none', async () => {
    const security = await loadKafkaSecurity({ sasl: { mechanism: 'SCRAM-SHA-256', username: 'serve' } }, { SIGHTLINE_KAFKA_PASSWORD: 'from-env' });
    assert.equal(security.sasl?.password, 'from-env');
    assert.equal(security.tls, undefined);
  });

  it('refuses settings that cannot work or would leak the password, with a code', async () => {
    const refused = (options: Parameters<typeof loadKafkaSecurity>[0], pattern: RegExp) =>
      assert.rejects(loadKafkaSecurity(options, {}), (err: Error & { code?: string }) => err.code === 'SL_CONFIG_INVALID' && pattern.test(err.message));
    await refused({ sasl: { mechanism: 'SCRAM-SHA-512', username: 'u' } }, /no password for "u"/);
    await refused({ sasl: { mechanism: 'PLAIN', username: 'u', password: 'p' } }, /PLAIN .* needs log\.kafka\.tls/);
    await refused({ tls: { certPath: '/nowhere/cert.pem' } }, /needs both cert and key/);
    await refused({ tls: { caPath: '/nowhere/ca.pem' } }, /cannot read \/nowhere\/ca\.pem/);
    assert.throws(() => buildConfig({ log: { kafka: { bootstrap: ['b:1'], sasl: { mechanism: 'GSSAPI', username: 'u' } } } }), /SL_CONFIG_INVALID|mechanism/);
  });
});

describe('the ACLs of each role', () => {
  const deployment = { topicPrefix: 'prod.', pipeline: 'main' };
  const grants = (role: (typeof KAFKA_ROLES)[number]) =>
    new Set(roleAcls(role, deployment).flatMap((acl) => acl.operations.map((op) => `${acl.resource}:${acl.name}${acl.pattern === 'prefixed' ? '*' : ''}:${op}`)));

  it('lets only ingest append events, only processing read them and write rows and state, only serving read rows', () => {
    const ingest = grants('ingest');
    const process = grants('process');
    const serve = grants('serve');
    assert.ok(ingest.has('topic:prod.events:write') && !process.has('topic:prod.events:write') && !serve.has('topic:prod.events:write'));
    assert.ok(process.has('topic:prod.events:read') && !ingest.has('topic:prod.events:read') && !serve.has('topic:prod.events:read'));
    assert.ok(process.has('group:prod.sightline-main:read') && !ingest.has('group:prod.sightline-main:read'));
    assert.ok(process.has('topic:prod.sightline-main-rows:write') && !serve.has('topic:prod.sightline-main-rows:write'));
    assert.ok(serve.has('topic:prod.sightline-main-rows:read') && !ingest.has('topic:prod.sightline-main-rows:read'));
    assert.ok(process.has('transactional-id:prod.sightline-main-p*:write') && !serve.has('transactional-id:prod.sightline-main-p*:write'));
    assert.ok(serve.has('topic:prod.dlq:read') && !ingest.has('topic:prod.dlq:read'));
  });

  it('never grants creating, deleting or altering anything, nor anything outside the prefix', () => {
    for (const role of KAFKA_ROLES) {
      for (const acl of roleAcls(role, deployment)) {
        assert.ok(acl.name.startsWith('prod.'), `${role}: ${acl.name}`);
        assert.ok(acl.operations.every((op) => ['read', 'write', 'describe', 'describe-configs'].includes(op)), `${role}: ${acl.operations.join()}`);
      }
    }
  });

  it('prints them as kafka-acls.sh commands', () => {
    const [first] = aclCommands('User:ingest', roleAcls('process', deployment).filter((a) => a.pattern === 'prefixed'));
    assert.match(first!, /--allow-principal User:ingest --operation Write --operation Describe --transactional-id 'prod\.sightline-main-p' --resource-pattern-type prefixed$/);
  });
});
