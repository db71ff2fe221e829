import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import type { Metrics } from '../observe/metrics.js';
import type { Tracing } from '../observe/tracing.js';
import { type AccessOptions, accessControl } from './access.js';
import { auditTrail } from './audit-trail.js';
import { type RateLimits, rateLimiting } from './rate-limits.js';
import { readTlsFiles, reloadTlsOnChange } from './tls-files.js';
import type { ListenOptions } from './api-options.js';
import { browserGuards } from './browser-guards.js';
import { answerClientError, answerFrameworkError, errorHandler, refuseNonFiniteNumbers } from './errors.js';
import { instrumentHttp } from './http-metrics.js';
import { instrumentTracing } from './http-tracing.js';
import { answerUnroutedRequests } from './no-route.js';
import { requestValidatorCompiler } from './validation.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { metricsRoutes } from './routes/metrics.js';
import { statusRoutes, type StatusRoutesOptions } from './routes/status.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Paths of the OpenAPI document made while the server runs (each pipe's), added to its routes'. */
    openApiPaths: Array<(document: { paths?: Record<string, unknown> }, request: FastifyRequest) => Record<string, unknown>>;
  }
}

export interface ApiServerOptions {
  logger: Logger;
  metrics: Metrics;
  tracing: Tracing;
  version: string;
  /** Where it listens, which hosts it answers for and which web origins may call it. */
  listen: ListenOptions;
  /** Who may call it: every route declares the scope it needs. */
  access: AccessOptions;
  /** Requests a second per client and route; none when absent. */
  rateLimits?: RateLimits;
}

/**
 * The platform's HTTP API without its routes: errors as {code, message}, request metrics and
 * spans, 404 and 405 with a code, the browser guards, and the OpenAPI document every route
 * registered later joins. Each
 * component registers its own routes on it (platform/components), then operationsRoutes.
 */
export async function createApiServer(options: ApiServerOptions): Promise<FastifyInstance> {
  // HTTPS where server.tls names a certificate: the same server otherwise (Fastify types it apart).
  const https = options.listen.tls ? readTlsFiles(options.listen.tls) : undefined;
  const app = Fastify({
    ...(https && { https }),
    loggerInstance: options.logger.child({ component: 'serve' }) as unknown as FastifyBaseLogger,
    // A log line per request would be a line per batch on the ingest hot path.
    logController: new LogController({ disableRequestLogging: true }),
    // Ingest sets its own, larger limit; everything else takes small bodies.
    bodyLimit: 1024 * 1024,
    requestTimeout: options.listen.requestTimeoutMs,
    // Node takes the timeouts when the server is made (Fastify's own setting comes too late for a
    // request whose headers have arrived), and looks for requests past them only this often: 30 s
    // by default, which would let a trickling client hold a socket that long past its timeout.
    http: {
      requestTimeout: options.listen.requestTimeoutMs,
      headersTimeout: Math.min(60_000, options.listen.requestTimeoutMs),
      connectionsCheckingInterval: Math.max(250, Math.min(5000, options.listen.requestTimeoutMs / 4)),
    },
    // A path parameter of any length reaches its route, whose schema says what it takes (Node's
    // limit on the request line and headers, 431, is what bounds it).
    routerOptions: { maxParamLength: 64 * 1024 },
    // What Fastify and Node refuse before a route runs answers in the API's {code, message} too.
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError,
  }) as unknown as FastifyInstance;
  if (options.listen.tls) reloadTlsOnChange(app, options.listen.tls);
  app.setValidatorCompiler(requestValidatorCompiler());
  app.setErrorHandler(errorHandler);
  app.addHook('preHandler', async (request) => refuseNonFiniteNumbers(request));
  instrumentHttp(app, options.metrics);
  instrumentTracing(app, options.tracing);
  // After the metrics and spans, so a refused request is counted and traced like any other.
  await browserGuards(app, options.listen);
  // Before any route, so every route registered after is checked (and one that declares no access fails at start).
  await accessControl(app, options.access);
  if (options.access.audit) auditTrail(app, options.access.audit);
  // After access control (a client is its key) and before any route, which it then covers.
  if (options.rateLimits) await rateLimiting(app, options.rateLimits, options.metrics.registry);
  answerUnroutedRequests(app);
  app.decorate('openApiPaths', []);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'an API key, slk_<id>_<secret> (sightline keys create)' },
          basic: { type: 'http', scheme: 'basic', description: "the key id as user name and its secret as password, as Confluent's registry clients send (registry routes only)" },
        },
      },
      info: {
        title: 'Sightline API',
        version: options.version,
        description:
          'Ingest events, query recent events and windowed aggregates, and watch the platform. Every error body is {code, message}. ' +
          'Besides what each operation lists, any request can be refused before it reaches one: 400 SL_API_BAD_REQUEST (a path that is ' +
          'not a valid URL, bytes that are not HTTP), 403 SL_API_HOST_NOT_ALLOWED (a Host header this server does not answer for: ' +
          'server.allowedHosts), 408 SL_API_REQUEST_TIMEOUT (not arrived whole within server.requestTimeout), 431 ' +
          'SL_API_HEADERS_TOO_LARGE, and 500 SL_API_INTERNAL. Every route but /healthz, /readyz, /openapi.json and the /ui page takes an API key ' +
          '(Authorization: Bearer <key>; the registry API also HTTP Basic with key id and secret) and answers 401 SL_AUTH_MISSING, ' +
          'SL_AUTH_INVALID, SL_AUTH_EXPIRED or SL_AUTH_REVOKED without a valid one, and 403 SL_AUTH_FORBIDDEN when the key lacks the scope ' +
          'the route needs (the message names it). On a server listening on loopback only, requests without a key act as the machine\'s own user.',
      },
      tags: [
        { name: 'ingest' },
        { name: 'query' },
        { name: 'contracts' },
        { name: 'quality' },
        { name: 'dead letters', description: 'Events refused at ingest or in processing, with their reason and original bytes; replayable.' },
        { name: 'schema registry', description: "Confluent Schema Registry's REST API (7.x): errors are {error_code, message, code}." },
        { name: 'operations' },
        { name: 'keys', description: 'API keys and their scopes (scope admin); docs/security.md.' },
        { name: 'pipes', description: 'Published SQL endpoints: named, versioned statements with typed parameters, each at its own path (docs/sql.md#pipes).' },
        { name: 'lakehouse', description: 'The Apache Iceberg REST catalog of the cold tables (read only; errors are the REST spec\'s ErrorModel); docs/lakehouse.md.' },
      ],
    },
  });
  return app;
}

/** What every node answers whatever its roles: status, health, readiness, metrics, the dashboard and the OpenAPI document. */
export async function operationsRoutes(app: FastifyInstance, options: StatusRoutesOptions & { metrics: Metrics }): Promise<void> {
  await app.register(statusRoutes, { status: options.status, ready: options.ready, failing: options.failing });
  await app.register(metricsRoutes, { metrics: options.metrics.registry });
  await app.register(dashboardRoutes, { metrics: options.metrics.registry });
  // Paths made while the server runs (each pipe's own) join those of its routes.
  app.get('/openapi.json', { config: { access: 'identified' }, schema: { hide: true } }, async (request) => {
    const document = app.swagger() as { paths?: Record<string, unknown> };
    const extra = app.openApiPaths.map((paths) => paths(document, request));
    return extra.length === 0 ? document : { ...document, paths: Object.assign({}, document.paths, ...extra) };
  });
}
