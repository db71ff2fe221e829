import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../../../test/tools/check_parquet.py', import.meta.url));

export function pyarrowAvailable(): boolean {
  return spawnSync('python3', ['-c', 'import pyarrow'], { stdio: 'ignore' }).status === 0;
}

/**
 * Whether to skip the pyarrow check here. In CI the check must run: .ci/run installs pyarrow, and
 * its absence is a failure, never a skip.
 */
export function pyarrowSkipReason(): string | false {
  if (pyarrowAvailable()) return false;
  if (process.env.CI) throw new Error('pyarrow is not installed, and CI must check Parquet with it (pip install -r test/requirements.txt)');
  return 'pyarrow is not installed (pip install -r test/requirements.txt)';
}

export function readColdStoreWithPyarrow(root: string): any {
  const r = spawnSync('python3', [SCRIPT, root], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`pyarrow check failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}
