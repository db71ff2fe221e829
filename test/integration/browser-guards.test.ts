import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sendRaw } from '../helpers/http.js';
import { useInProcessPlatform } from '../helpers/in-process-platform.js';

const send = (base: string, method: string, path: string, headers: Record<string, string> = {}, body?: string) =>
  sendRaw(base, { method, path, headers, ...(body !== undefined && { body }) });

const SCHEMA_BODY = JSON.stringify({ schema: JSON.stringify({ type: 'object', properties: { page: { type: 'string' } } }), schemaType: 'JSON' });

/**
 * What a web page on another site can do to a Sightline its visitor runs (issue 15, item 7):
 * forge state-changing requests (CSRF), read the API through DNS rebinding, frame the dashboard.
 */
describe('browser guards', () => {
  const defaults = useInProcessPlatform();
  const withNames = useInProcessPlatform({ server: { port: 0, allowedHosts: ['sightline.test'], cors: { origins: ['https://app.example'] } } });

  it('the registry refuses the bodies a page can send anywhere without a preflight, and registers nothing', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', undefined]) {
      const r = await send(defaults().url, 'POST', '/subjects/web.page_view-value/versions', type === undefined ? {} : { 'content-type': type }, SCHEMA_BODY);
      assert.equal(r.status, 415, `${type}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.code, 'SL_API_UNSUPPORTED_MEDIA_TYPE');
      assert.equal(r.body.error_code, 415, 'in the registry API, Confluent\'s error_code too');
    }
    assert.deepEqual((await send(defaults().url, 'GET', '/subjects')).body, []);
    const ok = await send(defaults().url, 'POST', '/subjects/web.page_view-value/versions', { 'content-type': 'application/vnd.schemaregistry.v1+json' }, SCHEMA_BODY);
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
  });

  it("Sightline's own routes take JSON bodies only, and ingest keeps its code", async () => {
    const deprecate = await send(defaults().url, 'PUT', '/v1/contracts/web.page_view-value/versions/1/deprecation', { 'content-type': 'text/plain' }, '{}');
    assert.equal(deprecate.status, 415);
    assert.equal(deprecate.body.code, 'SL_API_UNSUPPORTED_MEDIA_TYPE');
    const replay = await send(defaults().url, 'POST', '/v1/dlq/replay', { 'content-type': 'application/x-www-form-urlencoded' }, 'ids=a');
    assert.equal(replay.status, 415);
    assert.equal(replay.body.code, 'SL_API_UNSUPPORTED_MEDIA_TYPE');
    const ingest = await send(defaults().url, 'POST', '/v1/events', { 'content-type': 'text/plain' }, '[]');
    assert.equal(ingest.status, 415);
    assert.equal(ingest.body.code, 'SL_INGEST_UNSUPPORTED_MEDIA_TYPE');
  });

  it('bound to loopback, a Host that is not localhost or an address is refused (DNS rebinding)', async () => {
    const port = new URL(defaults().url).port;
    const rebound = await send(defaults().url, 'GET', '/v1/status', { host: `attacker.example:${port}` });
    assert.equal(rebound.status, 403);
    assert.equal(rebound.body.code, 'SL_API_HOST_NOT_ALLOWED');
    assert.match(rebound.body.message, /server\.allowedHosts/);
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, 'app.localhost']) {
      assert.equal((await send(defaults().url, 'GET', '/healthz', { host })).status, 200, host);
    }
    assert.equal((await send(withNames().url, 'GET', '/healthz', { host: 'sightline.test' })).status, 200, 'a configured name');
    assert.equal((await send(withNames().url, 'GET', '/healthz', { host: 'other.test' })).status, 403);
  });

  it('CORS answers only the configured origins, and no origin by default', async () => {
    const preflight = { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' };
    const byDefault = await send(defaults().url, 'OPTIONS', '/v1/events', preflight);
    assert.equal(byDefault.headers['access-control-allow-origin'], undefined);
    const allowed = await send(withNames().url, 'OPTIONS', '/v1/events', preflight);
    assert.equal(allowed.status, 204);
    assert.equal(allowed.headers['access-control-allow-origin'], 'https://app.example');
    assert.match(String(allowed.headers['access-control-allow-methods']), /POST/);
    const other = await send(withNames().url, 'OPTIONS', '/v1/events', { ...preflight, origin: 'https://attacker.example' });
    assert.equal(other.headers['access-control-allow-origin'], undefined);
    const read = await send(withNames().url, 'GET', '/v1/status', { origin: 'https://app.example' });
    assert.equal(read.headers['access-control-allow-origin'], 'https://app.example');
  });

  it('the dashboard and the API send security headers: a CSP that forbids framing, nosniff', async () => {
    for (const path of ['/ui', '/v1/status']) {
      const r = await send(defaults().url, 'GET', path);
      assert.equal(r.status, 200, path);
      const csp = String(r.headers['content-security-policy']);
      assert.match(csp, /frame-ancestors 'none'/, path);
      assert.match(csp, /script-src 'self'/, path);
      assert.equal(r.headers['x-content-type-options'], 'nosniff', path);
      assert.equal(r.headers['x-frame-options'], 'DENY', path);
    }
  });
});
