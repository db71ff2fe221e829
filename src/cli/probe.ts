import { runProbe } from '../client/probe.js';

/** `sightline probe`: one canary event, and the time until the query API returns it; exit 1 on failure. */
export async function probe(options: { url: string; timeout: string; json: boolean }): Promise<void> {
  const result = await runProbe(options.url, { timeoutMs: Number(options.timeout) * 1000 });
  if (options.json) process.stdout.write(JSON.stringify(result) + '\n');
  else if (result.ok) process.stdout.write(`probe ${result.id}: queryable after ${(result.seconds * 1000).toFixed(0)} ms\n`);
  else process.stderr.write(`probe ${result.id} failed after ${(result.seconds * 1000).toFixed(0)} ms: ${result.error}\n`);
  if (!result.ok) process.exitCode = 1;
}
