import assert from 'node:assert/strict';
import { join } from 'node:path';
import { queryDuckDb } from './duckdb.js';
import { getJson, pageView, waitForBacklogZero } from './events.js';
import type { PlatformProcess } from './platform-process.js';

const MIN_BATCHES = 100;
const MAX_BATCHES = 5000;
const BATCH_SIZE = 150;
const T0 = Date.UTC(2026, 10, 26, 8, 0, 0);

/** A platform config that puts kills inside processing, exports (every 300 ms) and compactions (every second). */
export const CRASH_CONFIG = {
  process: { batchSize: 200 },
  cold: { rollInterval: '300ms', rollRows: 1000 },
  lifecycle: { interval: '1s', tables: { '*': { compactBelow: '1MiB', compactMinFiles: 2 } } },
  contracts: { unknown: 'accept' },
  probe: { interval: 0 },
  logLevel: 'warn',
};

/**
 * kill -9 the platform `kills` times while a client streams batches (until the last kill) and
 * retries each until it is acknowledged; some batches repeat events of earlier ones on purpose.
 * Then checks that the running platform counts every distinct event once in its windows, stops it
 * cleanly, and checks the hot store holds each once. Answers the distinct ids, for the caller to
 * check the tables.
 */
export async function crashCycles(start: () => Promise<PlatformProcess>, kills: number, dataDir: string): Promise<Set<string>> {
  let platform = await start();
  const distinct = new Set<string>();
  const batches: string[][] = [];
  const makeBatch = (b: number): string[] => {
    const events: string[] = [];
    for (let i = 0; i < BATCH_SIZE; i++) {
      const n = b * BATCH_SIZE + i;
      events.push(JSON.stringify(pageView(`c${n}`, T0 + n * 20, `/p/${n % 5}`, `u${n % 4}`)));
      distinct.add(`c${n}`);
    }
    if (b > 0) events.push(...batches[b - 1]!.slice(0, 10));
    return events;
  };
  let acknowledged = 0;
  let failedAttempts = 0;
  let killerDone = false;
  try {
    // The client never waits for a restart: it keeps sending, so kills land on requests in flight
    // and in the middle of group commits, and it sees refused connections while the platform is down.
    const sendAll = async (): Promise<void> => {
      for (let b = 0; b < MAX_BATCHES && (b < MIN_BATCHES || !killerDone); b++) {
        const batch = makeBatch(b);
        batches.push(batch);
        for (;;) {
          try {
            const r = await fetch(`${platform.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: batch.join('\n') });
            if (r.status === 200) {
              const body = (await r.json()) as { accepted: number; rejected: unknown[] };
              assert.equal(body.rejected.length, 0);
              acknowledged++;
              break;
            }
            await r.body?.cancel();
          } catch {
            // connection refused or reset by the kill: retry the same batch
          }
          failedAttempts++;
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    };
    const killer = async (): Promise<void> => {
      for (let k = 0; k < kills; k++) {
        await new Promise((r) => setTimeout(r, 250 + Math.random() * 500));
        await platform.kill9();
        platform = await start();
      }
      killerDone = true;
    };
    await Promise.all([sendAll(), killer()]);
    assert.equal(acknowledged, batches.length);
    assert.ok(killerDone, 'the stream lasted through every kill');
    assert.ok(failedAttempts > 0, 'some requests failed and were retried across the kills');

    await waitForBacklogZero(platform.url, 60_000);
    const windows = (await getJson(`${platform.url}/v1/aggregates/page-views?window=1m&limit=100000`)).body.windows;
    assert.equal(windows.reduce((s: number, w: any) => s + w.count, 0), distinct.size, 'page-view counts equal the distinct events');
    const five = (await getJson(`${platform.url}/v1/aggregates/page-views?window=5m&limit=100000`)).body.windows;
    assert.equal(five.reduce((s: number, w: any) => s + w.count, 0), distinct.size);
    assert.equal(await platform.stop(), 0);
  } finally {
    if (platform.child.exitCode === null) await platform.kill9();
  }

  const hotFile = join(dataDir, 'hot', 'sightline.duckdb');
  const [hot] = await queryDuckDb(hotFile, 'SELECT count(*) AS n, count(DISTINCT id) AS d, count(*) FILTER (WHERE late) AS late FROM events');
  assert.deepEqual(hot, { n: distinct.size, d: distinct.size, late: 0 });
  const [agg] = await queryDuckDb(hotFile, "SELECT sum(count) AS n FROM aggregates WHERE window_size = '1m'");
  assert.equal(agg!.n, distinct.size);
  return distinct;
}
