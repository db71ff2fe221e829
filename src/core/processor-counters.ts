/** What a pipeline's processing has counted: totals a checkpoint keeps across restarts. */
export interface ProcessorCounters {
  processed: number;
  stored: number;
  duplicates: number;
  late: number;
  undecodable: number;
  enrichmentMisses: number;
  unaggregated: number;
  /** Events whose contract version is not one the pipeline accepts (contracts.acceptedVersions). */
  versionMismatches: number;
  versionMismatchesBySubjectVersion: Record<string, number>;
  /** Events refused in processing (quality errors, late or unenriched when so configured), by code. */
  deadLettered: number;
  deadLetteredByCode: Record<string, number>;
  /** Events kept with quality warnings in metadata.quality. */
  qualityWarnings: number;
  batches: number;
  commitFailures: number;
}
