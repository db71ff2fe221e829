import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { BenchContext } from './lib/context.js';
import { makeBatches } from './lib/events.js';
import { round } from './lib/stats.js';

/**
 * The ceilings our end-to-end rate is compared with, measured in the same run on the same bytes:
 * JSON.parse of each NDJSON line in one thread (the per-core parse limit), and DuckDB loading the
 * same file straight into a table (read_json → CREATE TABLE), the near-limit for parse + columnar store.
 */
export async function referencesBench(ctx: BenchContext): Promise<void> {
  const events = ctx.short ? 50_000 : 1_000_000;
  const file = join(ctx.workDir, 'reference.ndjson');
  const body = Buffer.concat(makeBatches(events / 1000, 1000, 'small', Date.UTC(2026, 10, 26), 1, 'ref'));
  await writeFile(file, body);

  const lines = body.toString('utf8').split('\n').filter((l) => l.length > 0);
  let best = Infinity;
  for (let run = 0; run < 3; run++) {
    const t = performance.now();
    let sink = 0;
    for (const line of lines) sink += (JSON.parse(line) as { timestamp: number }).timestamp & 1;
    best = Math.min(best, performance.now() - t);
    if (sink < 0) throw new Error('unreachable');
  }
  const parseRate = (events / best) * 1000;

  const instance = await DuckDBInstance.create(join(ctx.workDir, 'reference.duckdb'));
  const conn = await instance.connect();
  const t = performance.now();
  await conn.run(`CREATE OR REPLACE TABLE events AS SELECT * FROM read_json('${file}', format = 'newline_delimited')`);
  const duckMs = performance.now() - t;
  const count = Number((await conn.runAndReadAll('SELECT count(*) FROM events')).getRows()[0]![0]);
  conn.closeSync();
  instance.closeSync();
  if (count !== events) throw new Error(`DuckDB loaded ${count} of ${events} events`);
  const duckRate = (events / duckMs) * 1000;

  ctx.shared.jsonParseRate = parseRate;
  ctx.shared.duckdbLoadRate = duckRate;
  ctx.log(`references: JSON.parse ${Math.round(parseRate)} events/s, DuckDB read_json ${Math.round(duckRate)} events/s`);
  await ctx.sink.record(
    'references',
    'References (same bytes, same run)',
    ['events', 'bytes/event', 'JSON.parse, 1 thread (events/s)', 'DuckDB read_json → table (events/s)'],
    [events, round(body.length / events, 0), Math.round(parseRate), Math.round(duckRate)],
    { events, bytes: body.length, parseMs: best, duckMs },
  );
}
