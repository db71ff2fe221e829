import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SchemaRegistry as ConfluentClient, SchemaType } from '@kafkajs/confluent-schema-registry';
import { pino } from 'pino';
import { buildConfig } from '../../../src/config/config.js';
import { type RunningPlatform, startPlatform } from '../../../src/platform/start-platform.js';
import { getJson } from '../../helpers/events.js';
import { tempDir } from '../../helpers/tmp.js';

const USER_V1 = { type: 'record', name: 'User', namespace: 'com.example', fields: [{ name: 'name', type: 'string' }] };
const USER_V2 = { ...USER_V1, fields: [...USER_V1.fields, { name: 'plan', type: 'string', default: 'free' }] };
const USER_BREAKING = { ...USER_V1, fields: [...USER_V1.fields, { name: 'age', type: 'int' }] };
const ORDER = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Order',
  type: 'object',
  properties: { id: { type: 'integer' }, total: { type: 'number' } },
  required: ['id'],
  additionalProperties: false,
};

/**
 * The test of record for the Confluent-compatible API: the npm client `@kafkajs/confluent-schema-registry`,
 * unmodified and configured as its users configure it (host = the registry URL), against Sightline.
 */
describe('Confluent Schema Registry API with @kafkajs/confluent-schema-registry', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let platform: RunningPlatform;
  let client: ConfluentClient;

  before(async () => {
    tmp = await tempDir();
    platform = await startPlatform(buildConfig({ dataDir: join(tmp.dir, 'data'), server: { port: 0 } }), pino({ level: 'silent' }));
    client = new ConfluentClient({ host: platform.url });
  });
  after(async () => {
    await platform.stop();
    await tmp.cleanup();
  });

  it('registers an Avro schema, encodes and decodes in the Confluent wire format', async () => {
    const { id } = await client.register({ type: SchemaType.AVRO, schema: JSON.stringify(USER_V1) }, { subject: 'users-value' });
    assert.equal(id, 1);
    const encoded = await client.encode(id, { name: 'Ada' });
    assert.equal(encoded[0], 0, 'magic byte');
    assert.equal(encoded.readInt32BE(1), id, 'schema id after the magic byte');
    assert.deepEqual({ ...(await client.decode(encoded)) }, { name: 'Ada' });
    assert.equal(await client.getLatestSchemaId('users-value'), id);
    // The client set the subject's level after its first registration, as it does against Confluent.
    const config = await getJson(`${platform.url}/config/users-value`);
    assert.deepEqual(config.body, { compatibilityLevel: 'BACKWARD' });
  });

  it('registers a compatible evolution as a new version and decodes old data with the new schema', async () => {
    const v1 = await client.getLatestSchemaId('users-value');
    const old = await client.encode(v1, { name: 'Grace' });
    const { id } = await client.register({ type: SchemaType.AVRO, schema: JSON.stringify(USER_V2) }, { subject: 'users-value' });
    assert.equal(id, 2);
    assert.equal(await client.getRegistryId('users-value', 2), 2);
    assert.equal(await client.getRegistryIdBySchema('users-value', { type: SchemaType.AVRO, schema: JSON.stringify(USER_V1) }), v1);
    assert.deepEqual({ ...(await client.decode(old)) }, { name: 'Grace' });
  });

  it('gets a compatibility error for a breaking change, and the subject is unchanged', async () => {
    await assert.rejects(
      client.register({ type: SchemaType.AVRO, schema: JSON.stringify(USER_BREAKING) }, { subject: 'users-value' }),
      (err: Error & { status?: number }) => {
        assert.equal(err.status, 409);
        assert.match(err.message, /Schema being registered is incompatible with an earlier schema for subject "users-value"/);
        assert.match(err.message, /READER_FIELD_MISSING_DEFAULT_VALUE/);
        assert.match(err.message, /The field 'age' at path '\/fields\/1' in the new schema has no default value/);
        return true;
      },
    );
    const versions = await getJson(`${platform.url}/subjects/users-value/versions`);
    assert.deepEqual(versions.body, [1, 2]);
  });

  it('registers a JSON schema, validates on encode, and decodes', async () => {
    const { id } = await client.register({ type: SchemaType.JSON, schema: JSON.stringify(ORDER) }, { subject: 'orders-value' });
    const encoded = await client.encode(id, { id: 7, total: 12.5 });
    assert.deepEqual(await client.decode(encoded), { id: 7, total: 12.5 });
    await assert.rejects(client.encode(id, { id: 'seven' }), /invalid payload/);
    const byId = await getJson(`${platform.url}/schemas/ids/${id}`);
    assert.equal(byId.body.schemaType, 'JSON');
  });

  it('gets a compatibility error for a breaking JSON Schema change', async () => {
    const narrowed = { ...ORDER, properties: { ...ORDER.properties, id: { type: 'string' } } };
    await assert.rejects(client.register({ type: SchemaType.JSON, schema: JSON.stringify(narrowed) }, { subject: 'orders-value' }), (err: Error & { status?: number }) => {
      assert.equal(err.status, 409);
      assert.match(err.message, /TYPE_CHANGED/);
      assert.match(err.message, /#\/properties\/id/);
      return true;
    });
  });
});
