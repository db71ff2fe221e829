import type { LineageStats } from './lineage-stats.js';
import { buildLineageModel, type DatasetKind, type QualityResult } from './lineage-model.js';

/** The body of `GET /v1/lineage`: times as ISO 8601, freshness in seconds before `generatedAt`. */
export interface LineageGraph {
  generatedAt: string;
  /** The job namespace (config lineage.namespace). */
  namespace: string;
  datasets: Array<{
    id: string;
    namespace: string;
    name: string;
    kind: DatasetKind;
    description: string;
    fields: Array<{ name: string; type: string; description?: string }> | null;
    contract: { subject: string; version: number } | null;
    records: number | null;
    bytes: number | null;
    lastEventAt: string | null;
    freshnessSeconds: number | null;
    quality: QualityResult[];
  }>;
  jobs: Array<{
    id: string;
    namespace: string;
    name: string;
    type: 'STREAMING';
    description: string;
    status: 'running' | 'failing';
    error: string | null;
    inputs: string[];
    outputs: string[];
  }>;
  edges: Array<{ from: string; to: string; events: number | null; lastEventAt: string | null; freshnessSeconds: number | null }>;
}

/** The lineage graph of a stats snapshot, with the dataset and job identities of the OpenLineage events. */
export function buildLineageGraph(stats: LineageStats, options: { namespace: string }): LineageGraph {
  const model = buildLineageModel(stats, options.namespace);
  const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
  // A clock step or another node's time can put an event after `now`; it is then fresh, not negative.
  const freshness = (t: number | null) => (t === null ? null : Math.max(0, Math.round((stats.now - t) / 100) / 10));
  return {
    generatedAt: new Date(stats.now).toISOString(),
    namespace: options.namespace,
    datasets: model.datasets.map((d) => ({
      id: d.id,
      namespace: d.namespace,
      name: d.name,
      kind: d.kind,
      description: d.description,
      fields: d.fields ?? null,
      contract: d.contract ?? null,
      records: d.records,
      bytes: d.bytes,
      lastEventAt: iso(d.lastEventAt),
      freshnessSeconds: freshness(d.lastEventAt),
      quality: d.quality ?? [],
    })),
    jobs: model.jobs.map((j) => ({
      id: j.id,
      namespace: j.namespace,
      name: j.name,
      type: 'STREAMING' as const,
      description: j.description,
      status: j.failing === null ? ('running' as const) : ('failing' as const),
      error: j.failing,
      inputs: j.inputs.map((d) => d.id),
      outputs: j.outputs.map((d) => d.id),
    })),
    edges: model.edges.map((e) => ({ from: e.from, to: e.to, events: e.events, lastEventAt: iso(e.lastEventAt), freshnessSeconds: freshness(e.lastEventAt) })),
  };
}
