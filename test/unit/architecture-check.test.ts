import assert from 'node:assert/strict';
import { dirname, resolve } from 'node:path';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkArchitecture, type ArchitectureCheckOptions } from '../tools/architecture-check.js';

// Compiled to dist/test/unit; the fixtures stay in the source tree (tsconfig excludes them).
const fixtures = resolve(dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures/architecture');

async function messages(fixture: string, options: Partial<ArchitectureCheckOptions> = {}): Promise<string[]> {
  const violations = await checkArchitecture({ root: resolve(fixtures, fixture), ...options });
  return violations.map((violation) => violation.message);
}

it('finds nothing in a tree that follows its layer table', async () => {
  assert.deepEqual(await messages('clean'), []);
});

it('lists every file cycle once, type-only imports included', async () => {
  assert.deepEqual(await messages('file-cycle'), [
    'file cycle: src/core/a.ts → src/core/b.ts → src/core/a.ts',
    'file cycle: src/core/c.ts → src/core/d.ts → src/core/e.ts → src/core/c.ts',
  ]);
});

it('finds a cycle between folders that no file cycle shows, and the same cycle in the table', async () => {
  assert.deepEqual(await messages('folder-cycle'), [
    'folder cycle: dlq → ingest → dlq (dlq → ingest: src/dlq/replay.ts → src/ingest/service.ts (types only); ingest → dlq: src/ingest/service.ts → src/dlq/queue.ts)',
    'layer table cycle in docs/architecture.md: dlq → ingest → dlq',
  ]);
});

it('reports a (type-only) import between layers that the importing row does not allow', async () => {
  assert.deepEqual(await messages('undeclared-import'), [
    'layer import: store → core is not allowed by docs/architecture.md (store may import nothing): src/store/events.ts → src/core/ids.ts (types only)',
  ]);
});

it('reports a folder without a row, a row without a folder, and a file outside every layer', async () => {
  assert.deepEqual(await messages('layer-rows'), [
    'layer table: folder src/serve/ has no row in docs/architecture.md',
    'layer table: docs/architecture.md:7 has a row for `legacy`, but there is no folder src/legacy/',
    'root file: src/main.ts is directly in src/, not in a layer folder',
  ]);
});

it('reports rows it cannot read instead of skipping them', async () => {
  assert.deepEqual(await messages('layer-rows', { architectureDoc: 'docs/unreadable.md' }), [
    'layer table: docs/unreadable.md:6: the first cell must be one folder name in backticks, not "core"',
    'layer table: docs/unreadable.md:8: the last cell must list folders in backticks, comma-separated, or —; not "core"',
    'layer table: docs/unreadable.md:10: layer `serve` has a second row',
    'layer table: docs/unreadable.md:11: layer `legacy` may import `nowhere`, which has no row',
    'layer table: docs/unreadable.md:11 has a row for `legacy`, but there is no folder src/legacy/',
    'root file: src/main.ts is directly in src/, not in a layer folder',
  ]);
});

it('says when the architecture document or its table is missing', async () => {
  const root = 'root file: src/main.ts is directly in src/, not in a layer folder';
  assert.deepEqual(await messages('layer-rows', { architectureDoc: 'docs/absent.md' }), [
    'layer table: docs/absent.md not found, so no layer can be checked',
    root,
  ]);
  assert.deepEqual(await messages('layer-rows', { architectureDoc: 'docs/no-table.md' }), [
    'layer table: docs/no-table.md has no layer table between <!-- layers:begin --> and <!-- layers:end -->',
    root,
  ]);
});

it('reports a file over 450 lines without a reason, and exceptions that excuse nothing', async () => {
  const sizeExceptions = {
    'src/core/excused.ts': 'one table of values, read as a whole',
    'src/core/unexplained.ts': '  ',
    'src/core/small.ts': 'was long once',
    'src/core/gone.ts': 'was moved away',
  };
  assert.deepEqual(await messages('oversized-file', { sizeExceptions }), [
    'file size: src/core/big.ts has 451 lines (limit 450) and no size exception',
    'size exception: src/core/gone.ts no longer exists; remove its exception',
    'size exception: src/core/small.ts has 10 lines now (limit 450); remove its exception',
    'size exception: src/core/unexplained.ts (455 lines) needs a reason: the single concern that justifies its size',
  ]);
});

it('reports functions, methods and arrow functions over 80 lines in src/platform/ only', async () => {
  assert.deepEqual(await messages('long-function'), [
    'function length: src/platform/start.ts:5 assemble spans 81 lines (limit 80)',
    'function length: src/platform/start.ts:169 Platform.start spans 85 lines (limit 80)',
    'function length: src/platform/start.ts:256 stop spans 82 lines (limit 80)',
  ]);
});
