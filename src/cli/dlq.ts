import { apiRequest } from '../client/api-client.js';
import { SightlineError } from '../core/errors.js';
import { bar, ProgressLine } from './progress.js';

interface FilterOptions {
  url: string;
  stage?: string;
  code?: string;
  rule?: string;
  source?: string;
  type?: string;
  since?: string;
  until?: string;
  eventId?: string;
}

interface Entry {
  id: string;
  at: number;
  stage: string;
  code: string;
  rule: string | null;
  message: string;
  event_id: string | null;
  source: string | null;
  type: string | null;
  replay: { outcome: string; code?: string } | null;
}

const PAGE = 1000;
const REPLAY_CHUNK = 200;

function filterQuery(o: FilterOptions, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams(extra);
  const set = (name: string, value: string | undefined): void => {
    if (value !== undefined) params.set(name, value);
  };
  set('stage', o.stage);
  set('code', o.code);
  set('rule', o.rule);
  set('source', o.source);
  set('type', o.type);
  set('since', o.since);
  set('until', o.until);
  set('event_id', o.eventId);
  return params.toString();
}

/** Every dead letter matching the filter, newest first, following the cursor. */
async function* matching(o: FilterOptions, extra: Record<string, string> = {}, limit = Number.POSITIVE_INFINITY): AsyncGenerator<Entry> {
  let cursor: string | null = null;
  let seen = 0;
  do {
    const page = Math.min(PAGE, limit - seen);
    const query: string = filterQuery(o, { ...extra, limit: String(page), ...(cursor && { cursor }) });
    const doc: { dead_letters: Entry[]; next_cursor: string | null } = await apiRequest(o.url, 'GET', `/v1/dlq?${query}`);
    for (const entry of doc.dead_letters) {
      yield entry;
      if (++seen >= limit) return;
    }
    cursor = doc.next_cursor;
  } while (cursor);
}

const print = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** Producers choose ids, sources and messages: control characters must not reach the terminal. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const safe = (text: string | null): string => (text ?? '-').replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

/** `sightline dlq list`: one line per dead letter, newest first. */
export async function listDeadLetters(options: FilterOptions & { limit: string; json: boolean }): Promise<void> {
  const entries: Entry[] = [];
  for await (const entry of matching(options, {}, Number(options.limit))) entries.push(entry);
  if (options.json) {
    print(JSON.stringify(entries, null, 2));
    return;
  }
  if (entries.length === 0) {
    print('no dead letters match');
    return;
  }
  for (const e of entries) {
    const what = safe([e.source, e.type].filter(Boolean).join('.') || '-');
    const replay = e.replay ? ` [replay: ${e.replay.outcome}${e.replay.code ? ` ${e.replay.code}` : ''}]` : '';
    print(`${e.id}  ${new Date(e.at).toISOString()}  ${e.stage.padEnd(7)} ${e.code}${e.rule ? ` (${safe(e.rule)})` : ''}  ${what}  ${safe(e.event_id)}${replay}`);
    print(`    ${safe(e.message)}`);
  }
}

/** `sightline dlq show ID`: the whole dead letter with its original event. */
export async function showDeadLetter(id: string, options: { url: string }): Promise<void> {
  print(JSON.stringify(await apiRequest(options.url, 'GET', `/v1/dlq/${encodeURIComponent(id)}`), null, 2));
}

/**
 * `sightline dlq replay [IDS...]`: replays the named dead letters, or every one the filter matches
 * that was not replayed yet, in chunks, with a progress bar; exits 1 when some fail again.
 */
export async function replayDeadLetters(ids: string[], options: FilterOptions & { includeReplayed: boolean; dryRun: boolean; quiet: boolean }): Promise<void> {
  const filtered = [options.stage, options.code, options.rule, options.source, options.type, options.since, options.until, options.eventId].some((v) => v !== undefined);
  if (ids.length === 0 && !filtered) {
    throw new SightlineError('SL_CLI_USAGE', 'name dead letters to replay, or select them with a filter (--code, --rule, --stage, --source, --type, --since, --until, --event-id)');
  }
  let selected = ids;
  if (ids.length === 0) {
    selected = [];
    for await (const entry of matching(options, options.includeReplayed ? {} : { replayed: 'false' })) selected.push(entry.id);
    // Oldest first: events go back into the log in the order they first failed.
    selected.reverse();
  }
  if (options.dryRun) {
    print(`${selected.length} dead letters would be replayed`);
    return;
  }
  const progress = new ProgressLine(options.quiet);
  const totals = { replayed: 0, duplicates: 0, failed: 0, skipped: 0, not_found: 0 };
  const failures: Array<{ id: string; code?: string; message?: string }> = [];
  let settled = true;
  for (let i = 0; i < selected.length; i += REPLAY_CHUNK) {
    const chunk = selected.slice(i, i + REPLAY_CHUNK);
    const report = await apiRequest<{
      replayed: number;
      duplicates: number;
      failed: number;
      skipped: number;
      not_found: number;
      settled: boolean;
      results: Array<{ id: string; outcome: string; code?: string; message?: string }>;
    }>(options.url, 'POST', '/v1/dlq/replay', { ids: chunk, include_replayed: options.includeReplayed });
    totals.replayed += report.replayed;
    totals.duplicates += report.duplicates;
    totals.failed += report.failed;
    totals.skipped += report.skipped;
    totals.not_found += report.not_found;
    settled &&= report.settled;
    for (const r of report.results) if (r.outcome === 'failed' || r.outcome === 'not_found') failures.push(r);
    progress.show(`replay ${bar(Math.min(i + chunk.length, selected.length), selected.length)} · replayed ${totals.replayed} · failed again ${totals.failed}`, true);
  }
  progress.done();
  print(
    `replayed ${totals.replayed}, duplicates ${totals.duplicates} (stored already), failed again ${totals.failed}, skipped ${totals.skipped} (replayed before), not found ${totals.not_found}` +
      (settled ? '' : ' — processing had not finished when the answer came; check `sightline dlq list` for late outcomes'),
  );
  for (const f of failures.slice(0, 50)) print(`  ${f.id}: ${f.code ?? 'not found'}${f.message ? ` ${safe(f.message)}` : ''}`);
  if (failures.length > 50) print(`  ... and ${failures.length - 50} more`);
  if (failures.length > 0) process.exitCode = 1;
}
