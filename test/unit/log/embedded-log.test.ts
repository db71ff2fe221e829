import { readdirSync } from 'node:fs';
import assert from 'node:assert/strict';
import { appendFile, readdir, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { EmbeddedLog } from '../../../src/log/embedded/embedded-log.js';
import { tempDir } from '../../helpers/tmp.js';

const options = (dir: string, segmentBytes = 1 << 20) => ({ dir, segmentBytes, maxRecordBytes: 1 << 20 });
const rec = (i: number) => ({ key: `k${i}`, value: Buffer.from(`value-${i}`), timestamp: i });

/** A one-partition log holding `records`, closed again; returns its first segment file. */
async function writeClosedLog(dir: string, records: Array<ReturnType<typeof rec>>): Promise<string> {
  const log = await EmbeddedLog.open(options(dir));
  await log.ensureTopic('t', { partitions: 1 });
  await log.append('t', records);
  await log.close();
  return join(dir, 't', '0', '00000000000000000000.log');
}

describe('embedded log', () => {
  it('cuts a torn tail on open and keeps every record before it', async () => {
    const { dir, cleanup } = await tempDir();
    const segment = await writeClosedLog(dir, Array.from({ length: 10 }, (_, i) => rec(i)));
    const goodSize = (await stat(segment)).size;
    // Half a frame, as a crash in the middle of a write leaves it.
    await appendFile(segment, Buffer.from([0, 0, 0, 40, 1, 2, 3, 4, 1, 0, 0]));
    const recoveries: Array<{ truncatedBytes: number }> = [];
    const log = await EmbeddedLog.open({ ...options(dir), onRecovery: (info) => recoveries.push(info) });
    assert.equal(recoveries.length, 1);
    assert.equal(recoveries[0]!.truncatedBytes, 11);
    assert.equal((await stat(segment)).size, goodSize);
    assert.equal(log.endOffsets('t').get(0), 10);
    const [appended] = await log.append('t', [rec(10)]);
    assert.equal(appended!.offset, 10, 'appends continue right after the last good record');
    const consumer = await log.consumer('g', 't');
    const records = await consumer.poll(100, 10);
    assert.deepEqual(records.map((r) => r.value.toString()), Array.from({ length: 11 }, (_, i) => `value-${i}`));
    await log.close();
    await cleanup();
  });

  it('cuts a record whose checksum does not match (a partly persisted write)', async () => {
    const { dir, cleanup } = await tempDir();
    const segment = await writeClosedLog(dir, Array.from({ length: 5 }, (_, i) => rec(i)));
    const size = (await stat(segment)).size;
    await truncate(segment, size - 3);
    await appendFile(segment, Buffer.from([9, 9, 9]));
    const log = await EmbeddedLog.open(options(dir));
    assert.equal(log.endOffsets('t').get(0), 4);
    await log.close();
    await cleanup();
  });

  it('makes a burst of concurrent appends durable with far fewer fsyncs than appends', async () => {
    const { dir, cleanup } = await tempDir();
    const log = await EmbeddedLog.open(options(dir));
    await log.ensureTopic('t', { partitions: 1 });
    await Promise.all(Array.from({ length: 200 }, (_, i) => log.append('t', [rec(i)])));
    const { fsyncs, appendedRecords } = log.stats();
    assert.equal(appendedRecords, 200);
    assert.ok(fsyncs <= 5, `200 concurrent appends took ${fsyncs} fsyncs`);
    await log.close();
    await cleanup();
  });

  it('deletes consumed segments past retention, never the active one or unconsumed ones, and survives a reopen', async () => {
    const { dir, cleanup } = await tempDir();
    let log = await EmbeddedLog.open(options(dir, 1024));
    await log.ensureTopic('t', { partitions: 1 });
    for (let batch = 0; batch < 10; batch++) await log.append('t', Array.from({ length: 20 }, (_, i) => rec(batch * 20 + i)));
    const before = log.stats().topics[0]!.partitions[0]!.segments;
    assert.ok(before > 3);
    const future = Date.now() + 60_000;
    assert.equal(await log.enforceRetention('t', new Map([[0, 200]]), 120_000, future), 0, 'not old enough yet');
    assert.equal(await log.enforceRetention('t', new Map([[0, 0]]), 0, future), 0, 'nothing consumed');
    const deleted = await log.enforceRetention('t', new Map([[0, 100]]), 0, future);
    assert.ok(deleted > 0);
    const start = log.startOffsets('t').get(0)!;
    assert.ok(start > 0 && start <= 100, `start offset ${start} within the consumed range`);
    const all = await log.enforceRetention('t', new Map([[0, 200]]), 0, future);
    assert.equal(log.stats().topics[0]!.partitions[0]!.segments, 1, 'the active segment stays');
    assert.ok(all > 0);
    await log.close();
    log = await EmbeddedLog.open(options(dir, 1024));
    assert.equal(log.endOffsets('t').get(0), 200);
    const consumer = await log.consumer('g', 't');
    consumer.seek(0, log.startOffsets('t').get(0)!);
    const records = await consumer.poll(1000, 10);
    assert.equal(records[records.length - 1]!.value.toString(), 'value-199');
    consumer.seek(0, 0);
    await assert.rejects(consumer.poll(10, 10), /SL_LOG_OFFSET_OUT_OF_RANGE|before the partition start/);
    await log.close();
    await cleanup();
  });

  it('never resolves an append before its own records are synced, however flushes interleave', async () => {
    const { dir, cleanup } = await tempDir();
    const log = await EmbeddedLog.open(options(dir, 512));
    await log.ensureTopic('t', { partitions: 1 });
    // Slow, uneven fsyncs make appends stage while a flush is in flight, at every phase of it.
    const partition = (log as any).topics.get('t')[0];
    const slowSync = (handle: any) => {
      if (handle.__slow) return;
      const real = handle.datasync.bind(handle);
      handle.datasync = async () => {
        await new Promise((r) => setTimeout(r, Math.random() * 8));
        await real();
      };
      handle.__slow = true;
    };
    const violations: string[] = [];
    const appends: Promise<void>[] = [];
    for (let i = 0; i < 300; i++) {
      slowSync(partition.activeHandle);
      appends.push(
        log.append('t', [rec(i)]).then(([r]) => {
          const end = log.endOffsets('t').get(0)!;
          if (end <= r!.offset) violations.push(`offset ${r!.offset} acknowledged at durable end ${end}`);
        }),
      );
      if (i % 7 === 0) await new Promise((r) => setTimeout(r, Math.random() * 3));
      if (i % 5 === 0) await new Promise((r) => setImmediate(r));
    }
    await Promise.all(appends);
    assert.deepEqual(violations, []);
    await log.close();
    await cleanup();
  });

  it('stops a partition for good after a failed write: no later append is acknowledged or written', async () => {
    const { dir, cleanup } = await tempDir();
    let log = await EmbeddedLog.open(options(dir));
    await log.ensureTopic('t', { partitions: 1 });
    await log.append('t', [rec(0)]);
    const handle = (log as any).topics.get('t')[0].activeHandle;
    const realWritev = handle.writev.bind(handle);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let failNext = true;
    handle.writev = async (...args: unknown[]) => {
      if (failNext) {
        failNext = false;
        await gate;
        throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
      }
      return realWritev(...args);
    };
    const failing = log.append('t', [rec(1)]);
    await new Promise((r) => setTimeout(r, 5));
    const stagedMeanwhile = log.append('t', [rec(2)]);
    await new Promise((r) => setImmediate(r));
    release();
    await assert.rejects(failing, /SL_LOG_WRITE_FAILED|EIO/);
    await assert.rejects(stagedMeanwhile, /SL_LOG_WRITE_FAILED|stopped/);
    await assert.rejects(log.append('t', [rec(3)]), /stopped after a failed write/);
    assert.equal(log.endOffsets('t').get(0), 1);
    await log.close();
    log = await EmbeddedLog.open(options(dir));
    assert.equal(log.endOffsets('t').get(0), 1, 'only the acknowledged record is in the log');
    const [next] = await log.append('t', [rec(4)]);
    assert.equal(next!.offset, 1);
    await log.close();
    await cleanup();
  });

  it('refuses to open a segment damaged before its end instead of cutting acknowledged records', async () => {
    const { dir, cleanup } = await tempDir();
    const segment = await writeClosedLog(dir, Array.from({ length: 10 }, (_, i) => rec(i)));
    const { open } = await import('node:fs/promises');
    const handle = await open(segment, 'r+');
    await handle.write(Buffer.from([0xff]), 0, 1, 30);
    await handle.close();
    const openFiles = () => readdirSync('/proc/self/fd').length;
    const before = openFiles();
    await assert.rejects(EmbeddedLog.open(options(dir)), (err: any) => err.code === 'SL_LOG_CORRUPT' && /not a torn last write/.test(err.message));
    assert.equal(openFiles(), before, 'a log that cannot be opened closes the files it had opened');
    await cleanup();
  });

  it('reads records written with a larger maxRecordBytes after the setting is lowered', async () => {
    const { dir, cleanup } = await tempDir();
    await writeClosedLog(dir, [{ key: 'big', value: Buffer.alloc(100_000, 1), timestamp: 1 }, rec(1)]);
    const log = await EmbeddedLog.open({ dir, segmentBytes: 1 << 20, maxRecordBytes: 1000 });
    assert.equal(log.endOffsets('t').get(0), 2);
    const consumer = await log.consumer('g', 't');
    assert.equal((await consumer.poll(10, 10)).length, 2);
    await log.close();
    await cleanup();
  });

  it('rolls segments by size and reads across them after a reopen, from any offset', async () => {
    const { dir, cleanup } = await tempDir();
    let log = await EmbeddedLog.open(options(dir, 2048));
    await log.ensureTopic('t', { partitions: 1 });
    for (let batch = 0; batch < 20; batch++) {
      await log.append('t', Array.from({ length: 50 }, (_, i) => rec(batch * 50 + i)));
    }
    await log.close();
    const segments = (await readdir(join(dir, 't', '0'))).filter((f) => f.endsWith('.log'));
    assert.ok(segments.length > 5, `expected several segments, got ${segments.length}`);
    log = await EmbeddedLog.open(options(dir, 2048));
    assert.equal(log.endOffsets('t').get(0), 1000);
    const consumer = await log.consumer('g', 't');
    for (const start of [0, 49, 50, 517, 999]) {
      consumer.seek(0, start);
      const records = await consumer.poll(3, 10);
      assert.equal(records[0]!.offset, start);
      assert.equal(records[0]!.value.toString(), `value-${start}`);
    }
    consumer.seek(0, 0);
    let read = 0;
    for (let i = 0; i < 100 && read < 1000; i++) read += (await consumer.poll(128, 10)).length;
    assert.equal(read, 1000);
    await log.close();
    await cleanup();
  });
});
