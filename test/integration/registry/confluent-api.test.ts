import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { buildConfig } from '../../../src/config/config.js';
import { confluentErrorCode } from '../../../src/serve/routes/registry/confluent-errors.js';
import { type RunningPlatform, startPlatform } from '../../../src/platform/start-platform.js';
import { tempDir } from '../../helpers/tmp.js';

const AVRO_V1 = JSON.stringify({ type: 'record', name: 'Click', fields: [{ name: 'x', type: 'int' }] });
const AVRO_V2 = JSON.stringify({ type: 'record', name: 'Click', fields: [{ name: 'x', type: 'long' }] });

/** The Confluent API at the HTTP level: status, error_code, body shapes and content type. */
describe('Confluent Schema Registry API over HTTP', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let platform: RunningPlatform;

  const call = async (method: string, path: string, body?: unknown, contentType = 'application/vnd.schemaregistry.v1+json') => {
    const response = await fetch(`${platform.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': contentType },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: response.status, body: json, text, type: response.headers.get('content-type') };
  };
  const expectError = async (p: Promise<{ status: number; body: any }>, status: number, errorCode: number) => {
    const r = await p;
    assert.equal(r.status, status, JSON.stringify(r.body));
    assert.equal(r.body.error_code, errorCode, JSON.stringify(r.body));
    assert.equal(typeof r.body.message, 'string');
    assert.match(r.body.code, /^SL_/);
    return r;
  };

  before(async () => {
    tmp = await tempDir();
    platform = await startPlatform(buildConfig({ dataDir: join(tmp.dir, 'data'), server: { port: 0 } }), pino({ level: 'silent' }));
  });
  after(async () => {
    await platform.stop();
    await tmp.cleanup();
  });

  it('maps a store failure to 500 with error_code 50001, and an unmapped error to its status', () => {
    assert.equal(confluentErrorCode('SL_REGISTRY_STORE_FAILED', 500), 50001);
    assert.equal(confluentErrorCode('SL_API_NOT_FOUND', 404), 404);
  });

  it('answers in application/vnd.schemaregistry.v1+json and takes JSON under each of Confluent media types', async () => {
    for (const contentType of ['application/vnd.schemaregistry.v1+json', 'application/vnd.schemaregistry+json', 'application/json', 'application/octet-stream']) {
      const r = await call('POST', '/subjects/clicks/versions', { schema: AVRO_V1 }, contentType);
      assert.deepEqual(r.body, { id: 1 }, contentType);
      assert.equal(r.type, 'application/vnd.schemaregistry.v1+json');
    }
    assert.deepEqual((await call('GET', '/schemas/types')).body, ['AVRO', 'JSON']);
    assert.deepEqual((await call('GET', '/subjects')).body, ['clicks']);
  });

  it('serves versions, schemas by id and the raw schema text; schemaType is left out for Avro', async () => {
    const v = await call('GET', '/subjects/clicks/versions/latest');
    assert.deepEqual(v.body, { subject: 'clicks', version: 1, id: 1, schema: v.body.schema });
    assert.deepEqual(JSON.parse(v.body.schema), JSON.parse(AVRO_V1));
    assert.deepEqual((await call('GET', '/subjects/clicks/versions/-1')).body.version, 1);
    assert.deepEqual((await call('GET', '/schemas/ids/1')).body, { schema: v.body.schema });
    assert.equal((await call('GET', '/subjects/clicks/versions/1/schema')).text, v.body.schema);
    assert.deepEqual((await call('GET', '/schemas/ids/1/versions')).body, [{ subject: 'clicks', version: 1 }]);
    assert.deepEqual((await call('GET', '/schemas/ids/1/subjects')).body, ['clicks']);
    assert.deepEqual((await call('POST', '/subjects/clicks', { schema: AVRO_V1 })).body.version, 1);
  });

  it('answers 404 with the Confluent codes for missing subjects, versions, schemas and levels', async () => {
    await expectError(call('GET', '/subjects/nope/versions'), 404, 40401);
    await expectError(call('GET', '/subjects/clicks/versions/9'), 404, 40402);
    await expectError(call('GET', '/schemas/ids/99'), 404, 40403);
    await expectError(call('POST', '/subjects/clicks', { schema: AVRO_V2 }), 404, 40403);
    await expectError(call('POST', '/subjects/nope', { schema: AVRO_V1 }), 404, 40401);
    const level = await expectError(call('GET', '/config/clicks'), 404, 40408);
    assert.equal(level.body.message, "Subject 'clicks' does not have subject-level compatibility configured");
    assert.deepEqual((await call('GET', '/config/clicks?defaultToGlobal=true')).body, { compatibilityLevel: 'BACKWARD' });
  });

  it('refuses malformed schemas and requests with 422 and 400, and stores nothing', async () => {
    await expectError(call('POST', '/subjects/bad/versions', { schema: '{"type":"record","name":"R","fields":[{"name":"a","type":"nope"}]}' }), 422, 42201);
    await expectError(call('POST', '/subjects/bad/versions', { schema: '{"type":"object","properties":{"a":{"type":7}}}', schemaType: 'JSON' }), 422, 42201);
    await expectError(call('POST', '/subjects/bad/versions', { schema: AVRO_V1, schemaType: 'XML' }), 422, 42201);
    await expectError(call('POST', '/subjects/bad/versions', {}), 422, 42201);
    await expectError(call('POST', '/subjects/bad/versions', '{"schema": '), 400, 400);
    await expectError(call('POST', '/subjects/bad/versions', '[1,2]'), 400, 400);
    await expectError(call('POST', '/subjects/bad/versions', '{"schema": ', 'application/json'), 400, 400);
    await expectError(call('PUT', '/config', '{', 'application/json'), 400, 400);
    const ours = await call('PUT', '/v1/contracts/clicks/versions/1/deprecation', '{', 'application/json');
    assert.deepEqual([ours.status, ours.body.code], [400, 'SL_API_BAD_REQUEST']);
    await expectError(call('GET', '/subjects/clicks/versions/0'), 422, 42202);
    await expectError(call('GET', '/subjects/clicks/versions/one'), 422, 42202);
    await expectError(call('PUT', '/config', { compatibility: 'SIDEWAYS' }), 422, 42203);
    await expectError(call('PUT', '/config/clicks', {}), 422, 42203);
    assert.deepEqual((await call('GET', '/subjects?deleted=true')).body, ['clicks'], 'nothing was stored for "bad"');
    assert.deepEqual((await call('GET', '/config')).body, { compatibilityLevel: 'BACKWARD' });
  });

  it('tests compatibility without registering, verbose with the reasons', async () => {
    assert.deepEqual((await call('POST', '/compatibility/subjects/clicks/versions/latest', { schema: AVRO_V2 })).body, { is_compatible: true });
    await call('PUT', '/config/clicks', { compatibility: 'FORWARD' });
    const r = await call('POST', '/compatibility/subjects/clicks/versions/latest?verbose=true', { schema: AVRO_V2 });
    assert.equal(r.body.is_compatible, false);
    assert.ok(r.body.messages.some((m: string) => /TYPE_MISMATCH/.test(m) && /reader type: INT not compatible with writer type: LONG/.test(m)), r.body.messages.join('\n'));
    assert.deepEqual((await call('POST', '/compatibility/subjects/empty/versions/latest', { schema: AVRO_V2 })).body, { is_compatible: true });
    await expectError(call('POST', '/compatibility/subjects/clicks/versions/7', { schema: AVRO_V2 }), 404, 40402);
    const unparseable = await call('POST', '/compatibility/subjects/clicks/versions/latest?verbose=true', { schema: '{' });
    assert.equal(unparseable.body.is_compatible, false);
    await expectError(call('POST', '/subjects/clicks/versions', { schema: AVRO_V2 }), 409, 409);
    assert.deepEqual((await call('PUT', '/config/clicks', { compatibility: 'backward' })).body, { compatibility: 'BACKWARD' });
    assert.deepEqual((await call('POST', '/subjects/clicks/versions', { schema: AVRO_V2 })).body, { id: 2 });
    assert.deepEqual((await call('DELETE', '/config/clicks')).body, { compatibilityLevel: 'BACKWARD' });
    await expectError(call('DELETE', '/config/clicks'), 404, 40401);
  });

  it('soft deletes and permanently deletes with the Confluent codes and order rules', async () => {
    await expectError(call('DELETE', '/subjects/clicks/versions/1?permanent=true'), 404, 40407);
    assert.equal((await call('DELETE', '/subjects/clicks/versions/1')).body, 1);
    await expectError(call('DELETE', '/subjects/clicks/versions/1'), 404, 40406);
    assert.deepEqual((await call('GET', '/subjects/clicks/versions?deleted=true')).body, [1, 2]);
    await expectError(call('DELETE', '/subjects/clicks?permanent=true'), 404, 40405);
    assert.deepEqual((await call('DELETE', '/subjects/clicks')).body, [2]);
    await expectError(call('DELETE', '/subjects/clicks'), 404, 40404);
    await expectError(call('GET', '/subjects/clicks/versions'), 404, 40401);
    assert.equal((await call('GET', '/schemas/ids/1')).status, 200, 'ids of soft-deleted versions still resolve');
    assert.deepEqual((await call('DELETE', '/subjects/clicks?permanent=true')).body, [1, 2]);
    await expectError(call('GET', '/schemas/ids/1'), 404, 40403);
    assert.deepEqual((await call('GET', '/subjects?deleted=true')).body, []);
  });

  it('reads a subject of any length in a path, and names as the OpenAPI document does', async () => {
    // The router refused a path parameter over 100 characters with its own 400, not Confluent's body.
    await expectError(call('GET', `/subjects/${'s'.repeat(300)}/versions`), 404, 40401);
    await expectError(call('POST', `/subjects/${'s'.repeat(256)}/versions`, { schema: AVRO_V1 }), 422, 42208);
    // 255 characters are 255 code points, as JSON Schema's maxLength counts them, not 510 UTF-16 units.
    const emoji = encodeURIComponent('😀'.repeat(255));
    const schema = JSON.stringify({ type: 'record', name: 'Smile', fields: [{ name: 's', type: 'string' }] });
    assert.equal((await call('POST', `/subjects/${emoji}/versions`, { schema })).status, 200);
    assert.equal((await call('GET', `/subjects/${emoji}/versions/%20LATEST%0A`)).status, 200);
    assert.deepEqual((await call('PUT', `/config/${emoji}`, { compatibility: ' full_transitive ' })).body, { compatibility: 'FULL_TRANSITIVE' });
    await expectError(call('POST', `/subjects/${emoji}/versions`, { schema, schemaType: 'jſon' }), 422, 42201);
  });
});
