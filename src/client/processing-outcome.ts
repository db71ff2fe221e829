import { apiRequest } from './api-client.js';

/** What became of accepted events in processing, as far as the server can tell the client. */
export interface ProcessingOutcome {
  /** Everything in the log when asked was processed within the wait. */
  settled: boolean;
  /** Events still in the log, unprocessed, when the wait ended. */
  backlog: number;
  /** Dead letters written by processing since `since`, by code. */
  deadLettered: Record<string, number>;
}

const POLL_MS = 200;
/** Dead letters are indexed from their topic just after the commit that wrote them: give it a moment. */
const INDEX_GRACE_MS = 600;

/**
 * Waits (up to `waitMs`) for the server to process what it accepted, then counts the dead letters
 * processing wrote since `since` (any client's: the server cannot tell whose). "Accepted" means
 * durable in the log; a quality rule, lateness or enrichment may still refuse an event after that.
 */
export async function processingOutcome(url: string, since: number, waitMs: number): Promise<ProcessingOutcome> {
  const deadline = Date.now() + waitMs;
  let backlog = Number.POSITIVE_INFINITY;
  for (;;) {
    const status = await apiRequest<{ processor?: { backlog?: number } }>(url, 'GET', '/v1/status');
    backlog = status.processor?.backlog ?? 0;
    if (backlog === 0 || Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  if (backlog === 0) await new Promise((r) => setTimeout(r, INDEX_GRACE_MS));
  const deadLettered: Record<string, number> = {};
  let cursor: string | null = null;
  do {
    const path = `/v1/dlq?since=${since}&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const page: { dead_letters: Array<{ stage: string; code: string }>; next_cursor: string | null } = await apiRequest(url, 'GET', path);
    for (const letter of page.dead_letters) if (letter.stage !== 'ingest') deadLettered[letter.code] = (deadLettered[letter.code] ?? 0) + 1;
    cursor = page.next_cursor;
  } while (cursor);
  return { settled: backlog === 0, backlog, deadLettered };
}
