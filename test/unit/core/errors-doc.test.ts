import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { ERROR_CODES } from '../../../src/core/errors.js';

it('docs/errors.md documents every error code with its status', () => {
  const doc = readFileSync(new URL('../../../../docs/errors.md', import.meta.url), 'utf8');
  for (const [code, { status, retryable }] of Object.entries(ERROR_CODES)) {
    assert.match(doc, new RegExp(`\\| \`${code}\` \\| ${status} \\| ${retryable ? 'yes' : 'no'} \\|`), code);
  }
  const documented = [...doc.matchAll(/\| `(SL_[A-Z_]+)` \|/g)].map((m) => m[1]);
  assert.deepEqual(documented.sort(), Object.keys(ERROR_CODES).sort(), 'no stale codes in the doc');
});
