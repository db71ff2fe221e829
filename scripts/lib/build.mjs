// The build: tsc into a side folder, swapped into dist/ only when tsc succeeded. An interrupted or
// failed build leaves the previous dist/ as it was (or none), never a partial one, and a build
// killed outright (kill -9, a closed terminal) leaves only side folders the next build removes.
import { chmodSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { isAlive, releaseBuildLock, withBuildLock } from './lock.mjs';
import { STAMP_FILE, readStamp, sourceDigest } from './stamp.mjs';

/** A build that did not produce a new dist/; its message is meant for the user as it is. */
export class BuildError extends Error {}

// Side folders sit beside dist/ at the same depth, so the relative paths tsc writes into source
// maps (../../../src/...) stay right after the rename.
const SIDE_FOLDER = /^dist\.(tmp|old)-(\d+)(?:-\d+)?$/;

function removeLeftovers(root) {
  for (const name of readdirSync(root)) {
    const match = SIDE_FOLDER.exec(name);
    if (match && (Number(match[2]) === process.pid || !isAlive(Number(match[2])))) rmSync(join(root, name), { recursive: true, force: true });
  }
}

function tscPath(root) {
  try {
    return createRequire(join(root, 'package.json')).resolve('typescript/lib/tsc.js');
  } catch {
    throw new BuildError('TypeScript is not installed in this folder: run `npm install` first');
  }
}

/**
 * tsc on a worker thread rather than in a child process: if this process is killed, the compiler
 * dies with it instead of running on as an orphan and competing with the next build for the CPU.
 * tsc writes its diagnostics to stdout; they go to stderr so a command's own output stays clean.
 */
function runTsc(root, outDir) {
  const args = ['-p', join(root, 'tsconfig.json'), '--outDir', outDir];
  if (process.stderr.isTTY) args.push('--pretty');
  const worker = new Worker(tscPath(root), { argv: args, stdout: true });
  worker.stdout.pipe(process.stderr);
  return new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.once('exit', resolve);
  });
}

/** Two renames: the window between them is where dist/ is briefly missing, which reads as "not built" and is rebuilt. */
function swapIntoPlace(tmp, dist) {
  for (let attempt = 0; ; attempt++) {
    const old = `${dist}.old-${process.pid}-${attempt}`;
    try {
      renameSync(dist, old);
    } catch (err) {
      if (err.code !== 'ENOENT') throw err;
    }
    try {
      renameSync(tmp, dist);
      rmSync(old, { recursive: true, force: true });
      return;
    } catch (err) {
      // Another build put its dist/ in place between the renames (two builds after a lock was taken over).
      if ((err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') || attempt >= 3) throw err;
    }
  }
}

/** Cleans up after a signal during the build, then lets the signal end the process as it would have. */
function onInterrupt(cleanup) {
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const handler = (signal) => {
    cleanup();
    for (const s of signals) process.removeListener(s, handler);
    process.kill(process.pid, signal);
  };
  for (const s of signals) process.on(s, handler);
  return () => {
    for (const s of signals) process.removeListener(s, handler);
  };
}

/**
 * Builds `root`'s dist/ atomically. With `ifStale`, does nothing when dist/ was built from the
 * current sources (checked again under the lock: a build that was waiting may find the work done).
 * Resolves with whether it built; rejects with a BuildError when tsc failed.
 */
export async function buildAtomically(root, { ifStale = false, log = () => {} } = {}) {
  const dist = join(root, 'dist');
  const onWait = (holder) => log(`waiting for the build in process ${holder} to finish`);
  return withBuildLock(
    root,
    async () => {
      // Before tsc reads the sources: a file changed during the build makes the next check stale.
      const digest = sourceDigest(root);
      if (ifStale && readStamp(dist)?.digest === digest) return { built: false };
      removeLeftovers(root);
      const tmp = join(root, `dist.tmp-${process.pid}`);
      const stopWatching = onInterrupt(() => {
        rmSync(tmp, { recursive: true, force: true });
        releaseBuildLock(root);
      });
      try {
        mkdirSync(tmp);
        const started = Date.now();
        const code = await runTsc(root, tmp);
        if (code !== 0) {
          const kept = readStamp(dist) ? 'dist/ still holds the previous build' : 'there is no build in dist/';
          throw new BuildError(`the build failed: tsc exited with code ${code} (its errors are above); ${kept}`);
        }
        // `npx`, npm's bin links and the e2e tests run the CLI by its shebang.
        chmodSync(join(tmp, 'src/cli/main.js'), 0o755);
        writeFileSync(join(tmp, STAMP_FILE), `${JSON.stringify({ digest, builtAt: new Date().toISOString() })}\n`);
        swapIntoPlace(tmp, dist);
        return { built: true, ms: Date.now() - started };
      } catch (err) {
        rmSync(tmp, { recursive: true, force: true });
        throw err;
      } finally {
        stopWatching();
      }
    },
    onWait,
  );
}
