/**
 * The OpenLineage facets Sightline emits, each stamped with `_producer` and the `_schemaURL` of the
 * exact facet schema version its fields follow (test/fixtures/openlineage holds those schemas,
 * and every emitted facet is validated against the one its URL names).
 */

export const RUN_EVENT_SCHEMA_URL = 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent';

/** `$id` of each facet schema and the facet's definition in it. */
export const FACET_SCHEMA_URLS = {
  jobType: 'https://openlineage.io/spec/facets/2-0-2/JobTypeJobFacet.json#/$defs/JobTypeJobFacet',
  jobDocumentation: 'https://openlineage.io/spec/1-0-1/DocumentationJobFacet.json#/$defs/DocumentationJobFacet',
  errorMessage: 'https://openlineage.io/spec/facets/1-0-0/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet',
  schema: 'https://openlineage.io/spec/facets/1-0-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet',
  dataSource: 'https://openlineage.io/spec/1-0-1/DatasourceDatasetFacet.json#/$defs/DatasourceDatasetFacet',
  datasetDocumentation: 'https://openlineage.io/spec/1-0-1/DocumentationDatasetFacet.json#/$defs/DocumentationDatasetFacet',
  outputStatistics: 'https://openlineage.io/spec/1-0-1/OutputStatisticsOutputDatasetFacet.json#/$defs/OutputStatisticsOutputDatasetFacet',
  dataQualityAssertions: 'https://openlineage.io/spec/facets/1-0-0/DataQualityAssertionsDatasetFacet.json#/$defs/DataQualityAssertionsDatasetFacet',
} as const;

export interface BaseFacet {
  _producer: string;
  _schemaURL: string;
}

export type RunEventType = 'START' | 'RUNNING' | 'COMPLETE' | 'ABORT' | 'FAIL' | 'OTHER';

export interface OpenLineageDataset {
  namespace: string;
  name: string;
  facets?: Record<string, BaseFacet>;
}

export interface RunEvent {
  eventType: RunEventType;
  eventTime: string;
  run: { runId: string; facets?: Record<string, BaseFacet> };
  job: { namespace: string; name: string; facets?: Record<string, BaseFacet> };
  inputs: Array<OpenLineageDataset & { inputFacets?: Record<string, BaseFacet> }>;
  outputs: Array<OpenLineageDataset & { outputFacets?: Record<string, BaseFacet> }>;
  producer: string;
  schemaURL: string;
}

/** Builds facets for one producer URI. */
export function facetBuilder(producer: string) {
  const base = (url: string): BaseFacet => ({ _producer: producer, _schemaURL: url });
  return {
    jobType: (jobType: string) => ({ ...base(FACET_SCHEMA_URLS.jobType), processingType: 'STREAMING', integration: 'SIGHTLINE', jobType }),
    jobDocumentation: (description: string) => ({ ...base(FACET_SCHEMA_URLS.jobDocumentation), description }),
    // ErrorMessageRunFacet requires the language of the failing system; Sightline runs on Node.js.
    errorMessage: (message: string) => ({ ...base(FACET_SCHEMA_URLS.errorMessage), message, programmingLanguage: 'JAVASCRIPT' }),
    schema: (fields: ReadonlyArray<{ name: string; type: string; description?: string }>) => ({
      ...base(FACET_SCHEMA_URLS.schema),
      fields: fields.map((f) => ({ name: f.name, type: f.type, ...(f.description !== undefined && { description: f.description }) })),
    }),
    dataSource: (name: string, uri: string) => ({ ...base(FACET_SCHEMA_URLS.dataSource), name, uri }),
    datasetDocumentation: (description: string) => ({ ...base(FACET_SCHEMA_URLS.datasetDocumentation), description }),
    outputStatistics: (rowCount: number, size: number | null) => ({
      ...base(FACET_SCHEMA_URLS.outputStatistics),
      rowCount,
      ...(size !== null && { size }),
    }),
    dataQualityAssertions: (assertions: ReadonlyArray<{ assertion: string; success: boolean; column?: string }>) => ({
      ...base(FACET_SCHEMA_URLS.dataQualityAssertions),
      assertions: assertions.map((a) => ({ ...a })),
    }),
  };
}
