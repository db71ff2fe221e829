#!/usr/bin/env node
// `npm run sightline -- COMMAND [ARGS]`: the sightline CLI from this folder, built first when dist/
// is missing or was built from other sources. Unlike `npx sightline` in the project's own folder,
// it never installs the project into npm's npx cache (a second full build there, and a broken
// cache after an interrupted first run).
//
// The CLI runs in this process, not in a child: a Ctrl-C in a terminal reaches every process of
// the foreground group, so a child would get SIGINT from the terminal and again from a forwarding
// parent, and `sightline up` takes a second signal as "exit now, without finishing the stop".
// In one process each signal arrives once, and the exit code is the CLI's own.
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BuildError, buildAtomically } from './lib/build.mjs';
import { staleReason } from './lib/stamp.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const main = join(root, 'dist/src/cli/main.js');
const fail = (message) => {
  process.stderr.write(`sightline: ${message}\n`);
  process.exit(1);
};

try {
  const reason = staleReason(root);
  if (reason !== undefined) {
    process.stderr.write(`sightline: building first, ${reason} (one tsc build)\n`);
    const result = await buildAtomically(root, { ifStale: true, log: (m) => process.stderr.write(`sightline: ${m}\n`) });
    if (result.built) process.stderr.write(`sightline: built in ${(result.ms / 1000).toFixed(1)} s\n`);
  }
} catch (err) {
  fail(err instanceof BuildError ? err.message : `could not check or build dist/: ${err.stack ?? String(err)}`);
}

// npm runs scripts in the package's folder; relative paths on the command line (--data, --config,
// files to send) mean the folder `npm run` was typed in, as they do for the installed bin.
if (process.env.npm_lifecycle_event === 'sightline' && process.env.INIT_CWD) process.chdir(process.env.INIT_CWD);
process.argv[1] = main;
try {
  await import(pathToFileURL(main).href);
} catch (err) {
  fail(`could not load ${main}: ${err.message}`);
}
