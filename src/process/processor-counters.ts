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

/** Every counter at zero: a new processor's, and the base a sum over processors starts from. */
export function emptyProcessorCounters(): ProcessorCounters {
  return {
    processed: 0,
    stored: 0,
    duplicates: 0,
    late: 0,
    undecodable: 0,
    enrichmentMisses: 0,
    unaggregated: 0,
    versionMismatches: 0,
    versionMismatchesBySubjectVersion: {},
    deadLettered: 0,
    deadLetteredByCode: {},
    qualityWarnings: 0,
    batches: 0,
    commitFailures: 0,
  };
}

/** Adds `from` into `into`, counter by counter (the counts by code or version too). */
export function addCounters(into: ProcessorCounters, from: ProcessorCounters): void {
  for (const key of Object.keys(into) as Array<keyof ProcessorCounters>) {
    const value = from[key];
    if (typeof value === 'number') (into[key] as number) += value;
    else {
      const target = into[key] as Record<string, number>;
      for (const [k, n] of Object.entries(value)) target[k] = (target[k] ?? 0) + n;
    }
  }
}
