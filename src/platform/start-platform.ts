import { mkdir } from 'node:fs/promises';
import type { SpanExporter } from '@opentelemetry/sdk-trace-node';
import type { Logger } from 'pino';
import type { SightlineConfig } from '../config/config.js';
import { SightlineError } from '../core/errors.js';
import { isLoopbackBind } from '../core/loopback.js';
import { VERSION } from '../core/version.js';
import { createLogger } from '../observe/logging.js';
import { Metrics } from '../observe/metrics.js';
import { SourceTypeCounter } from '../observe/source-type-counter.js';
import { Tracing } from '../observe/tracing.js';
import { QualityStats } from '../quality/quality-stats.js';
import { chooseAdapters, type PlatformAdapters } from './adapters.js';
import type { Component } from './component.js';
import { AlertsComponent } from './components/alerts.js';
import { AuditComponent } from './components/audit.js';
import { PostgresComponent } from './components/postgres.js';
import { HttpComponent } from './components/http.js';
import { KeysComponent } from './components/keys.js';
import { IngestRole } from './components/ingest-role.js';
import { LineageComponent } from './components/lineage.js';
import { LogComponent } from './components/log.js';
import { ProbeComponent } from './components/probe.js';
import { ProcessRole } from './components/process-role.js';
import { RegistryComponent } from './components/registry.js';
import { ServeRole } from './components/serve-role.js';
import { StoresComponent } from './components/stores.js';
import { tracingComponent } from './components/tracing.js';
import { ensureAddressFree } from './address-check.js';
import { NODE, type PlatformContext, platformContext } from './context.js';
import { abandon, type ComponentName, inStartOrder, startInOrder, stopInReverse } from './lifecycle.js';
import { ALL_ROLES, type Role } from './roles.js';
import { ErasuresComponent } from './components/erasures.js';
import { BackfillsComponent } from './components/backfills.js';

export { ALL_ROLES, type Role } from './roles.js';

export interface RunningPlatform {
  url: string;
  /** On a platform's first start only: the admin key's token, to show once. */
  firstAdminToken: string | undefined;
  /** host:port of the Postgres wire protocol, where postgres.port turned it on. */
  postgres: string | undefined;
  config: SightlineConfig;
  logger: Logger;
  /** Stops taking events, processes all accepted ones, flushes both stores. */
  stop(): Promise<void>;
}

export interface PlatformOptions {
  /** Spans also go here (tests read them from an in-memory exporter). */
  spanExporter?: SpanExporter;
  /** Default: all three. Fewer need `log.kafka` (distributed mode). */
  roles?: readonly Role[];
  /** The time lifecycle jobs judge ages by (retention, tiering, snapshot expiry); tests move it. */
  clock?: () => number;
}

/**
 * Starts the platform's roles in this process, on the adapters the configuration chooses
 * (platform/adapters.ts): embedded, everything here on one data folder; on Kafka, any role in any
 * number of processes. Components start in the order of lifecycle.ts and stop in reverse.
 */
export async function startPlatform(config: SightlineConfig, logger: Logger = createLogger(config.logLevel), options: PlatformOptions = {}): Promise<RunningPlatform> {
  refuseOpenNetwork(config);
  await ensureAddressFree(config.server);
  const roles = new Set(options.roles ?? ALL_ROLES);
  const adapters = chooseAdapters(config, roles, NODE);
  const ctx = platformContext({
    config,
    roles,
    logger,
    tracing: new Tracing({ ...config.traces, version: VERSION, ...(options.spanExporter && { exporter: options.spanExporter }) }),
    metrics: new Metrics(adapters.metricComponents),
    clock: options.clock,
  });
  await mkdir(config.dataDir, { recursive: true });
  const parts = assemble(ctx, adapters);
  const components = inStartOrder(parts);
  await startInOrder(components, logger);
  const { http } = parts;
  try {
    for (const component of components) await component.listening?.(http.url);
  } catch (err) {
    await abandon(components, logger);
    throw err;
  }

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      logger.info('stopping: no new events; processing what was accepted');
      await stopInReverse(components, logger);
      logger.info('stopped cleanly');
    })();
    return stopping;
  };
  if (!config.auth.required && !isLoopbackBind(config.server.host)) logger.warn({ host: config.server.host }, 'the API listens beyond loopback and requires no key (--insecure-open): anyone who reaches it may do anything');
  return { url: http.url, firstAdminToken: parts.keys.firstAdminToken, postgres: (parts.postgres as PostgresComponent | undefined)?.address, config, logger, stop };
}

/** Keys may go unrequired on loopback only, unless the start says it accepts the risk. */
function refuseOpenNetwork(config: SightlineConfig): void {
  if (config.auth.required || isLoopbackBind(config.server.host) || config.auth.insecureOpen) return;
  throw new SightlineError(
    'SL_SERVER_OPEN_TO_NETWORK',
    `refusing to listen on ${config.server.host} with auth.required: false: anyone who reaches the port could send, read and delete data. Require keys (remove auth.required: false), listen on 127.0.0.1, or pass --insecure-open to accept the risk`,
  );
}

/** The components this process runs, wired to each other; which ones depends on its roles. */
function assemble(ctx: PlatformContext, adapters: PlatformAdapters): Partial<Record<ComponentName, Component>> & { http: HttpComponent; keys: KeysComponent } {
  const { roles } = ctx;
  const qualityStats = new QualityStats(ctx.metrics.registry);
  const sourceTypes = new SourceTypeCounter(ctx.metrics.registry);
  let process: ProcessRole | undefined;
  let ingest: IngestRole | undefined;
  const logs = new LogComponent(ctx, adapters, () => process?.processing);
  const registry = new RegistryComponent(ctx, logs);
  const stores = roles.has('serve') ? new StoresComponent(ctx, adapters, registry.contractFields) : undefined;
  const keys = new KeysComponent(ctx, logs);
  const audit = new AuditComponent(ctx, logs);
  if (roles.has('process')) process = new ProcessRole(ctx, logs, stores, qualityStats);
  if (roles.has('ingest')) ingest = new IngestRole(ctx, logs, registry, sourceTypes);
  const serve = stores && new ServeRole(ctx, stores, logs, qualityStats, {
    wholePipeline: () => process?.processing?.wholePipeline,
    ingest: () => ingest?.service,
    committedOffsets: () => process?.processing?.committedOffsets(),
    audit: () => audit.audit,
  });
  const parts: Partial<Record<ComponentName, Component>> & { http: HttpComponent; keys: KeysComponent } = {
    tracing: tracingComponent(ctx.tracing),
    stores,
    log: logs,
    registry,
    keys,
    audit,
    lineage: stores && process && ingest && new LineageComponent(ctx, { logs, registry, stores, process, ingest, sourceTypes, qualityStats }),
    serve,
    process,
    ingest,
    erasures: new ErasuresComponent(ctx, logs, audit, serve),
    backfills: stores && new BackfillsComponent(ctx, logs, audit, stores, process),
    http: new HttpComponent(ctx, keys, audit, () => inStartOrder(parts)),
    postgres: serve && new PostgresComponent(ctx, serve, keys, audit),
    probe: ingest && stores && new ProbeComponent(ctx, stores, keys),
    alerts: new AlertsComponent(ctx, { logs, ingest, process, sourceTypes }),
  };
  return parts;
}
