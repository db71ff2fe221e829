import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { AlertEngine } from '../../../src/alerts/alert-engine.js';
import type { Alert } from '../../../src/core/ports/alert-sink.js';
import { notifierMetrics, WebhookNotifier } from '../../../src/alerts/webhook-notifier.js';
import type { WebhookMessage } from '../../../src/alerts/webhook-payload.js';
import { metricValue, parseExposition } from '../../helpers/metrics.js';
import { onlyRule, signalsAt } from '../../helpers/alerts.js';

interface Receiver {
  url: string;
  bodies: WebhookMessage[];
  headers: IncomingMessage['headers'][];
  close(): Promise<void>;
}

/** A local webhook that answers each request with `answer(n)` (n from 1): a status, or 'hang' to never answer. */
async function receiver(answer: (n: number) => number | 'hang'): Promise<Receiver> {
  const bodies: WebhookMessage[] = [];
  const headers: IncomingMessage['headers'][] = [];
  const hanging: ServerResponse[] = [];
  const server = createServer(async (request, response) => {
    let text = '';
    for await (const chunk of request) text += chunk;
    bodies.push(JSON.parse(text));
    headers.push(request.headers);
    const status = answer(bodies.length);
    if (status === 'hang') hanging.push(response);
    else response.writeHead(status).end(status >= 400 ? 'no' : 'ok');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/hook`,
    bodies,
    headers,
    async close() {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

const webhook = (url: string, over: Record<string, unknown> = {}) => ({ url, name: 'ops', maxAttempts: 5, initialBackoff: '20ms', maxBackoff: '100ms', timeout: '1s', headers: { authorization: 'Bearer t0ken' }, ...over });
const stale = (now: number, newest: number) => signalsAt(now, { newestEventTime: [{ source: 'web', timestamp: newest }] });
const T0 = Date.UTC(2026, 10, 27, 12);

function engineFor(url: string, registry: Registry, over: Record<string, unknown> = {}) {
  const config = onlyRule('freshness', { sla: '10s', for: '0s' }, { webhooks: [webhook(url)], externalUrl: 'https://sightline.example:8080/', ...over });
  return new AlertEngine({ config, signals: () => stale(T0, T0), logger: pino({ level: 'silent' }), registry, externalUrl: 'http://unused' });
}

describe('webhook delivery', () => {
  const closers: Array<() => Promise<void>> = [];
  after(async () => {
    for (const close of closers) await close();
  });

  it('retries after failures, then sends firing and resolved in the Alertmanager payload shape', async () => {
    const hook = await receiver((n) => (n <= 2 ? 503 : 200));
    closers.push(hook.close);
    const registry = new Registry();
    const engine = engineFor(hook.url, registry);
    await engine.evaluate(stale(T0, T0 - 30_000));
    await engine.deliveries();
    assert.equal(hook.bodies.length, 3, 'two 503s, then accepted');
    assert.deepEqual(hook.bodies[0], hook.bodies[2], 'a retry sends the same message');
    assert.equal(hook.headers[2]!.authorization, 'Bearer t0ken');
    assert.equal(hook.headers[2]!['content-type'], 'application/json');

    const firing = hook.bodies[2]!;
    const [alert] = engine.list();
    assert.deepEqual(firing, {
      version: '4',
      groupKey: '{}:{alertname="SightlineSourceStale"}',
      truncatedAlerts: 0,
      receiver: 'ops',
      status: 'firing',
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'SightlineSourceStale', severity: 'page', source: 'web' },
          annotations: alert!.annotations,
          startsAt: new Date(T0).toISOString(),
          endsAt: '0001-01-01T00:00:00Z',
          generatorURL: 'https://sightline.example:8080/v1/alerts?alertname=SightlineSourceStale',
          fingerprint: alert!.fingerprint,
        },
      ],
      groupLabels: { alertname: 'SightlineSourceStale' },
      commonLabels: { alertname: 'SightlineSourceStale', severity: 'page', source: 'web' },
      commonAnnotations: alert!.annotations,
      externalURL: 'https://sightline.example:8080',
    });

    await engine.evaluate(stale(T0 + 5_000, T0 + 4_000));
    await engine.deliveries();
    const resolved = hook.bodies[3]!;
    assert.equal(resolved.status, 'resolved');
    assert.equal(resolved.alerts[0]!.status, 'resolved');
    assert.equal(resolved.alerts[0]!.endsAt, new Date(T0 + 5_000).toISOString());
    assert.equal(resolved.alerts[0]!.fingerprint, firing.alerts[0]!.fingerprint);

    const samples = parseExposition(await registry.metrics());
    assert.equal(metricValue(samples, 'sightline_alert_notifications_total', { receiver: 'ops', result: 'sent' }), 2);
    assert.equal(metricValue(samples, 'sightline_alert_notification_retries_total', { receiver: 'ops' }), 2);
    assert.equal(metricValue(samples, 'sightline_alerts', { alertname: 'SightlineSourceStale', state: 'resolved' }), 1);
    await engine.stop();
  });

  it('gives up after maxAttempts, does not retry a 4xx, and counts both as failed', async () => {
    const down = await receiver(() => 500);
    const refusing = await receiver(() => 400);
    closers.push(down.close, refusing.close);
    const registry = new Registry();
    const config = onlyRule('freshness', { sla: '10s', for: '0s' }, { webhooks: [webhook(down.url, { name: 'down', maxAttempts: 3 }), webhook(refusing.url, { name: 'refusing' })] });
    let serverUrl = 'not yet listening';
    const engine = new AlertEngine({ config, signals: () => stale(T0, T0), logger: pino({ level: 'silent' }), registry, externalUrl: () => serverUrl });
    serverUrl = 'http://127.0.0.1:1/';
    await engine.evaluate(stale(T0, T0 - 30_000));
    await engine.deliveries();
    assert.equal(down.bodies.length, 3);
    assert.equal(refusing.bodies.length, 1);
    assert.equal(down.bodies[0]!.externalURL, 'http://127.0.0.1:1', 'the server URL when externalUrl is not configured');
    const samples = parseExposition(await registry.metrics());
    assert.equal(metricValue(samples, 'sightline_alert_notifications_total', { receiver: 'down', result: 'failed' }), 1);
    assert.equal(metricValue(samples, 'sightline_alert_notifications_total', { receiver: 'refusing', result: 'failed' }), 1);
    assert.equal(engine.list()[0]!.state, 'firing', 'delivery failures do not touch the alerts');
    await engine.stop();
  });

  it('bounds each attempt by the timeout and the queue by maxQueue, dropping the oldest', async () => {
    const hook = await receiver((n) => (n === 1 ? 'hang' : 200));
    closers.push(hook.close);
    const registry = new Registry();
    const config = onlyRule('freshness', {}, { webhooks: [webhook(hook.url, { maxAttempts: 2, timeout: '200ms', maxQueue: 1 })] }).webhooks;
    const notifier = new WebhookNotifier(config, () => 'http://sightline', pino({ level: 'silent' }), notifierMetrics(registry));
    const alert = (source: string): Alert => ({ fingerprint: source, labels: { alertname: 'A', source }, annotations: { summary: '', description: '' }, state: 'firing', activeAt: T0, startsAt: T0, endsAt: undefined, value: 1 });
    // The first is taken at once and hangs; the second waits; the third pushes the second out.
    for (const source of ['one', 'two', 'three']) notifier.send({ groupLabels: { alertname: 'A' }, alerts: [alert(source)] });
    await notifier.flush();
    assert.deepEqual(
      hook.bodies.map((b) => b.alerts[0]!.labels.source),
      ['one', 'one', 'three'],
      'the hung attempt timed out and was retried; "two" was dropped',
    );
    const samples = parseExposition(await registry.metrics());
    assert.equal(metricValue(samples, 'sightline_alert_notifications_total', { receiver: 'ops', result: 'dropped' }), 1);
    assert.equal(metricValue(samples, 'sightline_alert_notifications_total', { receiver: 'ops', result: 'sent' }), 2);
    await notifier.close();
  });

  it('sends a still-firing group again after repeatInterval, with every firing alert of the group', async () => {
    const hook = await receiver(() => 200);
    closers.push(hook.close);
    const engine = engineFor(hook.url, new Registry(), { repeatInterval: '1m' });
    const web = { source: 'web', timestamp: T0 - 30_000 };
    const appFresh = (now: number) => signalsAt(now, { newestEventTime: [web, { source: 'app', timestamp: now }] });
    await engine.evaluate(appFresh(T0));
    await engine.evaluate(appFresh(T0 + 30_000));
    await engine.evaluate(signalsAt(T0 + 40_000, { newestEventTime: [web, { source: 'app', timestamp: T0 }] }));
    await engine.evaluate(appFresh(T0 + 70_000));
    await engine.evaluate(appFresh(T0 + 100_000));
    await engine.evaluate(appFresh(T0 + 130_000));
    await engine.deliveries();
    assert.deepEqual(
      hook.bodies.map((b) => [b.status, b.alerts.map((a) => `${a.labels.source}:${a.status}`).sort().join(' ')]),
      [
        ['firing', 'web:firing'],
        ['firing', 'app:firing web:firing'],
        ['firing', 'app:resolved web:firing'],
        ['firing', 'web:firing'],
      ],
      'a change sends the whole group; 60 s after the last message (at 70 s) it is sent again',
    );
    await engine.stop();
  });
});
