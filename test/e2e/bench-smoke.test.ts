import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { it } from 'node:test';
import { tempDir } from '../helpers/tmp.js';

const RUNNER = fileURLToPath(new URL('../../bench/run.js', import.meta.url));
/** Every table the default run writes (the lakehouse bench's two included; kafka-peer is opt-in). */
const TABLES = ['references', 'ingest', 'contracts', 'contracts-ingest', 'e2e', 'freshness', 'query', 'memory', 'lakehouse-export', 'lakehouse-query'];

/** The benchmark suite's CI mode: small sizes, checks that every benchmark runs and reports. */
it('runs every benchmark in short mode and writes a row and a JSON file for each', async () => {
  const { dir, cleanup } = await tempDir();
  const run = spawnSync(process.execPath, [RUNNER, '--short', '--out', dir], { encoding: 'utf8', timeout: 5 * 60_000 });
  assert.equal(run.status, 0, `bench failed:\n${run.stdout}\n${run.stderr}`);
  const md = await readFile(join(dir, 'BENCHMARKS.md'), 'utf8');
  for (const bench of TABLES) {
    assert.match(md, new RegExp(`<!-- bench:${bench} -->\\n\\|[^\\n]+\\n\\|---[^\\n]+\\n\\|`), `${bench} has a table with a row`);
  }
  const [header, , row] = md.split('<!-- bench:e2e -->')[1]!.trim().split('\n').map((line) => line.split('|').map((c) => c.trim()));
  assert.equal(row![header!.indexOf('lost')], '0', 'no event lost end to end');
  assert.ok(Number(row![header!.indexOf('platform CPU µs/event')]) > 0, 'CPU per event measured');
  const files = await readdir(join(dir, 'bench', 'results'));
  for (const bench of TABLES) {
    assert.ok(files.some((f) => f.startsWith(`${bench}-`)), `${bench} JSON written`);
  }
  await cleanup();
});
