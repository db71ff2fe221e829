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

/** Whether an aggregation counts the events of a stream (a source and type). */
export function countsStream(agg: AggregationConfig, source: string, type: string): boolean {
  return (agg.match.type === undefined || agg.match.type === type) && (agg.match.source === undefined || agg.match.source === source);
}
