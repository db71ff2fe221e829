import { apiRequest } from '../client/api-client.js';
import { SightlineError } from '../core/errors.js';

interface Counts {
  hot: { events: number; deadLetters: number };
  cold: { files: number; rows: number };
  log: { records: number; segments: number; left: number; note?: string };
}
interface ErasureView {
  id: string;
  subject: string;
  from: number | null;
  to: number;
  requested_at: number;
  state: 'pending' | 'done' | 'failed';
  results: Array<{ node: string; at: number; counts?: Counts; error?: { code: string; message: string } }>;
}

const print = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const when = (ms: number | null) => (ms === null ? 'the beginning' : new Date(ms).toISOString());

function report(view: ErasureView): void {
  print(`${view.id}  ${view.state}  user sha256:${view.subject.slice(0, 16)}…  events from ${when(view.from)} to ${when(view.to)}`);
  for (const r of view.results) {
    if (r.error) {
      print(`  ${r.node}: failed ${r.error.code}: ${r.error.message}`);
      continue;
    }
    const c = r.counts!;
    print(`  ${r.node}: hot store ${c.hot.events} events, ${c.hot.deadLetters} dead letters; cold ${c.cold.rows} rows in ${c.cold.files} files; log ${c.log.records} records in ${c.log.segments} segments`);
    if (c.log.left > 0 || c.log.note) print(`    ${c.log.left > 0 ? `${c.log.left} records left in the log: ` : ''}${c.log.note ?? ''}`);
  }
}

/** `sightline erase --user-id ID`: deletes a user's events everywhere, waits for the outcome, and reports it; exits 1 if it failed. */
export async function erase(options: { url: string; userId: string; from?: string; to?: string; wait: boolean; timeout: string }): Promise<void> {
  const body = { user_id: options.userId, ...(options.from !== undefined && { from: options.from }), ...(options.to !== undefined && { to: options.to }) };
  let view: ErasureView = await apiRequest(options.url, 'POST', '/v1/erasures', body);
  const deadline = Date.now() + Number(options.timeout) * 1000;
  while (options.wait && view.state === 'pending' && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    view = await apiRequest(options.url, 'GET', `/v1/erasures/${view.id}`);
  }
  report(view);
  if (view.state === 'failed') throw new SightlineError('SL_ERASURE_FAILED', `deletion request ${view.id} failed on a node; that node tries again a minute later and at its next start`);
  if (options.wait && view.state === 'pending') print(`still pending after ${options.timeout} s: follow it with \`sightline erase --status ${view.id}\``);
}

/** `sightline erase --status ID`, or every request with `--list`. */
export async function erasureStatus(options: { url: string; status?: string }): Promise<void> {
  if (options.status !== undefined) {
    report(await apiRequest(options.url, 'GET', `/v1/erasures/${encodeURIComponent(options.status)}`));
    return;
  }
  const { erasures } = (await apiRequest(options.url, 'GET', '/v1/erasures')) as { erasures: ErasureView[] };
  if (erasures.length === 0) print('no deletion requests');
  for (const view of erasures) report(view);
}

/** The `erase` command: a request with --user-id, or what --status / --list ask for. */
export async function eraseCommand(options: { url: string; userId?: string; from?: string; to?: string; wait: boolean; timeout: string; status?: string; list: boolean }): Promise<void> {
  if (options.status !== undefined || options.list) return erasureStatus({ url: options.url, ...(options.status !== undefined && { status: options.status }) });
  if (options.userId === undefined) throw new SightlineError('SL_CLI_USAGE', 'name the user: --user-id ID (or --status ID, --list)');
  return erase({ ...options, userId: options.userId });
}
