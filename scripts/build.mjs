#!/usr/bin/env node
// `npm run build` (always builds) and `prepare` (--if-stale: `npm install` builds once, and not
// again while dist/ matches the sources). The work is in lib/build.mjs, shared with the launcher.
import { fileURLToPath } from 'node:url';
import { BuildError, buildAtomically } from './lib/build.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const log = (message) => process.stderr.write(`build: ${message}\n`);

try {
  const result = await buildAtomically(root, { ifStale: process.argv.includes('--if-stale'), log });
  log(result.built ? `dist/ built in ${(result.ms / 1000).toFixed(1)} s` : 'dist/ is up to date with the sources');
} catch (err) {
  process.stderr.write(`build: ${err instanceof BuildError ? err.message : (err.stack ?? String(err))}\n`);
  process.exit(1);
}
