/** One configured windowed count, ready for the processor: its path split, its windows in ms. */
export interface AggregationConfig {
  name: string;
  match: { source?: string; type?: string };
  /** Dotted path of the grouping field, e.g. payload.page. */
  groupBy: string[];
  /** Name of the grouping field in API rows, the last step of groupBy (`page`). */
  groupField: string;
  windows: Array<{ label: string; ms: number }>;
}

/** Whether a match (an aggregation's, a quality rule's) takes the events of a stream (a source and type). */
export function matchesStream(match: { source?: string; type?: string }, source: string, type: string): boolean {
  return (match.type === undefined || match.type === type) && (match.source === undefined || match.source === source);
}
