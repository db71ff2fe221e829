// Prints the architecture violations of this repository and exits 1 when there are any:
//   npm run check:architecture [-- --doc path/to/draft-architecture.md]
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { checkArchitecture } from './architecture-check.js';
import { sizeExceptions } from './architecture-exceptions.js';

const { values } = parseArgs({ options: { doc: { type: 'string' } } });
// Compiled to dist/test/tools, three folders below the repository.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const violations = await checkArchitecture({
  root,
  sizeExceptions,
  ...(values.doc ? { architectureDoc: resolve(values.doc) } : {}),
});
for (const violation of violations) console.log(violation.message);
console.log(violations.length === 0 ? 'architecture check: no violations' : `architecture check: ${violations.length} violations`);
process.exitCode = violations.length === 0 ? 0 : 1;
