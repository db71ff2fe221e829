/** Where lineage events go and how often running jobs report: the `lineage` config section, resolved. */
export interface LineageOptions {
  namespace: string;
  intervalMs: number;
  /** Events waiting per transport above which new ones are dropped. */
  maxQueue: number;
  http?: { url: string; apiKey?: string; timeoutMs: number; retries: number };
  /** Absolute path of the NDJSON file. */
  file?: string;
}
