import { type ChildProcess, spawn } from 'node:child_process';
import { cp, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, from the compiled file in dist/test/helpers. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * What a fresh clone holds for a first run, without dist/: the sources the build compiles, its
 * scripts and what `up` reads at runtime. node_modules is linked, not installed: the tests are about
 * the build and the launcher, not npm's download.
 */
export async function copyProject(into: string): Promise<void> {
  for (const entry of ['package.json', 'package-lock.json', 'tsconfig.json', 'src', 'scripts', 'ui']) {
    await cp(join(REPO_ROOT, entry), join(into, entry), { recursive: true });
  }
  await symlink(join(REPO_ROOT, 'node_modules'), join(into, 'node_modules'), 'dir');
}

export interface Spawned {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * `node <args>` in `cwd`, leading its own process group (detached), as a command typed in a
 * terminal does: signalling `-pid` then reaches the whole group, like Ctrl-C or a closed terminal.
 */
export function spawnInGroup(cwd: string, command: string, args: string[]): Spawned {
  const child = spawn(command, args, { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Runs to the end (its output closed) and returns the exit code and output. */
export async function runIn(cwd: string, command: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = spawnInGroup(cwd, command, args);
  const { code } = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}
