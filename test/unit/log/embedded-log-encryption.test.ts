import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { KeyRing } from '../../../src/core/key-ring.js';
import { EmbeddedLog } from '../../../src/log/embedded/embedded-log.js';
import { tempDir } from '../../helpers/tmp.js';

const READER = fileURLToPath(new URL('../../../../test/tools/read_sealed_log.py', import.meta.url));
const keyLine = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;
const SECRET = 'user-4711-secret-payload';
const rec = (i: number) => ({ key: `k${i}`, value: Buffer.from(JSON.stringify({ id: `e${i}`, payload: { note: `${SECRET}-${i}` } })), timestamp: i });
const options = (dir: string, ring?: KeyRing) => ({ dir, segmentBytes: 2048, maxRecordBytes: 1 << 20, ...(ring && { keyRing: ring }) });

async function readAll(log: EmbeddedLog): Promise<string[]> {
  const consumer = await log.consumer(`g${randomBytes(4).toString('hex')}`, 't');
  const out: string[] = [];
  for (;;) {
    const records = await consumer.poll(1000, 10);
    if (records.length === 0) return out;
    out.push(...records.map((r) => r.value.toString()));
  }
}

async function segmentFiles(dir: string): Promise<string[]> {
  const partition = join(dir, 't', '0');
  return (await readdir(partition)).filter((f) => f.endsWith('.log')).sort().map((f) => join(partition, f));
}

describe('embedded log: encryption at rest', () => {
  it('seals every value so no plaintext reaches the disk, and reads it back with the key', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const ring = KeyRing.parse(keyLine('k1'), 'test');
      const log = await EmbeddedLog.open(options(dir, ring));
      await log.ensureTopic('t', { partitions: 1 });
      const records = Array.from({ length: 40 }, (_, i) => rec(i));
      for (let i = 0; i < records.length; i += 5) await log.append('t', records.slice(i, i + 5));
      assert.deepEqual(await readAll(log), records.map((r) => r.value.toString()));
      await log.close();
      const files = await segmentFiles(dir);
      assert.ok(files.length >= 2, `${files.length} segments`);
      for (const file of files) {
        assert.ok(!(await readFile(file)).includes(SECRET), `${file} holds no plaintext`);
        assert.match(await readFile(file.replace(/\.log$/, '.key'), 'utf8'), /"kek":"k1"/);
      }
      // Open again: the data keys unwrap from their files.
      const reopened = await EmbeddedLog.open(options(dir, ring));
      assert.equal((await readAll(reopened)).length, 40);
      await reopened.close();
    } finally {
      await cleanup();
    }
  });

  it('is read by an independent reader (Python, cryptography) from the documented format and the key file', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const keyFile = join(dir, 'keys');
      await writeFile(keyFile, `${keyLine('primary')}\n`, { mode: 0o600 });
      const log = await EmbeddedLog.open(options(dir, KeyRing.parse(await readFile(keyFile, 'utf8'), keyFile)));
      await log.ensureTopic('t', { partitions: 1 });
      await log.append('t', [rec(1), rec(2)]);
      await log.close();
      const [segment] = await segmentFiles(dir);
      const read = spawnSync('python3', [READER, segment!, keyFile], { encoding: 'utf8' });
      assert.equal(read.status, 0, read.stderr);
      const lines = read.stdout.trim().split('\n').map((l) => JSON.parse(l) as { offset: number; key: string; value: string });
      assert.deepEqual(lines, [rec(1), rec(2)].map((r, i) => ({ offset: i, key: r.key, value: r.value.toString() })));
    } finally {
      await cleanup();
    }
  });

  it('refuses to open without the key, or with another key under the same id, with a code', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const log = await EmbeddedLog.open(options(dir, KeyRing.parse(keyLine('k1'), 'test')));
      await log.ensureTopic('t', { partitions: 1 });
      await log.append('t', [rec(1)]);
      await log.close();
      for (const ring of [undefined, KeyRing.parse(keyLine('k1'), 'test'), KeyRing.parse(keyLine('k2'), 'test')]) {
        await assert.rejects(
          async () => {
            const opened = await EmbeddedLog.open(options(dir, ring));
            await opened.ensureTopic('t', { partitions: 1 });
          },
          (err: Error & { code?: string }) => err.code === 'SL_ENCRYPTION_KEY_MISSING',
        );
      }
    } finally {
      await cleanup();
    }
  });

  it('rotates the master key without rewriting data: a new key first, a restart, then the old one can go', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const [oldKey, newKey] = [keyLine('old'), keyLine('new')];
      const first = await EmbeddedLog.open(options(dir, KeyRing.parse(oldKey, 'test')));
      await first.ensureTopic('t', { partitions: 1 });
      await first.append('t', Array.from({ length: 20 }, (_, i) => rec(i)));
      await first.close();
      const before = await Promise.all((await segmentFiles(dir)).map((f) => readFile(f)));
      const both = await EmbeddedLog.open(options(dir, KeyRing.parse(`${newKey}\n${oldKey}`, 'test')));
      await both.ensureTopic('t', { partitions: 1 });
      await both.close();
      const after = await Promise.all((await segmentFiles(dir)).map((f) => readFile(f)));
      assert.deepEqual(after, before, 'no segment was rewritten');
      const onlyNew = await EmbeddedLog.open(options(dir, KeyRing.parse(newKey, 'test')));
      await onlyNew.ensureTopic('t', { partitions: 1 });
      assert.equal((await readAll(onlyNew)).length, 20);
      await onlyNew.close();
    } finally {
      await cleanup();
    }
  });

  it('keeps a log written before encryption was turned on readable, and seals what comes after', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const plain = await EmbeddedLog.open(options(dir));
      await plain.ensureTopic('t', { partitions: 1 });
      await plain.append('t', [rec(1)]);
      await plain.close();
      const ring = KeyRing.parse(keyLine('k1'), 'test');
      const sealed = await EmbeddedLog.open(options(dir, ring));
      await sealed.ensureTopic('t', { partitions: 1 });
      await sealed.append('t', [rec(2)]);
      assert.deepEqual(await readAll(sealed), [rec(1), rec(2)].map((r) => r.value.toString()));
      await sealed.close();
      const files = await segmentFiles(dir);
      assert.equal(files.length, 2, 'the plaintext segment is closed; the sealed records start a new one');
      assert.ok(!(await readFile(files[1]!)).includes(SECRET));
    } finally {
      await cleanup();
    }
  });

  it('erases records in sealed segments: they read back as the erased marker', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const log = await EmbeddedLog.open(options(dir, KeyRing.parse(keyLine('k1'), 'test')));
      await log.ensureTopic('t', { partitions: 1 });
      for (let i = 0; i < 40; i += 5) await log.append('t', Array.from({ length: 5 }, (_, j) => rec(i + j)));
      const erased = await log.eraseRecords!('t', new Map([[0, 40]]), (value) => value.toString().includes(`${SECRET}-3"`), (n) => Buffer.alloc(n, 0x20));
      assert.equal(erased.records + erased.left, 1);
      const values = await readAll(log);
      assert.equal(values.length, 40);
      assert.equal(values.filter((v) => v.includes(`${SECRET}-3"`)).length, erased.left);
      await log.close();
    } finally {
      await cleanup();
    }
  });

  it('never reads a sealed record as plaintext, even when its key file went missing', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const ring = KeyRing.parse(keyLine('k1'), 'test');
      const log = await EmbeddedLog.open(options(dir, ring));
      await log.ensureTopic('t', { partitions: 1 });
      await log.append('t', [rec(1)]);
      await log.close();
      const [segment] = await segmentFiles(dir);
      await rm(segment!.replace(/\.log$/, '.key'));
      const reopened = await EmbeddedLog.open(options(dir, ring));
      try {
        await reopened.ensureTopic('t', { partitions: 1 });
        await assert.rejects(readAll(reopened), (err: Error & { code?: string }) => err.code === 'SL_ENCRYPTION_KEY_MISSING');
      } finally {
        await reopened.close();
      }
    } finally {
      await cleanup();
    }
  });
});
