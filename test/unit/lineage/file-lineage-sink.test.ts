import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { it } from 'node:test';
import { pino } from 'pino';
import { FileLineageSink } from '../../../src/lineage/sinks/file-lineage-sink.js';
import { tempDir } from '../../helpers/tmp.js';

const logger = pino({ level: 'silent' });

it('appends one JSON event per line, creating the folder, in emit order', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const path = join(dir, 'lineage', 'events.ndjson');
    const sink = new FileLineageSink({ path, maxQueue: 100, logger });
    for (let i = 0; i < 20; i++) sink.emit({ i, eventType: i === 0 ? 'START' : 'RUNNING' });
    await sink.close();
    const lines = (await readFile(path, 'utf8')).split('\n');
    assert.equal(lines.pop(), '');
    assert.deepEqual(lines.map((l) => JSON.parse(l).i), [...Array(20).keys()]);
    assert.deepEqual(sink.stats(), { delivered: 20, failed: 0, dropped: 0, retries: 0, queued: 0 });
    // A closed sink takes nothing more, and says so in its counts.
    sink.emit({ late: true });
    assert.equal(sink.stats().dropped, 1);
  } finally {
    await cleanup();
  }
});

it('counts a write that fails and one that finds the queue full, and never throws', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const blocker = join(dir, 'a-file');
    await writeFile(blocker, 'x');
    const broken = new FileLineageSink({ path: join(blocker, 'events.ndjson'), maxQueue: 1, logger });
    // The first is being written, the second waits (the one place in the queue), the third finds it full.
    broken.emit({ n: 1 });
    broken.emit({ n: 2 });
    broken.emit({ n: 3 });
    await broken.flush();
    assert.deepEqual(broken.stats(), { delivered: 0, failed: 2, dropped: 1, retries: 0, queued: 0 });
  } finally {
    await cleanup();
  }
});
