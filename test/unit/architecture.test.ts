import assert from 'node:assert/strict';
import { dirname, resolve } from 'node:path';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkArchitecture } from '../tools/architecture-check.js';
import { sizeExceptions } from '../tools/architecture-exceptions.js';

// Compiled to dist/test/unit, three folders below the repository.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

it('src/ has no import cycle, follows the layers of docs/architecture.md, and keeps files and platform functions short', async () => {
  const violations = await checkArchitecture({ root, sizeExceptions });
  const messages = violations.map((violation) => violation.message);
  assert.equal(messages.length, 0, `${messages.length} architecture violations (npm run check:architecture lists them):\n${messages.join('\n')}`);
});
