/** Reference data for enrichment: a keyed lookup that may be reloaded behind the caller's back. */
export interface ReferenceData {
  lookup(key: string): Record<string, unknown> | undefined;
  /** Rows loaded and when; for status and metrics. */
  info(): { rows: number; loadedAt: number | null; source: string; lastError: string | null };
  close(): Promise<void>;
}
