import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { AlertsConfig } from '../alerts/alerts-options.js';
import type { ContractsOptions } from '../contracts/contracts-options.js';
import { availableParallelism } from 'node:os';
import { parseDuration } from '../core/duration.js';
import { SightlineError } from '../core/errors.js';
import { isLoopbackBind } from '../core/loopback.js';
import type { IngestOptions } from '../ingest/ingest-options.js';
import type { LineageOptions } from '../lineage/lineage-options.js';
import type { LogOptions } from '../log/log-options.js';
import type { ProbeOptions, TracesOptions } from '../observe/observe-options.js';
import type { AggregationConfig } from '../process/aggregation-options.js';
import type { EnrichmentOptions } from '../process/enrichment-options.js';
import type { ProcessOptions } from '../process/process-options.js';
import type { QualitySpec } from '../quality/quality-rules.js';
import type { ApiOptions, AuthOptions, ListenOptions } from '../serve/api-options.js';
import type { RateLimits } from '../serve/rate-limits.js';
import type { SqlLimits } from '../sql/duckdb-sql-engine.js';
import type { ConfiguredPipe } from '../pipes/define-pipe.js';
import type { ColdStoreOptions, HotStoreOptions, LifecycleOptions } from '../store/store-options.js';
import { resolveAlertsConfig } from './alerts-config.js';
import { resolveQualitySpec } from './quality-config.js';
import {
  resolveAggregations,
  resolveCold,
  resolveLifecycle,
  resolveContracts,
  resolveEnrichment,
  resolveIngest,
  resolveLineage,
  resolveLog,
  resolveProcess,
} from './resolve-sections.js';
import { validateDocument } from './validate-document.js';

/** The whole configuration, resolved: each section typed by the options of the component that reads it. */
export interface SightlineConfig {
  dataDir: string;
  server: ListenOptions;
  auth: AuthOptions;
  /** Encryption at rest: where the master keys are (read at start); none configured means off. */
  encryption: { keyPath?: string };
  log: LogOptions;
  ingest: IngestOptions;
  process: ProcessOptions;
  enrichment: EnrichmentOptions;
  quality: QualitySpec;
  contracts: ContractsOptions;
  aggregations: AggregationConfig[];
  hot: HotStoreOptions;
  cold: ColdStoreOptions;
  lifecycle: LifecycleOptions;
  api: ApiOptions;
  sql: SqlLimits;
  /** Pipes defined at start, by name (docs/sql.md#pipes). */
  pipes: ConfiguredPipe[];
  rateLimits: RateLimits;
  postgres: { port?: number; host: string; maxConnections: number };
  probe: ProbeOptions;
  traces: TracesOptions;
  alerts: AlertsConfig;
  lineage: LineageOptions;
  logLevels: Record<string, string>;
  logLevel: string;
}

/** Validates raw config (from a file or an object) and turns it into typed, resolved values. */
export function buildConfig(raw: unknown, baseDir = process.cwd()): SightlineConfig {
  const doc = structuredClone(raw ?? {});
  // A data folder named in a config file is relative to that file; the default one is relative
  // to where the command runs, as a user expects of ./sightline-data.
  const dataDirBase = namesDataDir(doc) ? baseDir : process.cwd();
  const c = validateDocument(doc);
  const aggregations = resolveAggregations(c.aggregations);
  // An event is stored as one log record with its id as key and a few headers: keep headroom.
  if (c.ingest.maxEventBytes + 64 * 1024 > c.log.maxRecordBytes) {
    throw new SightlineError('SL_CONFIG_INVALID', `ingest.maxEventBytes (${c.ingest.maxEventBytes}) must be at least 64 KiB below log.maxRecordBytes (${c.log.maxRecordBytes})`);
  }
  const dataDir = resolve(dataDirBase, c.dataDir);
  return {
    dataDir,
    server: {
      host: c.server.host,
      port: c.server.port,
      allowedHosts: c.server.allowedHosts,
      cors: c.server.cors,
      requestTimeoutMs: parseDuration(c.server.requestTimeout),
      ...(c.server.tls && { tls: { certPath: resolve(baseDir, c.server.tls.cert), keyPath: resolve(baseDir, c.server.tls.key), reloadIntervalMs: parseDuration(c.server.tls.reloadInterval) } }),
    },
    auth: { required: c.auth.required ?? !isLoopbackBind(c.server.host), insecureOpen: c.auth.insecureOpen },
    encryption: { ...(c.encryption.keyFile !== undefined && { keyPath: resolve(baseDir, c.encryption.keyFile) }) },
    log: resolveLog(c.log, baseDir),
    ingest: resolveIngest(c.ingest),
    process: resolveProcess(c.process),
    enrichment: resolveEnrichment(c.enrichment, baseDir),
    quality: resolveQualitySpec(c.quality),
    contracts: resolveContracts(c.contracts, baseDir),
    aggregations,
    hot: { ...c.hot, threads: c.hot.threads ?? spareCores() },
    cold: resolveCold(c.cold, baseDir),
    lifecycle: resolveLifecycle(c.lifecycle),
    api: c.api,
    rateLimits: c.rateLimits,
    postgres: { ...(c.postgres.port !== undefined && { port: c.postgres.port }), host: c.postgres.host ?? c.server.host, maxConnections: c.postgres.maxConnections },
    sql: {
      statementTimeoutMs: parseDuration(c.sql.statementTimeout),
      maxRows: c.sql.maxRows,
      maxConcurrent: c.sql.maxConcurrent ?? spareCores(),
      queueTimeoutMs: parseDuration(c.sql.queueTimeout),
      maxColdFiles: c.sql.maxColdFiles,
    },
    pipes: Object.entries(c.pipes).map(([name, pipe]) => ({ name, ...pipe, ...(pipe.path !== undefined && { path: resolve(baseDir, pipe.path) }) })),
    probe: { intervalMs: parseDuration(c.probe.interval), timeoutMs: parseDuration(c.probe.timeout) },
    traces: c.traces,
    alerts: resolveAlertsConfig(c.alerts),
    lineage: resolveLineage(c.lineage, dataDir),
    logLevels: c.logLevels,
    logLevel: c.logLevel,
  };
}

/** The cores but one (at least one): what DuckDB and SQL may take while the event loop keeps one. */
const spareCores = (): number => Math.max(1, availableParallelism() - 1);

function namesDataDir(doc: unknown): boolean {
  return typeof doc === 'object' && doc !== null && 'dataDir' in doc && doc.dataDir !== undefined;
}

/** Reads a YAML or JSON config file (YAML is a superset of JSON); paths in it are relative to it. */
export async function loadConfigFile(path: string | undefined, overrides: Record<string, unknown> = {}): Promise<SightlineConfig> {
  let raw: Record<string, unknown> = {};
  let baseDir = process.cwd();
  if (path) {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      throw new SightlineError('SL_CONFIG_INVALID', `cannot read config file ${path}: ${(err as Error).message}`);
    }
    try {
      raw = (parseYaml(text) as Record<string, unknown> | null) ?? {};
    } catch (err) {
      throw new SightlineError('SL_CONFIG_INVALID', `config file ${path} is not valid YAML or JSON: ${(err as Error).message}`);
    }
    baseDir = dirname(resolve(path));
  }
  return buildConfig(deepMerge(raw, overrides), baseDir);
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const prev = out[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && prev && typeof prev === 'object' && !Array.isArray(prev)
        ? deepMerge(prev as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}
