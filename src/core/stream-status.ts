/** One stream's event time as status and the live page show it: what explains a late event. */
export interface StreamStatus {
  stream: string;
  watermark: number | null;
  /** Its events older than this are late now. */
  late_before: number | null;
  /** Its windows ending by this are final. */
  final_through: number | null;
  newest_event: number | null;
  last_event_at: number | null;
  idle: boolean;
  watermark_delay_ms: number;
  allowed_lateness_ms: number;
  idle_timeout_ms: number;
}
