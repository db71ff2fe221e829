import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { queryDuckDb } from '../helpers/duckdb.js';
import { getJson, pageView, postEvents, waitForBacklogZero } from '../helpers/events.js';
import { type PlatformProcess, startPlatformProcess } from '../helpers/platform-process.js';
import { tempDir } from '../helpers/tmp.js';

const T0 = Date.UTC(2026, 10, 26, 10, 0, 0);
const CLIENTS = 8;
const BATCH = 500;
const LOAD_MS = 15_000;
/** What the platform may hold at most: DuckDB's 256 MiB, bodies in flight (8 MiB), the backlog bound's worth of planning, Node itself. */
const MAX_RSS_MIB = 900;

function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1] ?? 0) / 1024;
}

/**
 * Overload (issue 15's fault tests): clients offer far more than the processor can take. Ingest
 * pushes back with 429 and Retry-After instead of queueing without bound, the process stays within
 * its memory, /healthz answers throughout, and every acknowledged event is stored exactly once.
 */
describe('overload with bounded memory', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let platform: PlatformProcess;

  before(async () => {
    tmp = await tempDir();
    await writeFile(
      join(tmp.dir, 'sightline.json'),
      JSON.stringify({
        contracts: { unknown: 'accept' },
        probe: { interval: 0 },
        logLevel: 'warn',
        ingest: { maxBacklogEvents: 20_000, maxInFlightBytes: 8 * 1024 * 1024 },
        hot: { memoryLimit: '256MiB' },
      }),
    );
    platform = await startPlatformProcess(['--data', join(tmp.dir, 'data'), '--config', join(tmp.dir, 'sightline.json')]);
  });
  after(async () => {
    if (platform.child.exitCode === null) await platform.kill9();
    await tmp.cleanup();
  });

  it('pushes back, stays within its memory, answers /healthz, and stores every acknowledged event once', async () => {
    const accepted = new Set<string>();
    const statuses = new Map<number, number>();
    let maxRss = 0;
    let healthFailures = 0;
    let slowestHealthMs = 0;
    const until = Date.now() + LOAD_MS;
    const pid = platform.child.pid!;

    const sampler = (async () => {
      while (Date.now() < until) {
        maxRss = Math.max(maxRss, rssMiB(pid));
        const started = performance.now();
        const health = await fetch(`${platform.url}/healthz`, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
        slowestHealthMs = Math.max(slowestHealthMs, performance.now() - started);
        if (health?.status !== 200) healthFailures++;
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const client = async (c: number) => {
      for (let b = 0; Date.now() < until; b++) {
        const events = Array.from({ length: BATCH }, (_, i) => pageView(`ol-${c}-${b}-${i}`, T0 + ((b * BATCH + i) % 3_600_000), `/p${i % 13}`, `u${i % 97}`));
        const r = await postEvents(platform.url, events);
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        if (r.status === 200) {
          assert.equal(r.body.accepted, BATCH);
          for (const e of events) accepted.add(e.id as string);
        } else {
          assert.equal(r.status, 429, JSON.stringify(r.body));
          assert.equal(r.body.code, 'SL_INGEST_BACKPRESSURE');
          const wait = Number(r.headers.get('retry-after'));
          assert.ok(wait >= 1, 'Retry-After on every 429');
          // Clients that honour Retry-After, but on a shorter fuse than asked so the pressure stays on.
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    };
    await Promise.all([sampler, ...Array.from({ length: CLIENTS }, (_, c) => client(c))]);

    const summary = `statuses ${JSON.stringify(Object.fromEntries(statuses))}, ${accepted.size} accepted, max RSS ${Math.round(maxRss)} MiB, slowest /healthz ${Math.round(slowestHealthMs)} ms`;
    assert.ok((statuses.get(429) ?? 0) > 0, `the load was not over capacity: ${summary}`);
    assert.ok(accepted.size > 0, summary);
    assert.equal(healthFailures, 0, `/healthz failed under overload: ${summary}`);
    assert.ok(maxRss < MAX_RSS_MIB, `memory grew past ${MAX_RSS_MIB} MiB: ${summary}`);

    await waitForBacklogZero(platform.url, 120_000);
    assert.equal((await getJson(`${platform.url}/healthz`)).status, 200);
    assert.equal(await platform.stop(), 0);
    const db = join(tmp.dir, 'data', 'hot', 'sightline.duckdb');
    const [row] = await queryDuckDb(db, "SELECT count(*) AS n, count(DISTINCT id) AS ids FROM events WHERE id LIKE 'ol-%'");
    assert.equal(row!.n, row!.ids, 'no event stored twice');
    assert.equal(row!.ids, accepted.size, `every acknowledged event stored: ${summary}`);
    console.log(`# overload: ${summary}`);
  });
});
