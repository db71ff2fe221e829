import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { copyProject, runIn, type Spawned, spawnInGroup } from '../helpers/project-copy.js';
import { tempDir } from '../helpers/tmp.js';
import { waitUntil } from '../helpers/wait.js';

const BUILD_MS = 300_000; // a full tsc build on a loaded 2-core machine, with room to spare

/**
 * The README's first run on a fresh clone: `npm install` (whose `prepare` builds) and
 * `npm run sightline -- up` (whose launcher builds when dist/ is missing or stale), each of them
 * interrupted while it builds, as a user pressing Ctrl-C or closing the terminal would; the next
 * start must still build and serve. Then the build's other promise: a failed tsc keeps dist/.
 */
describe('a first run from a fresh copy of the project, without dist/', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let project: string;
  let running: Spawned | undefined;
  const node = (...args: string[]) => runIn(project, process.execPath, args);
  const leftovers = () => readdirSync(project).filter((name) => /^dist\./.test(name));

  before(async () => {
    tmp = await tempDir('sightline-first-run-');
    project = join(tmp.dir, 'sightline');
    await copyProject(project);
  });
  after(async () => {
    if (running && running.child.exitCode === null && running.child.signalCode === null) {
      process.kill(-running.child.pid!, 'SIGKILL');
      await running.exited;
    }
    await tmp.cleanup();
  });

  /** Starts `args`, waits until its build is under way, and kills its whole process group with SIGKILL: nothing gets to clean up. */
  async function killWhileBuilding(args: string[]): Promise<number> {
    const run = spawnInGroup(project, process.execPath, args);
    const pid = run.child.pid!;
    const side = join(project, `dist.tmp-${pid}`);
    await waitUntil(`${args.join(' ')} starts building into dist.tmp-${pid}`, BUILD_MS, () => existsSync(side) || run.child.exitCode !== null, run.stderr);
    await new Promise((r) => setTimeout(r, 1_000)); // well into tsc, which takes far longer
    assert.equal(run.child.exitCode, null, `still building when killed:\n${run.stderr()}`);
    process.kill(-pid, 'SIGKILL');
    assert.equal((await run.exited).signal, 'SIGKILL');
    assert.equal(existsSync(join(project, 'dist')), false, 'a killed first build leaves no dist/');
    assert.ok(existsSync(side), 'the kill came while the build was under way');
    assert.equal(readFileSync(join(project, 'dist.lock'), 'utf8').trim(), String(pid), 'and it left its lock behind');
    return pid;
  }

  it('an interrupted npm install and an interrupted first start do not break the next start, which serves and stops cleanly on SIGINT', async () => {
    // `npm install` runs `prepare`: killed while it builds.
    const preparePid = await killWhileBuilding(['scripts/build.mjs', '--if-stale']);
    // `npm run sightline -- up` on the half-done folder: killed while it builds; it took over the dead build's lock.
    await killWhileBuilding(['scripts/sightline.mjs', 'up', '--data', join(tmp.dir, 'data'), '--port', '0']);
    assert.equal(existsSync(join(project, `dist.tmp-${preparePid}`)), false, "the second build removed the first one's side folder");

    running = spawnInGroup(project, process.execPath, ['scripts/sightline.mjs', 'up', '--data', join(tmp.dir, 'data'), '--port', '0']);
    const run = running;
    await waitUntil('the third start builds and starts', BUILD_MS, () => /Sightline API at /.test(run.stdout()) || run.child.exitCode !== null, () => run.stdout() + run.stderr());
    const url = /Sightline API at (http:\/\/\S+)/.exec(run.stdout())?.[1];
    assert.ok(url, `no API banner:\n${run.stdout()}\n${run.stderr()}`);
    assert.match(run.stderr(), /sightline: building first, there is no build in dist\/ yet/);
    assert.match(run.stderr(), /sightline: built in \d+\.\d s/);
    const health = await fetch(`${url}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(leftovers(), [], 'no side folder or lock is left once the build is in place');
    assert.ok(existsSync(join(project, 'dist/build-stamp.json')));

    process.kill(run.child.pid!, 'SIGINT');
    const exit = await run.exited;
    assert.deepEqual(exit, { code: 0, signal: null }, `up stops cleanly on SIGINT through the launcher:\n${run.stderr()}`);
  });

  it('a second start does not build again, also through `npm run sightline`', async () => {
    const stamp = await readFile(join(project, 'dist/build-stamp.json'), 'utf8');
    const pkg = JSON.parse(await readFile(join(project, 'package.json'), 'utf8')) as { version: string };
    const direct = await node('scripts/sightline.mjs', '--version');
    assert.equal(direct.code, 0, direct.stderr);
    assert.equal(direct.stdout, `${pkg.version}\n`);
    assert.equal(direct.stderr, '', 'nothing to build, nothing said');
    const viaNpm = await runIn(project, 'npm', ['run', '-s', 'sightline', '--', '--version']);
    assert.equal(viaNpm.code, 0, viaNpm.stderr);
    assert.equal(viaNpm.stdout, `${pkg.version}\n`, 'npm run -s shows the CLI output only');
    assert.equal(await readFile(join(project, 'dist/build-stamp.json'), 'utf8'), stamp);
  });

  it('Ctrl-C in a terminal (SIGINT to the whole process group) stops up cleanly, not as a second signal', async () => {
    running = spawnInGroup(project, process.execPath, ['scripts/sightline.mjs', 'up', '--data', join(tmp.dir, 'data'), '--port', '0']);
    const run = running;
    await waitUntil('up starts', 60_000, () => /Sightline API at /.test(run.stdout()) || run.child.exitCode !== null, () => run.stdout() + run.stderr());
    process.kill(-run.child.pid!, 'SIGINT');
    const exit = await run.exited;
    assert.deepEqual(exit, { code: 0, signal: null }, run.stdout() + run.stderr());
    assert.doesNotMatch(run.stdout() + run.stderr(), /second signal/);
  });

  it('a failed tsc run leaves the previous dist/ in place, and the launcher refuses to run it', async () => {
    const file = join(project, 'src/core/version.ts');
    const source = await readFile(file, 'utf8');
    const stamp = await readFile(join(project, 'dist/build-stamp.json'), 'utf8');
    const compiled = await readFile(join(project, 'dist/src/core/version.js'), 'utf8');
    await appendFile(file, "export const broken: number = 'not a number';\n");

    const build = await node('scripts/build.mjs');
    assert.equal(build.code, 1);
    assert.match(build.stdout + build.stderr, /src\/core\/version\.ts.*TS2322/);
    assert.match(build.stderr, /build: the build failed: tsc exited with code 2 .*; dist\/ still holds the previous build/);
    assert.equal(await readFile(join(project, 'dist/build-stamp.json'), 'utf8'), stamp, 'the stamp of the previous build');
    assert.equal(await readFile(join(project, 'dist/src/core/version.js'), 'utf8'), compiled, 'the previous output, not what tsc emitted despite the error');
    assert.deepEqual(leftovers(), []);

    const launched = await node('scripts/sightline.mjs', '--version');
    assert.equal(launched.code, 1);
    assert.equal(launched.stdout, '', 'the stale build does not run');
    assert.match(launched.stderr, /sightline: building first, the sources changed since dist\/ was built/);
    assert.match(launched.stderr, /sightline: the build failed: tsc exited with code 2/);

    // Put back as it was, the sources match the stamp again: their content counts, not their mtime.
    await writeFile(file, source);
    const restored = await node('scripts/sightline.mjs', '--version');
    assert.equal(restored.code, 0, restored.stderr);
    assert.equal(restored.stderr, '');
  });
});
