import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { Metrics } from '../../../src/observe/metrics.js';
import { testApiServer } from '../../helpers/api-server.js';

describe('requests no route takes', () => {
  let app: FastifyInstance;
  let metrics: Metrics;

  before(async () => {
    metrics = new Metrics();
    app = await testApiServer(metrics);
    const open = { config: { access: 'public' as const } };
    app.get('/v1/things', open, async () => ({ things: [] }));
    app.post('/v1/things', open, async () => ({ ok: true }));
    app.get('/v1/things/:id', open, async () => ({ id: 1 }));
    app.delete('/v1/things/:id', open, async () => ({ deleted: true }));
    app.post('/v1/things/sort', open, async () => ({ sorted: true }));
    // A catch-all route (as a CORS preflight handler registers) does not make every path exist.
    app.options('*', open, async () => '');
    await app.ready();
  });
  after(() => app.close());

  it('a wrong method on an existing path: 405 with Allow and {code, message}', async () => {
    for (const method of ['PUT', 'PATCH', 'TRACE'] as const) {
      const r = await app.inject({ method, url: '/v1/things/42?x=1' });
      assert.equal(r.statusCode, 405, method);
      assert.equal(r.headers.allow, 'DELETE, GET, HEAD, OPTIONS');
      assert.deepEqual(r.json(), { code: 'SL_API_METHOD_NOT_ALLOWED', message: `${method} is not allowed on /v1/things/42; allowed: DELETE, GET, HEAD, OPTIONS` });
    }
    const r = await app.inject({ method: 'DELETE', url: '/v1/things' });
    assert.equal(r.statusCode, 405);
    assert.equal(r.headers.allow, 'GET, HEAD, OPTIONS, POST');
  });

  it('answers 405 before a body is read: a body of a type nobody parses is not refused first', async () => {
    const r = await app.inject({ method: 'PUT', url: '/v1/things', payload: 'x', headers: { 'content-type': 'text/x-unknown' } });
    assert.equal(r.statusCode, 405);
    assert.equal(r.json().code, 'SL_API_METHOD_NOT_ALLOWED');
    const query = await app.inject({ method: 'QUERY' as 'GET', url: '/v1/things/1' });
    assert.equal(query.statusCode, 405, 'QUERY, a method that takes a body, without a Content-Type');
  });

  it('a concrete path is its own resource, as in the OpenAPI document, not an id of a templated one', async () => {
    for (const method of ['GET', 'HEAD', 'DELETE', 'PUT'] as const) {
      const r = await app.inject({ method, url: '/v1/things/sort' });
      assert.equal(r.statusCode, 405, method);
      assert.equal(r.headers.allow, 'OPTIONS, POST');
    }
    assert.equal((await app.inject({ method: 'POST', url: '/v1/things/sort' })).statusCode, 200);
    assert.deepEqual((await app.inject({ method: 'GET', url: '/v1/things/42' })).json(), { id: 1 });
    assert.equal((await app.inject({ method: 'PATCH', url: '/v1/things/42' })).headers.allow, 'DELETE, GET, HEAD, OPTIONS');
  });

  it('a path no method takes: 404 with {code, message}', async () => {
    for (const method of ['GET', 'PUT', 'QUERY'] as const) {
      const r = await app.inject({ method: method as 'GET', url: '/v1/nothing/here' });
      assert.equal(r.statusCode, 404, method);
      assert.equal(r.headers.allow, undefined);
      assert.deepEqual(r.json(), { code: 'SL_API_NOT_FOUND', message: `no route ${method} /v1/nothing/here` });
    }
  });

  it('counts them as requests received', async () => {
    const received = async () => (await metrics.registry.getSingleMetric('sightline_events_received_total')!.get()).values.find((v) => v.labels.component === 'serve')?.value ?? 0;
    const before = await received();
    await app.inject({ method: 'PATCH', url: '/v1/things' });
    await app.inject({ method: 'GET', url: '/v1/nothing' });
    assert.equal((await received()) - before, 2);
  });
});
