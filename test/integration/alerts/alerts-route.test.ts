import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { errorHandler } from '../../../src/serve/errors.js';
import { alertRoutes } from '../../../src/serve/routes/alerts.js';
import { onlyRule, signalsAt, testEngine } from '../../helpers/alerts.js';

describe('GET /v1/alerts', () => {
  const engine = testEngine(onlyRule('freshness', { sla: '10s', for: '1m' }));
  let app: FastifyInstance;
  before(async () => {
    app = Fastify();
    app.setErrorHandler(errorHandler);
    await app.register(alertRoutes, { engine });
    const T0 = Date.UTC(2026, 10, 27, 12);
    await engine.evaluate(signalsAt(T0, { newestEventTime: [{ source: 'web', timestamp: T0 - 60_000 }] }));
  });
  after(() => app.close());

  it('lists the alerts with labels, annotations, state, times, value and fingerprint', async () => {
    const response = await app.inject({ url: '/v1/alerts' });
    assert.equal(response.statusCode, 200);
    const { alerts } = response.json();
    assert.equal(alerts.length, 1);
    assert.deepEqual(Object.keys(alerts[0]).sort(), ['activeAt', 'annotations', 'endsAt', 'fingerprint', 'labels', 'startsAt', 'state', 'value']);
    assert.deepEqual(alerts[0].labels, { alertname: 'SightlineSourceStale', severity: 'page', source: 'web' });
    assert.equal(alerts[0].state, 'pending');
    assert.equal(alerts[0].startsAt, null);
    assert.equal(alerts[0].value, 60);
    assert.match(alerts[0].annotations.description, /web/);
  });

  it('filters by state and alertname, and refuses an unknown state with SL_API_BAD_REQUEST', async () => {
    assert.equal((await app.inject({ url: '/v1/alerts?state=pending' })).json().alerts.length, 1);
    assert.equal((await app.inject({ url: '/v1/alerts?state=firing' })).json().alerts.length, 0);
    assert.equal((await app.inject({ url: '/v1/alerts?alertname=SightlineSourceStale' })).json().alerts.length, 1);
    assert.equal((await app.inject({ url: '/v1/alerts?alertname=Other' })).json().alerts.length, 0);
    const bad = await app.inject({ url: '/v1/alerts?state=active' });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().code, 'SL_API_BAD_REQUEST');
    assert.match(bad.json().message, /pending, firing, resolved/);
  });
});
