import type { FastifyInstance } from 'fastify';
import { Histogram } from 'prom-client';
import type { Metrics } from '../observe/metrics.js';
import { toApiError } from './errors.js';

/**
 * The `serve` component's base metrics for every route, and API latency per route, method and
 * status (`sightline_http_request_duration_seconds`). Hooks on the root instance, so they cover
 * every route registered after them.
 */
export function instrumentHttp(app: FastifyInstance, metrics: Metrics): void {
  const serve = metrics.component('serve');
  const latency = new Histogram({
    name: 'sightline_http_request_duration_seconds',
    help: 'API request latency, by method, route and status code.',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [metrics.registry],
  });
  app.addHook('onRequest', async () => {
    serve.received(1);
  });
  // Failures of the platform, not of the caller: a 404 for an id not stored yet (the probe polls
  // for one) or a malformed query is the caller's, and shows as a 4xx in the latency histogram.
  app.addHook('onError', async (_request, _reply, err) => {
    const error = toApiError(err);
    if (error.status >= 500) serve.error(error.code);
  });
  app.addHook('onResponse', async (request, reply) => {
    const seconds = reply.elapsedTime / 1000;
    // The route's pattern, not the URL: one series per route, whatever the ids in the path.
    const route = request.routeOptions.url ?? 'unmatched';
    latency.observe({ method: request.method, route, status_code: String(reply.statusCode) }, seconds);
    serve.observe('request', seconds);
    if (reply.statusCode < 400) serve.sent(1);
  });
}
