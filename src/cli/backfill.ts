import type { BackfillView } from '../core/backfill.js';
import { apiRequest } from '../client/api-client.js';
import { SightlineError } from '../core/errors.js';
import { bar, ProgressLine } from './progress.js';

const print = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

function summary(view: BackfillView): string {
  const c = view.counts;
  return `${c.events} events · ${c.changed} changed · ${c.refused} refused · ${c.windows} windows lowered`;
}

function report(view: BackfillView): void {
  print(`${view.id}  ${view.state}${view.dry_run ? ' (dry run: nothing changed)' : ''}  days ${view.from}..${view.to} (${view.days_done}/${view.days_total} done)  ${summary(view)}`);
  if (view.error) print(`  ${view.error.code}: ${view.error.message}`);
}

/**
 * `sightline backfill --from DAY --to DAY`: asks for a backfill and follows it with a progress bar
 * (days done, then the windows) until it is done; exits 1 if it failed.
 */
export async function backfill(options: { url: string; from: string; to: string; dryRun: boolean; wait: boolean; timeout: string; quiet: boolean }): Promise<void> {
  let view: BackfillView = await apiRequest(options.url, 'POST', '/v1/backfills', { from: options.from, to: options.to, dry_run: options.dryRun });
  const progress = new ProgressLine(options.quiet || !options.wait);
  const deadline = Date.now() + Number(options.timeout) * 1000;
  while (options.wait && (view.state === 'pending' || view.state === 'running') && Date.now() < deadline) {
    progress.show(`backfill ${view.id} ${bar(view.days_done, view.days_total)} days · ${summary(view)}`);
    await new Promise((r) => setTimeout(r, 250));
    view = await apiRequest(options.url, 'GET', `/v1/backfills/${view.id}`);
  }
  progress.show(`backfill ${view.id} ${bar(view.days_done, view.days_total)} ${view.state} · ${summary(view)}`, true);
  progress.done();
  report(view);
  if (view.state === 'failed') throw new SightlineError('SL_BACKFILL_FAILED', `backfill ${view.id} failed; it goes on from the first day not done a minute later and at the next start`);
  if (options.wait && view.state !== 'done') print(`still ${view.state} after ${options.timeout} s: follow it with \`sightline backfill --status ${view.id}\``);
}

/** The `backfill` command: a backfill of --from..--to, or what --status / --list ask for. */
export async function backfillCommand(options: { url: string; from?: string; to?: string; dryRun: boolean; wait: boolean; timeout: string; quiet: boolean; status?: string; list: boolean }): Promise<void> {
  if (options.status !== undefined) return report(await apiRequest(options.url, 'GET', `/v1/backfills/${encodeURIComponent(options.status)}`));
  if (options.list) {
    const { backfills } = (await apiRequest(options.url, 'GET', '/v1/backfills')) as { backfills: BackfillView[] };
    if (backfills.length === 0) print('no backfills');
    for (const view of backfills) report(view);
    return;
  }
  if (options.from === undefined || options.to === undefined) throw new SightlineError('SL_CLI_USAGE', 'name the days: --from YYYY-MM-DD --to YYYY-MM-DD (or --status ID, --list)');
  return backfill({ ...options, from: options.from, to: options.to });
}
