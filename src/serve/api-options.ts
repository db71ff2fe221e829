/** Where the HTTP server listens: the `server` config section. */
export interface ListenOptions {
  host: string;
  port: number;
  /** Host header names answered besides localhost and IP addresses; a leading dot takes subdomains. */
  allowedHosts: string[];
  cors: { origins: string[] };
  /** How long a request may take to arrive whole; then 408. */
  requestTimeoutMs: number;
  /** HTTPS from these PEM files, re-read when they change; plain HTTP without. */
  tls?: { certPath: string; keyPath: string; reloadIntervalMs: number };
}

/** Who may call the API: the `auth` config section, resolved. */
export interface AuthOptions {
  /** Every request but the public routes needs a key; false only on loopback (or with insecureOpen). */
  required: boolean;
  insecureOpen: boolean;
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
