/** The join of events with reference data: the `enrichment` config section, paths absolute. */
export interface EnrichmentOptions {
  referenceData?: ReferenceDataOptions;
  onMiss: 'store' | 'dead-letter';
}

export interface ReferenceDataOptions {
  path: string;
  format: 'csv' | 'json';
  key: string;
  /** Path in the event whose value is looked up, split at the dots. */
  joinOn: string[];
  reloadIntervalMs: number;
}
