#!/usr/bin/env node
import { Command, InvalidArgumentError } from 'commander';
import { isSightlineError } from '../core/errors.js';
import { VERSION } from '../version.js';
import { send } from './send.js';
import { status } from './status.js';
import { up } from './up.js';

const DEFAULT_URL = process.env.SIGHTLINE_URL ?? 'http://127.0.0.1:8080';

function positiveInt(value: string): string {
  if (!/^\d+$/.test(value) || Number(value) < 0 || Number(value) > 65535) throw new InvalidArgumentError('must be a whole number');
  return value;
}

const program = new Command()
  .name('sightline')
  .description('Observability-first event data platform')
  .version(VERSION)
  .showHelpAfterError();

program
  .command('up')
  .description('Start the whole platform in this process on embedded defaults (ingest, log, process, hot and cold stores, API)')
  // No commander defaults here: a flag given wins over the config file, and the config file over
  // the built-in defaults, which live in one place (src/config/schema.ts).
  .option('--data <dir>', 'data folder (default: ./sightline-data)')
  .option('--port <n>', 'HTTP port, 0 picks a free one (default: 8080)', positiveInt)
  .option('--host <address>', 'address to listen on (default: 127.0.0.1)')
  .option('--config <file>', 'YAML or JSON configuration file')
  .action(up);

program
  .command('send')
  .description('Post an NDJSON file of events in batches, retrying with backoff; exits non-zero if any event was not accepted')
  .argument('<file>', 'NDJSON file, one event per line ("-" for standard input)')
  .option('--url <url>', 'Sightline API', DEFAULT_URL)
  .option('--batch-size <n>', 'events per request', positiveInt, '1000')
  .option('--max-retries <n>', 'attempts per batch before giving up', positiveInt, '8')
  .option('--concurrency <n>', 'requests in flight', positiveInt, '2')
  .option('--gzip', 'gzip request bodies', false)
  .option('--quiet', 'no progress output', false)
  .action(send);

program
  .command('status')
  .description('Show backlog per partition, committed offsets, and rows and bytes in each store')
  .option('--url <url>', 'Sightline API', DEFAULT_URL)
  .option('--json', 'print the raw status document', false)
  .action(status);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (isSightlineError(err)) {
    process.stderr.write(`error ${err.code}: ${err.message}\n`);
  } else {
    process.stderr.write(`error: ${(err as Error).stack ?? String(err)}\n`);
  }
  process.exit(1);
});
