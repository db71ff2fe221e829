import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { constants } from 'node:fs';
import { chmod, mkdir, open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { FileLineageSink } from '../../src/lineage/sinks/file-lineage-sink.js';
import { tempDir } from '../helpers/tmp.js';
import { type LineageDestination, lineageSinkContract, settles } from './lineage-sink.contract.js';

const logger = pino({ level: 'silent' });

/** The NDJSON file at `path` (under a fresh temp folder): what it holds is what was delivered. */
async function destination(place: (dir: string) => Promise<string>): Promise<LineageDestination> {
  const { dir, cleanup } = await tempDir();
  const path = await place(dir);
  return {
    sink: ({ maxQueue }) => new FileLineageSink({ path, maxQueue, logger }),
    async taken() {
      const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT' || err.code === 'ENOTDIR' || err.code === 'EISDIR') return '';
        throw err;
      });
      return text
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line));
    },
    // The read-only folder is empty (nothing could be written), so it goes with its parent.
    teardown: cleanup,
  };
}

/** A folder without write permission: it stops everyone but root (CAP_DAC_OVERRIDE), so a run as root has no such destination. */
const readOnlyFolder = {
  name: 'its folder is read-only',
  open: () =>
    destination(async (dir) => {
      const folder = join(dir, 'lineage');
      await mkdir(folder);
      await chmod(folder, 0o555);
      return join(folder, 'events.ndjson');
    }),
};

lineageSinkContract('NDJSON file', {
  // A folder that does not exist yet: the sink makes it.
  working: () => destination(async (dir) => join(dir, 'lineage', 'events.ndjson')),
  stalls: false,
  broken: [
    {
      name: 'its folder is missing and cannot be made, a file stands in the way',
      open: () =>
        destination(async (dir) => {
          await writeFile(join(dir, 'lineage'), 'not a folder');
          return join(dir, 'lineage', 'events.ndjson');
        }),
    },
    {
      name: 'its path is a folder',
      open: () =>
        destination(async (dir) => {
          const path = join(dir, 'events.ndjson');
          await mkdir(path);
          return path;
        }),
    },
    ...(process.getuid?.() === 0 ? [] : [readOnlyFolder]),
  ],
});

describe('NDJSON file lineage sink, beyond the contract', () => {
  it('close returns by its deadline while a write hangs (a FIFO nobody reads), giving that event up', async (t) => {
    const { dir, cleanup } = await tempDir();
    const path = join(dir, 'events.ndjson');
    execFileSync('mkfifo', [path]);
    t.after(async () => {
      // A reader coming lets the stuck open() go; without it the test process could not exit.
      await (await open(path, constants.O_RDONLY | constants.O_NONBLOCK)).close();
      await cleanup();
    });
    const sink = new FileLineageSink({ path, maxQueue: 10, logger });
    sink.emit({ n: 0 });
    sink.emit({ n: 1 });
    const started = performance.now();
    await settles('close', sink.close(200), 5000);
    const took = performance.now() - started;
    assert.ok(took < 2200, `close(200) took ${Math.round(took)} ms`);
    assert.deepEqual(sink.stats(), { delivered: 0, failed: 1, dropped: 1, retries: 0, queued: 0 });
  });
});
