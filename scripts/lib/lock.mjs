// One build at a time per project folder: a second `npm run sightline` started while the first is
// still building waits for it instead of building the same thing again. A build that was killed
// leaves its lock behind; the lock names its process, so the next build sees it is gone and goes on.
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const LOCK_FILE = 'dist.lock';

/** Past this age a lock is not trusted even if its pid is alive: the pid may belong to another process by now. */
const MAX_LOCK_AGE_MS = 15 * 60_000;

export function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/** The lock's holder if it is still building, or undefined if the lock is gone or was left by a build that died. */
function liveHolder(path) {
  let text;
  let ageMs;
  try {
    text = readFileSync(path, 'utf8');
    ageMs = Date.now() - statSync(path).mtimeMs;
  } catch (err) {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  }
  if (ageMs > MAX_LOCK_AGE_MS) return undefined;
  const pid = Number(text.trim());
  // Empty for an instant between the holder creating the file and writing its pid into it.
  if (!Number.isSafeInteger(pid) || pid <= 0) return ageMs < 10_000 ? 'starting' : undefined;
  return pid !== process.pid && isAlive(pid) ? pid : undefined;
}

/** Runs `fn` holding the build lock of `root`; `onWait` is told once whom it waits for. */
export async function withBuildLock(root, fn, onWait = () => {}) {
  const path = join(root, LOCK_FILE);
  let told = false;
  for (;;) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
    }
    const holder = liveHolder(path);
    if (holder === undefined) {
      rmSync(path, { force: true });
      continue;
    }
    if (!told) onWait(holder);
    told = true;
    await sleep(250);
  }
  try {
    return await fn();
  } finally {
    releaseBuildLock(root);
  }
}

/** Removes the lock if this process holds it; safe to call from a signal handler. */
export function releaseBuildLock(root) {
  const path = join(root, LOCK_FILE);
  try {
    if (readFileSync(path, 'utf8').trim() === String(process.pid)) rmSync(path, { force: true });
  } catch {
    // already gone
  }
}
