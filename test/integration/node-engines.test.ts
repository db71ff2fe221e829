import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { tempDir } from '../helpers/tmp.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * The packages of the lockfile that declare Node 22 or newer in `engines`, about which `npm install`
 * warns (EBADENGINE) on Node 20. The README names each; on Node 22.19+ there is none.
 */
const WARNED_ON_NODE_20 = ['@kafkajs/confluent-schema-registry', '@platformatic/dynamic-buffer', '@platformatic/wasm-utils', 'cookie'];

/** What `npm ci` of this project's lockfile warns about on the Node running this test. */
async function engineWarnings(): Promise<string[]> {
  const tmp = await tempDir();
  try {
    await copyFile(join(ROOT, 'package.json'), join(tmp.dir, 'package.json'));
    await copyFile(join(ROOT, 'package-lock.json'), join(tmp.dir, 'package-lock.json'));
    // npm's shebang runs it on the first `node` of PATH: put this test's own Node there.
    const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` };
    const { stderr } = await promisify(execFile)('npm', ['ci', '--dry-run', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: tmp.dir, env, timeout: 120_000 });
    const names = [...stderr.matchAll(/EBADENGINE\s+package: '((?:@[^/']+\/)?[^@']+)@/g)].map((m) => m[1]!);
    return [...new Set(names)].sort();
  } finally {
    await tmp.cleanup();
  }
}

describe('Node versions: what npm warns about is what the README says', () => {
  const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];

  it(`npm ci on Node ${process.versions.node}`, async () => {
    const warned = await engineWarnings();
    if (major > 22 || (major === 22 && minor >= 19)) {
      assert.deepEqual(warned, [], 'no EBADENGINE warning on Node 22.19 or newer');
    } else {
      assert.deepEqual(warned, WARNED_ON_NODE_20);
    }
  });

  it('the README names the Node versions tested and each package npm warns about on Node 20', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
    assert.equal(pkg.engines.node, '^20.19.4 || >=22.19.0');
    for (const name of WARNED_ON_NODE_20) assert.ok(readme.includes(`\`${name}\``), `README names ${name}`);
    const fetchScript = await readFile(join(ROOT, 'scripts/node22/fetch.sh'), 'utf8');
    const node22 = /^version=(\S+)$/m.exec(fetchScript)?.[1];
    assert.ok(node22 && readme.includes(`Node.js ${node22}`), `README names the Node 22 CI tests on (${node22})`);
  });
});
