import type { IngestRoutesOptions } from '../ingest/routes.js';
import type { QualityRoutesOptions } from './routes/quality.js';

/** Where the HTTP server listens: the `server` config section. */
export interface ListenOptions {
  host: string;
  port: number;
}

/** Page sizes of the list endpoints: the `api` config section. */
export interface ApiOptions {
  defaultLimit: number;
  maxLimit: number;
}

/** A configured aggregation as the query API reads it: the name, the group field, the window sizes. */
export interface ServedAggregation {
  name: string;
  /** The query parameter and row field that hold the group (`page` for page-views). */
  groupField: string;
  windows: Array<{ label: string; ms: number }>;
}

/** What the server reads of the configuration to register its routes, each part as its routes take it. */
export interface ServerConfig {
  ingest: Pick<IngestRoutesOptions, 'maxBodyBytes' | 'maxEventsPerBatch'>;
  api: ApiOptions;
  aggregations: ServedAggregation[];
  quality: Pick<QualityRoutesOptions, 'rules'>;
}
