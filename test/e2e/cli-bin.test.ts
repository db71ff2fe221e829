import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { CLI } from '../helpers/platform-process.js';

/** What `npx sightline` runs: the bin file itself, by its shebang, not `node file`. */
it('the sightline bin is executable on its own and answers --version', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string; bin: Record<string, string> };
  assert.ok(CLI.endsWith(pkg.bin.sightline!.replace(/^dist\//, '')), 'the tests drive the file package.json names as the bin');
  const out = execFileSync(CLI, ['--version'], { encoding: 'utf8' });
  assert.equal(out.trim(), pkg.version);
});
