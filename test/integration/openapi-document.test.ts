import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { loadConfigFile } from '../../src/config/config.js';
import { ERROR_CODES } from '../../src/core/errors.js';
import { type RunningPlatform, startPlatform } from '../../src/platform/start-platform.js';
import { tempDir } from '../helpers/tmp.js';

const EXAMPLE_CONFIG = fileURLToPath(new URL('../../../examples/sightline.yaml', import.meta.url));
const REGISTRY_TYPE = 'application/vnd.schemaregistry.v1+json';
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

/**
 * /openapi.json of the platform with the example config describes what the server does (issue 15):
 * every status with its body and content type, the error codes each status can carry, and the
 * methods of each path. scripts/fuzz/run.sh checks the rest against the server.
 */
describe('the OpenAPI document', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let platform: RunningPlatform;
  let spec: any;
  const operations = (): Array<{ path: string; method: string; op: any }> =>
    Object.entries(spec.paths).flatMap(([path, item]: [string, any]) => Object.entries(item).map(([method, op]) => ({ path, method, op })));

  before(async () => {
    tmp = await tempDir();
    const config = await loadConfigFile(EXAMPLE_CONFIG, { dataDir: join(tmp.dir, 'data'), server: { port: 0 }, probe: { interval: 0 } });
    platform = await startPlatform(config, pino({ level: 'silent' }));
    spec = await (await fetch(`${platform.url}/openapi.json`)).json();
  });
  after(async () => {
    await platform.stop();
    await tmp.cleanup();
  });

  it('gives every status of every operation a body, in the content type the server sends', () => {
    for (const { path, method, op } of operations()) {
      const registry = op.tags?.includes('schema registry');
      for (const [status, response] of Object.entries(op.responses) as Array<[string, any]>) {
        const where = `${method.toUpperCase()} ${path} ${status}`;
        assert.ok(response.content && Object.keys(response.content).length > 0, `${where} has a body`);
        if (registry) assert.deepEqual(Object.keys(response.content), [REGISTRY_TYPE], where);
        for (const media of Object.values(response.content) as any[]) assert.ok(media.schema, `${where} has a schema`);
      }
    }
  });

  it('gives each error status the codes of docs/errors.md with that status, and only those', () => {
    for (const { path, method, op } of operations()) {
      for (const [status, response] of Object.entries(op.responses) as Array<[string, any]>) {
        // Health and readiness answer their own bodies (state and reasons), not an error.
        if (Number(status) < 400 || path === '/readyz' || path === '/healthz') continue;
        const schema = (Object.values(response.content)[0] as any).schema;
        const codes = Object.entries(ERROR_CODES)
          .filter(([, v]) => v.status === Number(status))
          .map(([code]) => code);
        assert.deepEqual(schema.properties.code.enum, codes, `${method.toUpperCase()} ${path} ${status}`);
        assert.deepEqual(schema.required.slice(-2), ['code', 'message']);
      }
    }
  });

  it('documents what the server answers a request no operation takes: 405 with Allow, or 404', async () => {
    for (const [path, item] of Object.entries(spec.paths) as Array<[string, any]>) {
      const declared = Object.keys(item).map((m) => m.toUpperCase());
      const allowed = [...declared, ...(declared.includes('GET') ? ['HEAD'] : [])].sort().join(', ');
      const url = `${platform.url}${path.replace(/\{[^}]+\}/g, 'x')}`;
      for (const method of METHODS.map((m) => m.toUpperCase()).filter((m) => !declared.includes(m))) {
        const response = await fetch(url, { method });
        assert.equal(response.status, 405, `${method} ${path}`);
        assert.equal(response.headers.get('allow'), allowed, `${method} ${path}`);
        assert.equal(((await response.json()) as { code: string }).code, 'SL_API_METHOD_NOT_ALLOWED');
      }
    }
    const unknown = await fetch(`${platform.url}/v1/nothing`, { method: 'PATCH' });
    assert.deepEqual([unknown.status, ((await unknown.json()) as { code: string }).code], [404, 'SL_API_NOT_FOUND']);
  });

  it('documents readiness when not ready (503), and the Prometheus text of /metrics', () => {
    assert.deepEqual(Object.keys(spec.paths['/readyz'].get.responses), ['200', '503']);
    assert.deepEqual(Object.keys(spec.paths['/metrics'].get.responses['200'].content), ['text/plain']);
  });
});
