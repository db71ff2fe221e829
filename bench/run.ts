/**
 * `npm run bench` runs every benchmark against the real platform (`sightline up` in its own
 * process, load from another) and appends the results to BENCHMARKS.md, with JSON beside them in
 * bench/results/. `--short` is the CI mode: small sizes, only checks that everything runs.
 * `--out DIR` writes the results elsewhere; `--only a,b` picks benchmarks.
 *
 * Opt-in benchmarks run only when `--only` names them: kafka-peer needs Java and Maven and starts
 * a Kafka broker, and is not part of CI's bench smoke (test/e2e/bench-smoke.test.ts) yet.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { contractsBench } from './contracts.bench.js';
import { e2eBench } from './e2e.bench.js';
import { ingestBench } from './ingest.bench.js';
import { kafkaPeerBench } from './kafka-peer.bench.js';
import { lakehouseBench } from './lakehouse.bench.js';
import type { BenchContext } from './lib/context.js';
import { resultSink } from './lib/results.js';
import { queryMemoryBench } from './query-memory.bench.js';
import { referencesBench } from './references.bench.js';

const BENCHES = { references: referencesBench, ingest: ingestBench, contracts: contractsBench, e2e: e2eBench, query: queryMemoryBench, lakehouse: lakehouseBench, 'kafka-peer': kafkaPeerBench };
const OPT_IN = new Set(['kafka-peer']);

const { values } = parseArgs({
  options: { short: { type: 'boolean', default: false }, out: { type: 'string' }, only: { type: 'string' } },
});
const root = resolve(new URL('../..', import.meta.url).pathname);
const outDir = resolve(values.out ?? root);
const workDir = await mkdtemp(join(tmpdir(), 'sightline-bench-'));
const ctx: BenchContext = {
  short: values.short ?? false,
  sink: resultSink(outDir, values.short ? 'short' : 'full'),
  workDir,
  log: (m) => process.stdout.write(`[bench] ${m}\n`),
  shared: {},
};
const only = values.only ? new Set(values.only.split(',')) : undefined;
try {
  for (const [name, bench] of Object.entries(BENCHES)) {
    if (only ? !only.has(name) : OPT_IN.has(name)) continue;
    ctx.log(`--- ${name}`);
    await bench(ctx);
  }
  ctx.log(`results in ${join(outDir, 'BENCHMARKS.md')}`);
} finally {
  await rm(workDir, { recursive: true, force: true });
}
