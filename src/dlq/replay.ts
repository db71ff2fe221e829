import type { DeadLetterEntry } from '../core/ports/dead-letter-index.js';
import type { DeadLetterIndex } from '../core/ports/dead-letter-index.js';
import type { BatchStore } from '../core/ports/hot-store.js';
import { canonicalDeadLetterId, REPLAY_OF_HEADER, type ReplayOutcome } from '../core/dead-letter.js';
import { isPlainObject, type SightlineEvent } from '../core/envelope.js';
import type { BatchItem, EventIntake, IngestResult } from '../core/ports/event-intake.js';
import type { QualitySpec } from '../quality/quality-rules.js';
import { compiledRules } from '../quality/quality-tally.js';
import { ruleApplies } from '../quality/quality-rules.js';
import type { DeadLetterWriter } from '../core/ports/dead-letter-writer.js';
import type { DeadLetterIndexer } from './dead-letter-indexer.js';

export interface ReplayDeps {
  /** The dead letters, and which event ids are stored (a replayed event must not count twice). */
  hot: DeadLetterIndex & Pick<BatchStore, 'existingIds'>;
  dlq: DeadLetterWriter;
  indexer: DeadLetterIndexer;
  ingest: EventIntake;
  quality: QualitySpec;
  lateEvents: 'store' | 'dead-letter';
  /** A stream's events older than this are late (null before its first watermark). */
  lateBefore: (source: string, type: string) => number | null;
  /** Resolves once everything in the log when called is processed (or the timeout passes). */
  processed: (timeoutMs: number) => Promise<boolean>;
}

export interface ReplayResult {
  id: string;
  eventId?: string;
  /** replayed: back in the pipeline and stored; duplicate: its id was stored already; failed: refused again. */
  outcome: ReplayOutcome['outcome'] | 'skipped' | 'not_found';
  code?: string;
  message?: string;
}

export interface ReplayReport {
  results: ReplayResult[];
  replayed: number;
  duplicates: number;
  failed: number;
  skipped: number;
  notFound: number;
  /** False when processing did not finish within the wait: outcomes of processing may still change. */
  settled: boolean;
}

/**
 * Sends dead letters back through the platform after a fix (a schema registered, a rule changed).
 * Each goes through ingest's checks and, before that, the checks processing would make that can
 * be made now (quality rules of severity error, lateness); one that passes is appended with its
 * original id, so dedup keeps a replay from counting an event twice. The outcome of each is
 * written to the dead-letter topic; an event refused again in processing becomes a new dead
 * letter naming this one (replay_of), which also marks this one failed.
 */
export class DeadLetterReplayer {
  constructor(private readonly deps: ReplayDeps) {}

  async replay(ids: readonly string[], options: { includeReplayed?: boolean; waitMs?: number } = {}): Promise<ReplayReport> {
    const { hot, dlq, ingest } = this.deps;
    const now = Date.now();
    const results = new Map<string, ReplayResult>();
    const toIngest: Array<{ entry: DeadLetterEntry; event: Record<string, unknown> }> = [];
    const outcomes: ReplayOutcome[] = [];
    // "0-05" names the same letter as "0-5": each letter is answered once, by its own id.
    const requested = [...new Set(ids.map(canonicalDeadLetterId))];
    for (const id of requested) {
      const entry = await hot.deadLetter(id);
      if (!entry) {
        results.set(id, { id, outcome: 'not_found', message: 'no dead letter with this id' });
        continue;
      }
      const base = { id, ...(entry.eventId !== undefined && { eventId: entry.eventId }) };
      if (!options.includeReplayed && (entry.replay?.outcome === 'replayed' || entry.replay?.outcome === 'duplicate')) {
        results.set(id, { ...base, outcome: 'skipped', message: `already replayed (${entry.replay.outcome}); pass includeReplayed to replay it again` });
        continue;
      }
      if (entry.originalSize !== undefined) {
        const failure = { code: 'SL_EVENT_TOO_LARGE', message: `only the first ${entry.original.length} of the event's ${entry.originalSize} bytes were kept; it cannot be replayed` };
        results.set(id, { ...base, outcome: 'failed', ...failure });
        outcomes.push({ entry: id, outcome: 'failed', at: now, ...failure });
        continue;
      }
      let value: unknown;
      try {
        value = JSON.parse(entry.original.toString('utf8'));
      } catch (err) {
        const failure = { code: 'SL_EVENT_UNPARSEABLE', message: `the original bytes are not JSON: ${(err as Error).message}` };
        results.set(id, { ...base, outcome: 'failed', ...failure });
        outcomes.push({ entry: id, outcome: 'failed', at: now, ...failure });
        continue;
      }
      const refused = isPlainObject(value) ? this.precheck(value, now) : undefined;
      if (refused) {
        results.set(id, { ...base, outcome: 'failed', ...refused });
        outcomes.push({ entry: id, outcome: 'failed', at: now, ...refused });
        continue;
      }
      toIngest.push({ entry, event: value as Record<string, unknown> });
    }
    // Events stored already (replayed before, or never really lost) are duplicates, not replays;
    // so is a second letter of the same event in this request (only one copy may go back).
    const eventIds = toIngest.map((t) => t.entry.eventId).filter((id): id is string => id !== undefined);
    const stored = eventIds.length > 0 ? await hot.existingIds(eventIds) : new Set<string>();
    const sending = new Set<string>();
    const fresh = toIngest.filter(({ entry }) => {
      const id = entry.eventId;
      if (id === undefined) return true;
      const duplicate = stored.has(id) ? 'an event with this id is stored already' : sending.has(id) ? 'another dead letter of this replay carries the same event id' : undefined;
      if (duplicate === undefined) {
        sending.add(id);
        return true;
      }
      results.set(entry.id, { id: entry.id, eventId: id, outcome: 'duplicate', message: duplicate });
      outcomes.push({ entry: entry.id, outcome: 'duplicate', at: now, message: duplicate });
      return false;
    });
    // "replayed" goes into the topic before the events, so a failure in processing, which comes
    // after them, is the last word.
    for (const { entry } of fresh) outcomes.push({ entry: entry.id, outcome: 'replayed', at: now });
    await dlq.recordOutcomes(outcomes);
    const refusedAgain: ReplayOutcome[] = [];
    if (fresh.length > 0) {
      // Each record carries the id of the dead letter it replays.
      const items: BatchItem[] = fresh.map(({ event }) => ({ value: event }));
      const bytes = fresh.reduce((n, { entry }) => n + entry.original.length, 0);
      let result: IngestResult;
      try {
        result = await ingest.ingest(items, bytes, { deadLetter: false, recordHeaders: fresh.map(({ entry }) => ({ [REPLAY_OF_HEADER]: entry.id })) });
      } catch (err) {
        // Nothing of the request reached the log (or not for sure): the letters were not replayed.
        const code = (err as { code?: string }).code ?? 'SL_API_INTERNAL';
        await dlq.recordOutcomes(fresh.map(({ entry }) => ({ entry: entry.id, outcome: 'failed' as const, at: Date.now(), code, message: `the replay could not be appended: ${(err as Error).message}` })));
        throw err;
      }
      const rejections = new Map(result.rejected.map((r) => [r.index, r]));
      fresh.forEach(({ entry }, index) => {
        const base = { id: entry.id, ...(entry.eventId !== undefined && { eventId: entry.eventId }) };
        const rejection = rejections.get(index);
        if (rejection) {
          results.set(entry.id, { ...base, outcome: 'failed', code: rejection.code, message: rejection.message });
          refusedAgain.push({ entry: entry.id, outcome: 'failed', at: Date.now(), code: rejection.code, message: rejection.message });
        } else {
          results.set(entry.id, { ...base, outcome: 'replayed' });
        }
      });
    }
    await dlq.recordOutcomes(refusedAgain);
    let settled = true;
    const waitMs = options.waitMs ?? 30_000;
    if (fresh.length > refusedAgain.length) {
      // Processing may still refuse a replayed event (a unique rule, a lookup miss): wait for it,
      // then read the outcome the indexer recorded.
      settled = await this.deps.processed(waitMs);
    }
    await this.deps.indexer.waitUntilCaughtUp(waitMs);
    const replayedIds = [...results.values()].filter((r) => r.outcome === 'replayed' && r.eventId !== undefined).map((r) => r.eventId!);
    const storedNow = settled && replayedIds.length > 0 ? await hot.existingIds(replayedIds) : new Set<string>();
    const dropped: ReplayOutcome[] = [];
    for (const result of results.values()) {
      if (result.outcome !== 'replayed') continue;
      const now = await hot.deadLetter(result.id);
      if (now?.replay?.outcome === 'failed') {
        result.outcome = 'failed';
        if (now.replay.code !== undefined) result.code = now.replay.code;
        if (now.replay.message !== undefined) result.message = now.replay.message;
      } else if (settled && result.eventId !== undefined && !storedNow.has(result.eventId)) {
        // Processed, not refused, not stored: dedup dropped it as a repeat of an event in flight.
        result.outcome = 'duplicate';
        result.message = 'dropped by dedup: an event with this id was being processed';
        dropped.push({ entry: result.id, outcome: 'duplicate', at: Date.now(), message: result.message });
      }
    }
    await dlq.recordOutcomes(dropped);
    const list = requested.map((id) => results.get(id)!);
    const count = (o: ReplayResult['outcome']): number => list.filter((r) => r.outcome === o).length;
    return { results: list, replayed: count('replayed'), duplicates: count('duplicate'), failed: count('failed'), skipped: count('skipped'), notFound: count('not_found'), settled };
  }

  /** The processing checks that can be made before the event is back in the log. */
  private precheck(value: Record<string, unknown>, now: number): { code: string; message: string } | undefined {
    const event = value as unknown as SightlineEvent;
    const lateBefore = typeof event.source === 'string' && typeof event.type === 'string' ? this.deps.lateBefore(event.source, event.type) : null;
    if (this.deps.lateEvents === 'dead-letter' && lateBefore !== null && typeof event.timestamp === 'number' && event.timestamp < lateBefore) {
      return { code: 'SL_EVENT_LATE', message: `event time ${new Date(event.timestamp).toISOString()} is still before ${new Date(lateBefore).toISOString()}: its windows are final` };
    }
    const failures: string[] = [];
    let first: string | undefined;
    for (const rule of compiledRules(this.deps.quality)) {
      if (rule.severity !== 'error' || rule.uniqueField || !ruleApplies(rule, event)) continue;
      const message = rule.check(event, now);
      if (message !== undefined) {
        first ??= rule.name;
        failures.push(`${rule.name} (error): ${message}`);
      }
    }
    return first === undefined ? undefined : { code: 'SL_QUALITY_FAILED', message: failures.join('; ') };
  }
}
