#!/usr/bin/env node
// Polls GET /healthz while the API fuzz run goes on, and on SIGTERM writes what it saw to OUT_FILE
// (JSON): how many polls, which failed (not 200, no answer, or slower than MAX_MS, then aborted),
// the slowest, and how many requests the server received meanwhile (its own counter, less this
// watcher's polls), so the fuzzer's request count is checked from the server's side too.
//
//   node scripts/fuzz/watch-health.mjs URL OUT_FILE [INTERVAL_MS=250] [MAX_MS=2000]
import { writeFileSync } from 'node:fs';

const [url, outFile, intervalArg = '250', maxArg = '2000'] = process.argv.slice(2);
if (!url || !outFile) {
  process.stderr.write('usage: watch-health.mjs URL OUT_FILE [INTERVAL_MS] [MAX_MS]\n');
  process.exit(2);
}
const intervalMs = Number(intervalArg);
const maxMs = Number(maxArg);

/** Requests the server has received since it started (sightline_events_received_total of the serve component). */
async function received() {
  // /metrics needs ops:read: run.sh passes the admin key in SIGHTLINE_KEY.
  const headers = process.env.SIGHTLINE_KEY ? { authorization: `Bearer ${process.env.SIGHTLINE_KEY}` } : {};
  const text = await (await fetch(`${url}/metrics`, { headers, signal: AbortSignal.timeout(10_000) })).text();
  const line = text.split('\n').find((l) => l.startsWith('sightline_events_received_total{component="serve"}'));
  if (!line) throw new Error('no sightline_events_received_total{component="serve"} in /metrics');
  return Number(line.split(' ').pop());
}

const startedAt = Date.now();
const receivedAtStart = await received();
const seen = { polls: 0, failures: [], slowestMs: 0 };
let stopping = false;

async function poll() {
  const at = Date.now();
  let problem;
  try {
    const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(maxMs) });
    await response.arrayBuffer();
    if (response.status !== 200) problem = `status ${response.status}`;
  } catch (err) {
    problem = err.name === 'TimeoutError' ? `no answer within ${maxMs} ms` : `${err.name}: ${err.cause?.code ?? err.message}`;
  }
  const ms = Date.now() - at;
  seen.polls += 1;
  seen.slowestMs = Math.max(seen.slowestMs, ms);
  if (problem) seen.failures.push({ at: new Date(at).toISOString(), ms, problem });
}

process.on('SIGTERM', () => {
  stopping = true;
});
while (!stopping) {
  const next = Date.now() + intervalMs;
  await poll();
  await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
}

let receivedMeanwhile = null;
try {
  // Less this watcher's polls and the /metrics read at its start (the one at the end counts itself too).
  receivedMeanwhile = (await received()) - receivedAtStart - seen.polls - 1;
} catch (err) {
  seen.failures.push({ at: new Date().toISOString(), ms: 0, problem: `/metrics at the end: ${err.message}` });
}
writeFileSync(outFile, JSON.stringify({ ...seen, seconds: (Date.now() - startedAt) / 1000, intervalMs, maxMs, receivedMeanwhile }, null, 2) + '\n');
