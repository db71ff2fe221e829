import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import { SightlineError } from '../core/errors.js';
import { errorBodySchema } from './errors.js';
import { takesNoKey } from './access.js';
import { REGISTRY_CONTENT_TYPE } from './routes/registry/confluent-errors.js';
import { registryErrors } from './routes/registry/confluent-schemas.js';

/** Requests per second per client and route: a default, per route, and per client (overall and per route). 0 is no limit. */
export interface RateLimits {
  perSecond: number;
  routes: Record<string, number>;
  clients: Record<string, { perSecond?: number; routes?: Record<string, number>; sqlConcurrent?: number }>;
  /** Statements one client may run at once, over HTTP and the Postgres port together. */
  sqlConcurrent: number;
}

/** Who a request is for its limits: its API key (`local` on an open loopback API), else its address. */
export const clientOf = (request: FastifyRequest): string => request.principal?.keyId ?? request.ip;

/** A route as the limits name it: `POST /v1/sql`, `GET /v1/aggregates/page-views`. */
const routeOf = (request: FastifyRequest): string => `${request.method} ${request.routeOptions.url ?? '(no route)'}`;

/** The limit of one client on one route: its own for the route, its own, the route's, the default. */
export function limitFor(limits: RateLimits, client: string, route: string): number {
  const own = limits.clients[client];
  return own?.routes?.[route] ?? own?.perSecond ?? limits.routes[route] ?? limits.perSecond;
}

/**
 * Per-client rate limits on every route (@fastify/rate-limit): a bucket per client and route,
 * counted after access control (so by key, not by address) and before the body is read, answered
 * with the draft standard RateLimit-Limit/Remaining/Reset headers, and over the limit with 429
 * SL_API_RATE_LIMITED and Retry-After. Requests and refusals are counted per client.
 */
export async function rateLimiting(app: FastifyInstance, limits: RateLimits, registry: Registry): Promise<void> {
  const requests = new Counter({ name: 'sightline_api_client_requests_total', help: 'API requests by client (its key id, or its address without one).', labelNames: ['client'], registers: [registry] });
  const limited = new Counter({ name: 'sightline_api_rate_limited_total', help: 'API requests refused by a rate limit, by client and route.', labelNames: ['client', 'route'], registers: [registry] });
  // Every route may answer 429: the OpenAPI document says so, with the body it has. A route
  // with its own error bodies (the Confluent registry's) answers 429 in the shape of its 4xx.
  app.addHook('onRoute', (route) => {
    if (!route.schema || takesNoKey(route.config?.access)) return;
    const response = (route.schema.response ?? {}) as Record<number, unknown>;
    if (429 in response) return;
    const confluent = Object.values(response).some((r) => typeof r === 'object' && r !== null && 'content' in r && REGISTRY_CONTENT_TYPE in (r as { content: object }).content);
    route.schema = { ...route.schema, response: { ...response, 429: confluent ? registryErrors(429)[429] : errorBodySchema(429) } };
  });
  await app.register(fastifyRateLimit, {
    global: true,
    hook: 'preParsing',
    timeWindow: 1000,
    // Keys and addresses: a bucket each per route; one past this many is evicted oldest first.
    cache: 10_000,
    keyGenerator: (request) => `${clientOf(request)} ${routeOf(request)}`,
    max: (request) => limitFor(limits, clientOf(request), routeOf(request)),
    // What a load balancer or a browser needs before it holds a key (health, readiness, the
    // OpenAPI document, the page) is not limited.
    allowList: (request) => {
      requests.inc({ client: clientOf(request) });
      return takesNoKey(request.routeOptions.config.access) || limitFor(limits, clientOf(request), routeOf(request)) === 0;
    },
    enableDraftSpec: true,
    onExceeded: (request) => limited.inc({ client: clientOf(request), route: routeOf(request) }),
    errorResponseBuilder: (request, context) =>
      new SightlineError('SL_API_RATE_LIMITED', `${clientOf(request)} sent more than ${context.max} requests a second to ${routeOf(request)}: retry after ${context.after}`, {
        retryAfterSeconds: Math.max(1, Math.ceil(context.ttl / 1000)),
      }),
  });
}
