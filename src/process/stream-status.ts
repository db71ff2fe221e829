import type { StreamStatus } from '../core/stream-status.js';
import type { StreamTime } from '../core/ports/processed-batch.js';
import { streamParts } from '../core/window-key.js';
import { isIdle, lateBefore } from './stages/event-time.js';
import { type EventTimeSpec, rulesFor } from './stream-rules.js';

export function streamStatus(spec: EventTimeSpec, times: readonly StreamTime[], now: number): StreamStatus[] {
  return times
    .map((time) => {
      const { source, type } = streamParts(time.stream);
      const rules = rulesFor(spec, source, type);
      const before = lateBefore(time, rules);
      return {
        stream: time.stream,
        watermark: time.watermark,
        late_before: Number.isFinite(before) ? before : null,
        final_through: time.finalizedThrough,
        newest_event: time.maxEventTime,
        last_event_at: time.lastEventAt,
        idle: isIdle({ ...time, rules }, now),
        watermark_delay_ms: rules.watermarkDelayMs,
        allowed_lateness_ms: rules.allowedLatenessMs,
        idle_timeout_ms: rules.idleTimeoutMs,
      };
    })
    .sort((a, b) => a.stream.localeCompare(b.stream));
}
