import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getJson } from '../../test/helpers/events.js';
import { type PlatformProcess, startPlatformProcess } from '../../test/helpers/platform-process.js';
import type { ResultSink } from './results.js';

export interface BenchContext {
  short: boolean;
  sink: ResultSink;
  workDir: string;
  log: (message: string) => void;
  /** Results of earlier benchmarks in the same run, for ratios. */
  shared: Record<string, number>;
}

const PAGE_VIEW_CONTRACT = fileURLToPath(new URL('../../../examples/contracts/web.page_view.json', import.meta.url));

/** Profiles for the bench's user ids u0…u4999 (bench/lib/events.ts): 4000 of them, so a fifth of events miss. */
const REFERENCE_USERS = 4000;

/**
 * `sightline up` as its own process on a fresh data folder, configured as the README's tour is:
 * enrichment from a users CSV, page views counted in 1m and 5m windows (the default
 * aggregation), and `config` on top.
 */
export async function startBenchPlatform(ctx: BenchContext, name: string, given: Record<string, unknown> = {}): Promise<PlatformProcess> {
  // SL_BENCH_CONFIG (a JSON object) runs a bench on a variant of the config: its top-level
  // sections replace the bench's own (`{"hot": {"threads": 1}}`).
  const config: Record<string, unknown> = { ...given, ...(process.env.SL_BENCH_CONFIG ? (JSON.parse(process.env.SL_BENCH_CONFIG) as Record<string, unknown>) : {}) };
  const dir = join(ctx.workDir, `${name}-${Date.now()}`);
  await mkdir(dir, { recursive: true });
  const users = ['user_id,name,plan,country'];
  for (let i = 0; i < REFERENCE_USERS; i++) users.push(`u${i},User ${i},${i % 3 === 0 ? 'pro' : 'free'},${['DE', 'GB', 'FR', 'US'][i % 4]}`);
  await writeFile(join(dir, 'users.csv'), users.join('\n') + '\n');
  const configFile = join(dir, 'sightline.json');
  const enrichment = { referenceData: { path: 'users.csv', key: 'user_id', joinOn: 'payload.user_id' } };
  // Every page view is validated against the README's contract; the freshness probes have none.
  const contracts = { unknown: 'accept', register: [{ subject: 'web.page_view', path: PAGE_VIEW_CONTRACT }] };
  const overrides = config.contracts as Record<string, unknown> | undefined;
  // Counts are compared exactly, so no canary events from the synthetic probe, and late events
  // (the load spreads event time over an hour, out of order) are stored, not dead-lettered.
  const processing = { lateEvents: 'store', ...(config.process as Record<string, unknown> | undefined) };
  await writeFile(configFile, JSON.stringify({ logLevel: 'warn', enrichment, probe: { interval: 0 }, ...config, process: processing, contracts: { ...contracts, ...overrides } }));
  return startPlatformProcess(['--data', join(dir, 'data'), '--config', configFile], 60_000);
}

export interface PlatformCounts {
  backlog: number;
  hotEvents: number;
  coldEventRows: number;
  /** Rows written to the contract tables (every page view has a contract): each event twice in Parquet. */
  coldContractRows: number;
}

export async function platformCounts(url: string): Promise<PlatformCounts> {
  const { body } = await getJson(`${url}/v1/status`);
  return {
    backlog: body.processor.backlog,
    hotEvents: body.hot_store.tables.find((t: any) => t.table === 'events').rows,
    coldEventRows: body.cold_store.rows_written.events,
    coldContractRows: body.cold_store.rows_written.contracts,
  };
}

/** Resolves when `check` passes, polling every `everyMs`. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, everyMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Resident set size of a process, in MiB (Linux). */
export async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}
