import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import type { ContractStats } from '../contracts/contract-stats.js';
import type { SchemaRegistry } from '../registry/schema-registry.js';
import type { ServerConfig } from './api-options.js';
import type { HotStore } from '../core/ports/hot-store.js';
import { SightlineError } from '../core/errors.js';
import type { IngestService } from '../ingest/ingest-service.js';
import { ingestRoutes } from '../ingest/routes.js';
import { errorHandler } from './errors.js';
import { aggregateRoutes } from './routes/aggregates.js';
import { contractRoutes } from './routes/contracts.js';
import type { Metrics } from '../observe/metrics.js';
import type { WindowRow } from '../core/ports/event-queries.js';
import { instrumentHttp } from './http-metrics.js';
import { instrumentTracing } from './http-tracing.js';
import type { Tracing } from '../observe/tracing.js';
import { QueryCache } from './query-cache.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { metricsRoutes } from './routes/metrics.js';
import { confluentRegistryRoutes } from './routes/registry/confluent-routes.js';
import { eventRoutes } from './routes/events.js';
import { dlqRoutes } from './routes/dlq.js';
import { qualityRoutes } from './routes/quality.js';
import { alertRoutes } from './routes/alerts.js';
import { lineageRoutes } from './routes/lineage.js';
import type { LineageGraph } from '../lineage/lineage-graph.js';
import type { AlertEngine } from '../alerts/alert-engine.js';
import type { DeadLetterReplayer } from '../dlq/replay.js';
import type { QualityStats } from '../quality/quality-stats.js';
import { statusRoutes, type StatusRoutesOptions } from './routes/status.js';

export interface ServerDeps {
  config: ServerConfig;
  logger: Logger;
  /** Absent on a node without the ingest role (distributed mode). */
  ingest?: IngestService;
  /** Absent on a node without the serve role: no query, dead-letter or quality routes. */
  hot?: HotStore;
  status: StatusRoutesOptions['status'];
  ready: StatusRoutesOptions['ready'];
  version: string;
  registry: SchemaRegistry;
  contractStats: ContractStats;
  metrics: Metrics;
  /** Moves on every processor commit; cached query results older than it are dropped. */
  storeGeneration: () => number;
  coldFileFor?: (commitNo: number, timestamp: number) => Promise<string | undefined>;
  tracing: Tracing;
  /** The dead-letter and quality routes need the platform's pipeline; a server without them serves the rest. */
  replayer?: DeadLetterReplayer;
  qualityStats?: QualityStats;
  alerts?: Pick<AlertEngine, 'list'>;
  lineageGraph?: () => Promise<LineageGraph>;
}

export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const app = Fastify({
    loggerInstance: deps.logger.child({ component: 'serve' }) as unknown as FastifyBaseLogger,
    // A log line per request would be a line per batch on the ingest hot path.
    logController: new LogController({ disableRequestLogging: true }),
    // Ingest sets its own, larger limit; everything else takes small bodies.
    bodyLimit: 1024 * 1024,
    ajv: { customOptions: { coerceTypes: true, removeAdditional: false, useDefaults: true } },
  });
  app.setErrorHandler(errorHandler);
  instrumentHttp(app, deps.metrics);
  instrumentTracing(app, deps.tracing);
  app.setNotFoundHandler((request, reply) => {
    const err = new SightlineError('SL_API_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`);
    void reply.status(err.status).send(err.toBody());
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Sightline API',
        version: deps.version,
        description: 'Ingest events, query recent events and windowed aggregates, and watch the platform. Every error body is {code, message}.',
      },
      tags: [
        { name: 'ingest' },
        { name: 'query' },
        { name: 'contracts' },
        { name: 'quality' },
        { name: 'dead letters', description: 'Events refused at ingest or in processing, with their reason and original bytes; replayable.' },
        { name: 'schema registry', description: "Confluent Schema Registry's REST API (7.x): errors are {error_code, message, code}." },
        { name: 'operations' },
      ],
    },
  });
  if (deps.ingest) {
    await app.register(ingestRoutes, {
      service: deps.ingest,
      maxBodyBytes: config.ingest.maxBodyBytes,
      maxEventsPerBatch: config.ingest.maxEventsPerBatch,
      metrics: deps.metrics.component('ingest'),
      tracing: deps.tracing,
    });
  }
  const hot = deps.hot;
  if (hot) {
    await app.register(eventRoutes, {
      hot,
      defaultLimit: config.api.defaultLimit,
      maxLimit: config.api.maxLimit,
      ...(deps.coldFileFor && { coldFileFor: deps.coldFileFor }),
    });
    await app.register(aggregateRoutes, {
      hot,
      aggregations: config.aggregations,
      maxLimit: config.api.maxLimit,
      cache: new QueryCache<WindowRow[]>('aggregates', deps.storeGeneration, deps.metrics.registry),
    });
    await app.register(dlqRoutes, { hot, ...(deps.replayer && { replayer: deps.replayer }), defaultLimit: config.api.defaultLimit, maxLimit: config.api.maxLimit });
    if (deps.qualityStats) await app.register(qualityRoutes, { hot, rules: config.quality.rules, stats: deps.qualityStats, maxLimit: config.api.maxLimit });
  }
  if (deps.alerts) await app.register(alertRoutes, { engine: deps.alerts });
  if (deps.lineageGraph) await app.register(lineageRoutes, { graph: deps.lineageGraph });
  await app.register(statusRoutes, { status: deps.status, ready: deps.ready });
  await app.register(contractRoutes, { registry: deps.registry, stats: deps.contractStats });
  await app.register(confluentRegistryRoutes, { registry: deps.registry });
  await app.register(metricsRoutes, { metrics: deps.metrics.registry });
  await app.register(dashboardRoutes, { metrics: deps.metrics.registry });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}
