import type { LineageDataset, LineageJob, LineageModel } from './lineage-model.js';
import { facetBuilder, RUN_EVENT_SCHEMA_URL, type BaseFacet, type RunEvent, type RunEventType } from './openlineage-facets.js';

export interface RunEventInput {
  eventType: RunEventType;
  eventTime: number;
  runId: string;
  job: LineageJob;
  model: LineageModel;
  producer: string;
  /** For FAIL: why (an ErrorMessageRunFacet). */
  error?: string;
}

/** Kinds of job by what they do, for JobTypeJobFacet.jobType (integration-specific in the spec). */
const JOB_TYPES: Record<string, string> = { 'sightline.ingest': 'INGEST', 'sightline.archive': 'ARCHIVE', 'sightline.lifecycle': 'MAINTENANCE' };

/**
 * One OpenLineage RunEvent (spec 2-0-2) for a streaming job: its inputs and outputs with their
 * schema, data source and documentation facets, output statistics on what it wrote, and data
 * quality assertions on what the pipeline checked.
 */
export function buildRunEvent(input: RunEventInput): RunEvent {
  const f = facetBuilder(input.producer);
  const { job, model } = input;
  const datasetFacets = (d: LineageDataset): Record<string, BaseFacet> => ({
    ...(d.fields && d.fields.length > 0 && { schema: f.schema(d.fields) }),
    dataSource: f.dataSource(d.namespace, d.namespace),
    documentation: f.datasetDocumentation(d.description),
  });
  // Quality rules run in the pipeline on what it reads: their results go on the topic it consumes.
  const readsEvents = job.inputs.find((d) => d.kind === 'topic');
  const assertions = model.datasets
    .filter((d) => d.kind === 'source')
    .flatMap((d) => (d.quality ?? []).map((q) => ({ assertion: `${d.name}: ${q.rule} (${q.kind}, ${q.severity})`, success: q.failed === 0 })));
  return {
    eventType: input.eventType,
    eventTime: new Date(input.eventTime).toISOString(),
    run: {
      runId: input.runId,
      ...(input.error !== undefined && { facets: { errorMessage: f.errorMessage(input.error) } }),
    },
    job: {
      namespace: job.namespace,
      name: job.name,
      facets: {
        jobType: f.jobType(JOB_TYPES[job.name] ?? 'PIPELINE'),
        documentation: f.jobDocumentation(job.description),
      },
    },
    inputs: job.inputs.map((d) => ({
      namespace: d.namespace,
      name: d.name,
      facets: datasetFacets(d),
      ...(d === readsEvents && job.name.startsWith('sightline.process.') && assertions.length > 0 && { inputFacets: { dataQualityAssertions: f.dataQualityAssertions(assertions) } }),
    })),
    outputs: job.outputs.map((d) => ({
      namespace: d.namespace,
      name: d.name,
      facets: datasetFacets(d),
      ...(d.records !== null && { outputFacets: { outputStatistics: f.outputStatistics(d.records, d.bytes) } }),
    })),
    producer: input.producer,
    schemaURL: RUN_EVENT_SCHEMA_URL,
  };
}
