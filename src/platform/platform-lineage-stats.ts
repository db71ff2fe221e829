import { isProbeEvent } from '../core/probe-event.js';
import { totalsByDataset, type ColdStore } from '../core/ports/cold-store.js';
import { ColdTables } from '../lakehouse/cold-tables.js';
import type { IcebergTable } from '../lakehouse/iceberg/iceberg-table.js';
import { currentSnapshot } from '../lakehouse/iceberg/table-metadata.js';
import type { StoreAdmin } from '../core/ports/store-admin.js';
import type { Log } from '../core/ports/log.js';
import type { ReferenceData } from '../core/ports/reference-data.js';
import type { IngestCounters } from '../ingest/ingest-service.js';
import type { ProcessorCounters } from '../process/processor-counters.js';
import type { QualityRuleConfig } from '../quality/quality-rules.js';
import type { SchemaRegistry } from '../registry/schema-registry.js';
import { subjectFor } from '../core/subject.js';
import { contractFields } from '../lineage/contract-fields.js';
import type { LineageStats } from '../lineage/lineage-stats.js';

/** What a platform in one process hands the lineage snapshot. */
export interface PlatformLineageSources {
  node: string;
  dataDir: string;
  logDir: string;
  ingestEndpoint: () => string;
  log: Log;
  eventsTopic: string;
  deadLetterTopic: string;
  pipeline: string;
  hot: StoreAdmin;
  cold: ColdStore & { root: string };
  registry: SchemaRegistry;
  reference: ReferenceData | undefined;
  rules: QualityRuleConfig[];
  sources: () => Array<{ source: string; type: string; events: number; lastAcceptedAt: number | null }>;
  ingest: () => IngestCounters;
  deadLetteredAtIngest: () => number;
  processor: () => { counters: ProcessorCounters; watermark: number | null; lastBatchAt: number; failing: string | null };
  quality: () => Array<{ dataset: string; rule: string; severity: string; passed: number; failed: number }>;
  archived: () => { rows: Record<string, number>; lastError: string | null; lifecycle: LineageStats['cold']['lifecycle']; tierFolder: string };
}

/** Rows in the current snapshot of the cold tables, by dataset (`events`, `aggregates`: all aggregations). */
async function rowsInTables(cold: ColdStore): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const table of await new ColdTables(cold).all().catch((): IcebergTable[] => [])) {
    const loaded = await table.load().catch(() => undefined);
    const rows = Number((loaded && currentSnapshot(loaded.metadata)?.summary['total-records']) ?? 0);
    const dataset = table.base.split('/')[0]!;
    out.set(dataset, (out.get(dataset) ?? 0) + rows);
  }
  return out;
}

/** The plain-data lineage snapshot of an embedded platform, read from its parts. */
export function platformLineageStats(s: PlatformLineageSources): () => Promise<LineageStats> {
  const kinds = new Map(s.rules.map((r) => [r.name, r.check]));
  return async () => {
    const now = Date.now();
    const processor = s.processor();
    const ingest = s.ingest();
    const [hotStats, columns, coldFiles, tableRows] = await Promise.all([s.hot.stats(), s.hot.columns(), s.cold.list(''), rowsInTables(s.cold)]);
    const columnsOf = new Map(columns.map((t) => [t.table, t.columns]));
    const archived = s.archived();
    const ref = s.reference?.info();
    return {
      now,
      node: s.node,
      dataDir: s.dataDir,
      ingestEndpoint: s.ingestEndpoint(),
      logNamespace: `file://${s.node}`,
      logDir: s.logDir,
      // The probe's stream is the platform's own canary, not a source of the user's data.
      sources: s.sources().filter(({ source, type }) => !isProbeEvent(source, type)).map(({ source, type, events, lastAcceptedAt }) => {
        const subject = subjectFor(source, type);
        const latest = s.registry.listSubjects().includes(subject) ? s.registry.findVersion(subject, 'latest') : undefined;
        let schema: LineageStats['sources'][number]['schema'];
        if (latest) {
          try {
            schema = { subject, version: latest.version, fields: contractFields(latest.schemaType, latest.schema) };
          } catch {
            schema = undefined;
          }
        }
        return { source, type, events, lastEventAt: lastAcceptedAt, ...(schema && { schema }) };
      }),
      ingest: { topic: s.eventsTopic, accepted: ingest.accepted, rejected: ingest.rejected, deadLettered: s.deadLetteredAtIngest(), bytes: ingest.bytes },
      deadLetterTopic: s.deadLetterTopic,
      topics: s.log.stats().topics.map((t) => ({
        topic: t.topic,
        partitions: t.partitions.length,
        records: t.partitions.reduce((n, p) => n + p.endOffset, 0),
        bytes: t.partitions.reduce((n, p) => n + p.bytes, 0),
        lastAppendAt: null,
      })),
      process: {
        pipeline: s.pipeline,
        topic: s.eventsTopic,
        processed: processor.counters.processed,
        stored: processor.counters.stored,
        duplicates: processor.counters.duplicates,
        late: processor.counters.late,
        deadLettered: processor.counters.deadLettered,
        watermark: processor.watermark,
        lastCommitAt: processor.lastBatchAt,
        failing: processor.failing,
      },
      reference: ref ? { path: ref.source, rows: ref.rows, loadedAt: ref.loadedAt, lastError: ref.lastError } : null,
      quality: s.quality().map((q) => ({
        dataset: q.dataset,
        rule: q.rule,
        kind: kinds.get(q.rule) ?? 'unknown',
        severity: q.severity === 'warn' ? 'warn' : 'error',
        passed: q.passed,
        failed: q.failed,
      })),
      hot: {
        file: hotStats.file,
        tables: hotStats.tables.filter((t) => columnsOf.has(t.table)).map((t) => ({ table: t.table, rows: t.rows, columns: columnsOf.get(t.table)! })),
      },
      cold: {
        root: s.cold.root,
        // The audit log's export is the platform's record, not an output of the pipeline's.
        // Rows as the tables' current snapshots count them: right after a restart, and after retention.
        datasets: [...totalsByDataset(coldFiles)].filter(([dataset]) => dataset !== 'audit').map(([dataset, totals]) => ({ dataset, files: totals.files, rows: tableRows.get(dataset) ?? archived.rows[dataset] ?? 0, bytes: totals.bytes, lastFileAt: null })),
        lastError: archived.lastError,
        lifecycle: archived.lifecycle,
        tierFolder: archived.tierFolder,
      },
    };
  };
}
