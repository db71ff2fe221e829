import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Ajv } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { parseDuration } from '../core/duration.js';
import { SightlineError } from '../core/errors.js';
import type { AlertsConfig } from '../alerts/alerts-options.js';
import type { ContractsOptions } from '../contracts/contracts-options.js';
import type { IngestOptions } from '../ingest/ingest-options.js';
import type { LineageOptions } from '../lineage/lineage-options.js';
import type { LogOptions } from '../log/log-options.js';
import type { ProbeOptions, TracesOptions } from '../observe/observe-options.js';
import type { AggregationConfig } from '../process/aggregation-options.js';
import type { EnrichmentOptions } from '../process/enrichment-options.js';
import type { ProcessOptions } from '../process/process-options.js';
import type { QualityRuleConfig, QualitySpec } from '../quality/quality-rules.js';
import type { ApiOptions, ListenOptions } from '../serve/api-options.js';
import type { ColdStoreOptions, HotStoreOptions } from '../store/store-options.js';
import { CONFIG_SCHEMA } from './schema.js';
import { resolveAlertsConfig } from './alerts-config.js';

/** The whole configuration, resolved: each section typed by the options of the component that reads it. */
export interface SightlineConfig {
  dataDir: string;
  server: ListenOptions;
  log: LogOptions;
  ingest: IngestOptions;
  process: ProcessOptions;
  enrichment: EnrichmentOptions;
  quality: QualitySpec;
  contracts: ContractsOptions;
  aggregations: AggregationConfig[];
  hot: HotStoreOptions;
  cold: ColdStoreOptions;
  api: ApiOptions;
  probe: ProbeOptions;
  traces: TracesOptions;
  alerts: AlertsConfig;
  lineage: LineageOptions;
  logLevels: Record<string, string>;
  logLevel: string;
}

const ajv = new Ajv({ useDefaults: true, allErrors: true, strict: false });
const validate = ajv.compile(CONFIG_SCHEMA);

/** Validates raw config (from a file or an object) and turns it into typed, resolved values. */
export function buildConfig(raw: unknown, baseDir = process.cwd()): SightlineConfig {
  const doc = structuredClone(raw ?? {}) as Record<string, unknown>;
  // A data folder named in a config file is relative to that file; the default one is relative
  // to where the command runs, as a user expects of ./sightline-data.
  const dataDirBase = doc.dataDir === undefined ? process.cwd() : baseDir;
  if (!validate(doc)) {
    const details = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ');
    throw new SightlineError('SL_CONFIG_INVALID', `configuration is invalid: ${details}`);
  }
  const c = doc as any;
  const aggregations: AggregationConfig[] = c.aggregations.map((a: any) => {
    const path = String(a.groupBy).split('.');
    return {
      name: a.name,
      match: a.match ?? {},
      groupBy: path,
      groupField: path[path.length - 1]!,
      windows: (a.windows as string[]).map((label) => ({ label, ms: parseDuration(label) })),
    };
  });
  const names = new Set<string>();
  for (const a of aggregations) {
    if (names.has(a.name)) throw new SightlineError('SL_CONFIG_INVALID', `aggregation "${a.name}" is declared twice`);
    names.add(a.name);
  }
  // An event is stored as one log record with its id as key and a few headers: keep headroom.
  if (c.ingest.maxEventBytes + 64 * 1024 > c.log.maxRecordBytes) {
    throw new SightlineError('SL_CONFIG_INVALID', `ingest.maxEventBytes (${c.ingest.maxEventBytes}) must be at least 64 KiB below log.maxRecordBytes (${c.log.maxRecordBytes})`);
  }
  const ref = c.enrichment.referenceData;
  return {
    dataDir: resolve(dataDirBase, c.dataDir),
    server: c.server,
    log: {
      partitions: c.log.partitions,
      segmentBytes: c.log.segmentBytes,
      maxRecordBytes: c.log.maxRecordBytes,
      retentionMs: parseDuration(c.log.retention),
      ...(c.log.kafka && {
        kafka: {
          bootstrap: c.log.kafka.bootstrap,
          topicPrefix: c.log.kafka.topicPrefix,
          replicationFactor: c.log.kafka.replicationFactor,
          minInsyncReplicas: c.log.kafka.minInsyncReplicas,
          sessionTimeoutMs: parseDuration(c.log.kafka.sessionTimeout),
        },
      }),
    },
    ingest: { ...c.ingest, maxFutureSkewMs: parseDuration(c.ingest.maxFutureSkew) },
    process: {
      batchSize: c.process.batchSize,
      dedupWindowMs: parseDuration(c.process.dedupWindow),
      allowedLatenessMs: parseDuration(c.process.allowedLateness),
      watermarkDelayMs: parseDuration(c.process.watermarkDelay),
      plannerThread: c.process.plannerThread,
      lateEvents: c.process.lateEvents,
    },
    enrichment: {
      onMiss: c.enrichment.onMiss,
      ...(ref && {
        referenceData: {
          path: resolve(baseDir, ref.path),
          format: ref.format ?? (String(ref.path).toLowerCase().endsWith('.csv') ? 'csv' : 'json'),
          key: ref.key,
          joinOn: String(ref.joinOn).split('.'),
          reloadIntervalMs: parseDuration(ref.reloadInterval),
        },
      }),
    },
    quality: { bucketMs: parseDuration(c.quality.bucket), rules: qualityRules(c.quality.rules) },
    contracts: {
      unknown: c.contracts.unknown,
      defaultCompatibility: c.contracts.defaultCompatibility,
      // A schema file's type follows its extension (.avsc is Avro) unless given.
      register: c.contracts.register.map((r: any) => ({
        subject: r.subject,
        path: resolve(baseDir, r.path),
        schemaType: r.schemaType ?? (String(r.path).toLowerCase().endsWith('.avsc') ? 'AVRO' : 'JSON'),
      })),
      acceptedVersions: c.contracts.acceptedVersions,
    },
    aggregations,
    hot: { memoryLimit: c.hot.memoryLimit },
    cold: { rollRows: c.cold.rollRows, rollIntervalMs: parseDuration(c.cold.rollInterval) },
    api: c.api,
    probe: { intervalMs: parseDuration(c.probe.interval), timeoutMs: parseDuration(c.probe.timeout) },
    traces: c.traces,
    alerts: resolveAlertsConfig(c.alerts),
    lineage: {
      namespace: c.lineage.namespace,
      intervalMs: parseDuration(c.lineage.interval),
      maxQueue: c.lineage.maxQueue,
      ...(c.lineage.http && {
        http: {
          url: c.lineage.http.url,
          ...(c.lineage.http.apiKey !== undefined && { apiKey: c.lineage.http.apiKey }),
          timeoutMs: parseDuration(c.lineage.http.timeout),
          retries: c.lineage.http.retries,
        },
      }),
      // Lineage output is data the platform writes, so it lives with the data unless told otherwise.
      ...(c.lineage.file !== undefined && { file: resolve(resolve(dataDirBase, c.dataDir), c.lineage.file) }),
    },
    logLevels: c.logLevels,
    logLevel: c.logLevel,
  };
}

function qualityRules(raw: any[]): QualityRuleConfig[] {
  const names = new Set<string>();
  return raw.map((r) => {
    if (names.has(r.name)) throw new SightlineError('SL_CONFIG_INVALID', `quality rule "${r.name}" is declared twice`);
    names.add(r.name);
    if ((r.check === 'range' || r.check === 'length') && r.min !== undefined && r.max !== undefined && r.min > r.max) {
      throw new SightlineError('SL_CONFIG_INVALID', `quality rule "${r.name}": min (${r.min}) is above max (${r.max})`);
    }
    if (r.check === 'regex') {
      try {
        new RegExp(r.pattern, 'u');
      } catch (err) {
        throw new SightlineError('SL_CONFIG_INVALID', `quality rule "${r.name}": pattern is not a valid regular expression: ${(err as Error).message}`);
      }
    }
    const { maxFuture, maxPast, ...rest } = r;
    return {
      ...rest,
      ...(maxFuture !== undefined && { maxFutureMs: parseDuration(maxFuture) }),
      ...(maxPast !== undefined && { maxPastMs: parseDuration(maxPast) }),
    } as QualityRuleConfig;
  });
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
