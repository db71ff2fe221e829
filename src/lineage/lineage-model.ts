import type { LineageStats } from './lineage-stats.js';
import { datasetKey, duckDbTableDataset, fileDataset, jobKey, sourceDataset, topicDataset, type DatasetId } from './naming.js';

export type DatasetKind = 'source' | 'topic' | 'reference' | 'table' | 'files';

export interface QualityResult {
  rule: string;
  kind: string;
  severity: 'warn' | 'error';
  passed: number;
  failed: number;
}

export interface LineageDataset extends DatasetId {
  /** `datasetKey` of namespace and name: what edges refer to. */
  id: string;
  kind: DatasetKind;
  description: string;
  /** The schema: a registry contract's fields, a table's columns. */
  fields?: Array<{ name: string; type: string; description?: string }>;
  /** The contract the fields come from. */
  contract?: { subject: string; version: number };
  /** Records (events, rows) the dataset holds or, for a source, has sent; null when unknown. */
  records: number | null;
  bytes: number | null;
  /** When data last arrived in it. */
  lastEventAt: number | null;
  quality?: QualityResult[];
}

export interface LineageJob {
  id: string;
  namespace: string;
  name: string;
  description: string;
  inputs: LineageDataset[];
  outputs: LineageDataset[];
  /** Why the job is not making progress, or null. */
  failing: string | null;
}

/** Data crossing from a dataset into a job or from a job into a dataset. */
export interface LineageEdge {
  from: string;
  to: string;
  /** Records that crossed it (since the counter's start: the process, or durably for stores), null when not counted. */
  events: number | null;
  lastEventAt: number | null;
}

export interface LineageModel {
  datasets: LineageDataset[];
  jobs: LineageJob[];
  edges: LineageEdge[];
}

export const INGEST_JOB = 'sightline.ingest';
export const ARCHIVE_JOB = 'sightline.archive';
export const LIFECYCLE_JOB = 'sightline.lifecycle';
export const processJobName = (pipeline: string) => `sightline.process.${pipeline}`;

/**
 * Sightline's data flow as datasets, the three streaming jobs between them, and the edges with
 * their counts: HTTP sources → ingest → events topic → process → hot tables → archive → Parquet.
 */
export function buildLineageModel(stats: LineageStats, jobNamespace: string): LineageModel {
  const datasets = new Map<string, LineageDataset>();
  const add = (id: DatasetId, rest: Omit<LineageDataset, 'id' | 'namespace' | 'name'>): LineageDataset => {
    const d: LineageDataset = { id: datasetKey(id), ...id, ...rest };
    datasets.set(d.id, d);
    return d;
  };
  const edges: LineageEdge[] = [];
  const edge = (from: string, to: string, events: number | null, lastEventAt: number | null) => edges.push({ from, to, events, lastEventAt });
  const latest = (...times: Array<number | null>) => times.reduce<number | null>((a, t) => (t !== null && (a === null || t > a) ? t : a), null);

  const qualityBySubject = new Map<string, QualityResult[]>();
  for (const q of stats.quality) {
    const list = qualityBySubject.get(q.dataset) ?? [];
    list.push({ rule: q.rule, kind: q.kind, severity: q.severity, passed: q.passed, failed: q.failed });
    qualityBySubject.set(q.dataset, list);
  }

  const sources = stats.sources.map((s) => {
    const subject = `${s.source}.${s.type}`;
    const quality = qualityBySubject.get(subject);
    return add(sourceDataset(stats.ingestEndpoint, s.source, s.type), {
      kind: 'source',
      description: `Events of source "${s.source}" and type "${s.type}" posted to the ingest API`,
      ...(s.schema && { fields: s.schema.fields, contract: { subject: s.schema.subject, version: s.schema.version } }),
      records: s.events,
      bytes: null,
      lastEventAt: s.lastEventAt,
      ...(quality && { quality }),
    });
  });
  const lastSourceEventAt = latest(...stats.sources.map((s) => s.lastEventAt));

  const topicStats = new Map(stats.topics.map((t) => [t.topic, t]));
  const topic = (name: string, description: string) => {
    const t = topicStats.get(name);
    return add(topicDataset(stats.logNamespace, stats.logDir, name), {
      kind: 'topic',
      description,
      records: t?.records ?? null,
      bytes: t?.bytes ?? null,
      lastEventAt: t?.lastAppendAt ?? null,
    });
  };
  const eventsTopic = topic(stats.ingest.topic, `Log topic "${stats.ingest.topic}": every accepted event, durable, keyed by event id`);
  const processTopic = stats.process.topic === stats.ingest.topic ? eventsTopic : topic(stats.process.topic, `Log topic "${stats.process.topic}"`);
  const dlq = stats.deadLetterTopic === null ? null : topic(stats.deadLetterTopic, `Log topic "${stats.deadLetterTopic}": rejected and failed events with their reasons`);

  const ingest: LineageJob = {
    id: jobKey(jobNamespace, INGEST_JOB),
    namespace: jobNamespace,
    name: INGEST_JOB,
    description: 'HTTP ingest: checks each event against its envelope and contract, appends accepted events to the log',
    inputs: sources,
    outputs: dlq ? [eventsTopic, dlq] : [eventsTopic],
    failing: null,
  };
  for (const s of stats.sources) edge(datasetKey(sourceDataset(stats.ingestEndpoint, s.source, s.type)), ingest.id, s.events, s.lastEventAt);
  edge(ingest.id, eventsTopic.id, stats.ingest.accepted, eventsTopic.lastEventAt ?? lastSourceEventAt);
  if (dlq) edge(ingest.id, dlq.id, stats.ingest.deadLettered, null);

  const p = stats.process;
  const reference =
    stats.reference &&
    add(fileDataset(stats.node, stats.reference.path), {
      kind: 'reference',
      description: 'Reference data joined into events by enrichment',
      records: stats.reference.rows,
      bytes: null,
      lastEventAt: stats.reference.loadedAt,
    });
  const hotTables = new Map(
    stats.hot.tables.map((t) => [
      t.table,
      add(duckDbTableDataset(stats.node, stats.hot.file, t.table), {
        kind: 'table',
        description: `Hot store table "${t.table}"`,
        fields: t.columns,
        records: t.rows,
        bytes: null,
        lastEventAt: p.lastCommitAt,
      }),
    ]),
  );
  const processJob: LineageJob = {
    id: jobKey(jobNamespace, processJobName(p.pipeline)),
    namespace: jobNamespace,
    name: processJobName(p.pipeline),
    description: `Processing pipeline "${p.pipeline}": quality rules, dedup by event id, enrichment, windowed aggregation, committed to the hot store exactly once`,
    inputs: reference ? [processTopic, reference] : [processTopic],
    outputs: [...hotTables.values(), ...(dlq ? [dlq] : [])],
    failing: p.failing,
  };
  edge(processTopic.id, processJob.id, p.processed, p.lastCommitAt);
  if (reference && stats.reference) edge(reference.id, processJob.id, null, stats.reference.loadedAt);
  for (const t of hotTables.values()) edge(processJob.id, t.id, t.records, p.lastCommitAt);
  if (dlq) edge(processJob.id, dlq.id, p.deadLettered, null);

  const archiveInputs = new Map<string, LineageDataset>();
  const tierFolder = stats.cold.tierFolder;
  const coldDataset = (c: LineageStats['cold']['datasets'][number], description: string): LineageDataset =>
    add(fileDataset(stats.node, `${stats.cold.root.replace(/\/+$/, '')}/${c.dataset}`), { kind: 'files', description, records: c.rows, bytes: c.bytes, lastEventAt: c.lastFileAt });
  const coldOutputs = stats.cold.datasets
    .filter((c) => c.dataset !== tierFolder)
    .map((c) => {
      const what = c.dataset === 'aggregates' ? 'Iceberg tables (one per aggregation)' : c.dataset === 'contracts' ? 'Iceberg tables (one per contract subject, typed columns)' : 'Iceberg table';
      const out = coldDataset(c, `${what} of "${c.dataset}": Parquet partitioned by day of event time`);
      // The contract tables hold the events again, with the payload's fields as columns.
      const table = hotTables.get(c.dataset === 'contracts' ? 'events' : c.dataset);
      if (table) archiveInputs.set(table.id, table);
      return { out, table, c };
    });
  const archive: LineageJob = {
    id: jobKey(jobNamespace, ARCHIVE_JOB),
    namespace: jobNamespace,
    name: ARCHIVE_JOB,
    description: 'Archiver: exports committed hot-store rows to Parquet in the cold store, by day',
    inputs: [...archiveInputs.values()],
    outputs: coldOutputs.map((o) => o.out),
    failing: stats.cold.lastError,
  };
  for (const { out, table, c } of coldOutputs) {
    if (table) edge(table.id, archive.id, c.rows, c.lastFileAt);
    edge(archive.id, out.id, c.rows, c.lastFileAt);
  }
  const jobs = [ingest, processJob, archive];
  if (stats.cold.lifecycle !== undefined) jobs.push(lifecycleJob(stats, jobNamespace, coldOutputs.map((o) => o.out), coldDataset, edge));

  return { datasets: [...datasets.values()], jobs, edges };
}

/**
 * The lifecycle as a job over the cold tables: it rewrites them (compaction, cold retention,
 * snapshot expiry) and moves old files to the tier folder, so the graph shows where data goes after
 * the archiver too. Counts are the last run's.
 */
function lifecycleJob(
  stats: LineageStats,
  jobNamespace: string,
  tables: LineageDataset[],
  coldDataset: (c: LineageStats['cold']['datasets'][number], description: string) => LineageDataset,
  edge: (from: string, to: string, events: number | null, lastEventAt: number | null) => void,
): LineageJob {
  const run = stats.cold.lifecycle ?? null;
  const tiered = stats.cold.datasets.find((c) => c.dataset === stats.cold.tierFolder);
  const tier = tiered && coldDataset(tiered, `Data files the lifecycle moved to the tier folder "${tiered.dataset}/" (cheaper storage), still named by their tables`);
  const errors = Object.entries(run?.jobs ?? {}).flatMap(([job, r]) => (r?.errors ?? []).map((e) => `${job}: ${e}`));
  const job: LineageJob = {
    id: jobKey(jobNamespace, LIFECYCLE_JOB),
    namespace: jobNamespace,
    name: LIFECYCLE_JOB,
    description: 'Lifecycle of the cold tables: hot retention, compaction, tiering, cold retention and snapshot expiry, per table as configured',
    inputs: tables,
    outputs: tier ? [...tables, tier] : tables,
    failing: errors[0] ?? null,
  };
  const at = run?.at ?? null;
  const rewritten = run ? (run.jobs.compaction?.rows ?? 0) + (run.jobs['cold-retention']?.rows ?? 0) : null;
  // Edges go one way (the graph is drawn as a DAG): from each table into the job, with the rows
  // its last run rewrote or retained out; the job's outputs still name the tables it rewrites.
  for (const t of tables) edge(t.id, job.id, rewritten, at);
  if (tier) edge(job.id, tier.id, run ? (run.jobs.tiering?.rows ?? 0) : null, at);
  return job;
}
