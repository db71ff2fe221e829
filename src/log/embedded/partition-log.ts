import { type FileHandle, mkdir, open, readdir, stat, statfs } from 'node:fs/promises';
import { SightlineError } from '../../core/errors.js';
import { fsyncDir } from '../../fs/durable-files.js';
import type { KeyRing } from '../../core/key-ring.js';
import { type DecodedRecord, encodeRecord, FRAME_HEADER_BYTES, resealFrameChecksum } from './record-codec.js';
import { removeKeyFile, SEALED_OVERHEAD, SegmentCipher } from './segment-cipher.js';
import type { SegmentFile } from './segment-eraser.js';
import { parseSegmentFileName, Segment } from './segment.js';

export interface PartitionLogOptions {
  segmentBytes: number;
  maxRecordBytes: number;
  /** Encryption at rest: each new segment gets a data key wrapped by the ring's current master key. */
  keyRing?: KeyRing;
  /** Called with what recovery cut from a torn tail, for the log's owner to report. */
  onRecovery?: (info: { path: string; truncatedBytes: number; reason: string }) => void;
}

/**
 * One partition: an ordered list of segments, the last one open for appends. Appends are staged
 * in memory and made durable by a flush (write + fdatasync) that many appends share (group
 * commit). Readers see only flushed records.
 *
 * After a failed write or sync the partition stops (fail-stop, as PostgreSQL and Kafka do on fsync
 * errors): what reached the disk after the last good sync is unknown, so nothing after it may be
 * acknowledged. `recover()` takes writes again once it can cut the file back to that sync and the
 * file system has room, as Elasticsearch lifts its disk block: what it cuts was never acknowledged.
 */
export class PartitionLog {
  private readonly segments: Segment[] = [];
  private activeHandle!: FileHandle;
  /** Offset the next staged record gets. */
  private stagedNextOffset = 0;
  private staged: Buffer[] = [];
  /** With encryption at rest: the sealed value length of each staged frame (its value ends the frame). */
  private stagedSealed: number[] = [];
  /** A plaintext active segment found at start with encryption on: records go to a new one. */
  private rollBeforeNextFlush = false;
  private flushing: Promise<void> | undefined;
  private readHint: { offset: number; segment: Segment; pos: number } | undefined;
  private failed: unknown;
  /** fdatasyncs done, for stats and the group-commit test. */
  syncs = 0;

  private constructor(private readonly dir: string, private readonly options: PartitionLogOptions) {}

  /** A partition that cannot be opened (a damaged segment) closes the files it had opened before it throws. */
  static async open(dir: string, options: PartitionLogOptions): Promise<PartitionLog> {
    const log = new PartitionLog(dir, options);
    try {
      await log.load();
    } catch (err) {
      await log.close().catch(() => undefined);
      throw err;
    }
    return log;
  }

  private async load(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const bases = (await readdir(this.dir))
      .map(parseSegmentFileName)
      .filter((base): base is number => base !== undefined)
      .sort((a, b) => a - b);
    if (bases.length === 0) bases.push(0);
    for (let i = 0; i < bases.length; i++) {
      const segment = new Segment(this.dir, bases[i]!);
      const next = bases[i + 1];
      if (next !== undefined) segment.setExtent(next, (await stat(segment.path)).size);
      segment.cipher = await SegmentCipher.load(segment.path, this.options.keyRing);
      this.segments.push(segment);
    }
    await this.openActive(true);
    if (this.options.keyRing && !this.active.cipher) {
      if (this.active.size === 0) this.active.cipher = await SegmentCipher.create(this.active.path, this.options.keyRing);
      else this.rollBeforeNextFlush = true;
    }
  }

  private get active(): Segment {
    return this.segments[this.segments.length - 1]!;
  }

  /**
   * Opens the last segment for writing. 'r+' rather than append mode: with O_APPEND, Linux puts
   * every write at the end of the file whatever position we give, so a short write could leave
   * garbage in front of the next frame instead of being overwritten by it.
   */
  private async openActive(recover: boolean): Promise<void> {
    const segment = this.active;
    await (await open(segment.path, 'a')).close();
    this.activeHandle = await open(segment.path, 'r+');
    await fsyncDir(this.dir);
    if (!recover) return;
    const fileSize = (await this.activeHandle.stat()).size;
    const result = await segment.scan(fileSize);
    if (result.validBytes < fileSize) {
      if (!result.tornTail) {
        throw new SightlineError(
          'SL_LOG_CORRUPT',
          `${segment.path}: ${result.reason} at byte ${result.validBytes} of ${fileSize}, with data after it; ` +
            'this is not a torn last write, so nothing is cut automatically. Restore the data folder from a backup, ' +
            `or truncate the file to ${result.validBytes} bytes to keep the records before the damage.`,
        );
      }
      // A torn tail: the frames after validBytes were never acknowledged (acknowledgement waits
      // for fdatasync of the whole frame), so cutting them loses nothing a producer was told.
      await this.activeHandle.truncate(result.validBytes);
      await this.activeHandle.sync();
      this.options.onRecovery?.({ path: segment.path, truncatedBytes: fileSize - result.validBytes, reason: result.reason ?? 'torn tail' });
    }
    segment.noteAppended(result.nextOffset, result.validBytes);
    this.stagedNextOffset = result.nextOffset;
  }

  /** Offset of the next durable record: everything below it survives a crash. */
  get endOffset(): number {
    return this.active.nextOffset;
  }

  get startOffset(): number {
    return this.segments[0]!.baseOffset;
  }

  get bytes(): number {
    return this.segments.reduce((sum, s) => sum + s.size, 0);
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  /** Assigns the next offset and stages the frame; durable only once `flushThrough` passes it. */
  stage(key: string, value: Buffer, timestamp: number, headers: Record<string, string> | undefined): number {
    this.checkWritable();
    const reserve = this.options.keyRing ? SEALED_OVERHEAD : 0;
    const frame = encodeRecord(this.stagedNextOffset, key, value, timestamp, headers, reserve);
    if (frame.length - FRAME_HEADER_BYTES > this.options.maxRecordBytes) {
      throw new SightlineError('SL_LOG_WRITE_FAILED', `record of ${frame.length} bytes exceeds log.maxRecordBytes`, { retryable: false });
    }
    this.staged.push(frame);
    if (reserve > 0) this.stagedSealed.push(value.length + reserve);
    return this.stagedNextOffset++;
  }

  /**
   * Resolves once the record at `offset` is durable. Whoever finds no flush running starts one
   * with everything staged so far; everyone else waits for it, then checks again, so a burst of
   * appends shares one fdatasync and no append is answered before its own bytes are synced.
   */
  async flushThrough(offset: number): Promise<void> {
    while (this.endOffset <= offset) {
      this.checkWritable();
      if (this.flushing) {
        await this.flushing.catch(() => undefined);
        continue;
      }
      this.flushing = this.flushStaged().finally(() => {
        this.flushing = undefined;
      });
      await this.flushing;
    }
  }

  private async flushStaged(): Promise<void> {
    const frames = this.staged;
    const sealed = this.stagedSealed;
    this.staged = [];
    this.stagedSealed = [];
    if (frames.length === 0) return;
    try {
      this.checkWritable();
      if (this.active.size >= this.options.segmentBytes || this.rollBeforeNextFlush) await this.roll();
      const segment = this.active;
      let pos = segment.size;
      let offset = segment.nextOffset;
      for (const [i, frame] of frames.entries()) {
        // Sealed here, not when staged: only now is the segment, and so the data key, known.
        if (segment.cipher) {
          segment.cipher.sealInPlace(frame.subarray(frame.length - sealed[i]!), offset);
          resealFrameChecksum(frame);
        }
        segment.noteRecord(offset++, pos);
        pos += frame.length;
      }
      let written = 0;
      while (written < pos - segment.size) {
        const { bytesWritten } = await this.activeHandle.writev(written === 0 ? frames : [Buffer.concat(frames).subarray(written)], segment.size + written);
        written += bytesWritten;
      }
      await this.activeHandle.datasync();
      this.syncs++;
      segment.noteAppended(offset, pos);
    } catch (err) {
      this.failed ??= err;
      // The staged frames carried offsets after the lost ones: they can never be written.
      this.staged = [];
      this.stagedSealed = [];
      throw new SightlineError('SL_LOG_WRITE_FAILED', `append to ${this.dir} failed: ${(err as Error).message}`, { cause: err });
    }
  }

  /**
   * After a failed write: cuts the active segment back to its last synced byte, syncs the cut,
   * and takes writes again, if the file system has room for a record of the largest size.
   * Resolves false, still stopped, when it cannot (the disk is still full, the cut fails).
   */
  async recover(): Promise<boolean> {
    if (this.failed === undefined) return true;
    if (this.flushing) return false;
    try {
      const { bavail, bsize } = await statfs(this.dir);
      if (bavail * bsize < this.options.maxRecordBytes + FRAME_HEADER_BYTES) return false;
      await this.activeHandle?.close().catch(() => undefined);
      // A roll that failed part way may have left the new, empty segment without its file.
      await this.openActive(false);
      const segment = this.active;
      await this.activeHandle.truncate(segment.size);
      await this.activeHandle.datasync();
      segment.forgetRecordsFrom(segment.nextOffset);
    } catch {
      return false;
    }
    this.stagedNextOffset = this.active.nextOffset;
    this.staged = [];
    this.stagedSealed = [];
    this.readHint = undefined;
    this.failed = undefined;
    return true;
  }

  /** Why the partition stopped taking writes, or null while it is writable. */
  get failure(): string | null {
    return this.failed === undefined ? null : (this.failed as Error).message;
  }

  checkWritable(): void {
    if (this.failed !== undefined) {
      throw new SightlineError('SL_LOG_WRITE_FAILED', `partition ${this.dir} stopped after a failed write: ${(this.failed as Error).message}`, {
        cause: this.failed,
      });
    }
  }

  private async roll(): Promise<void> {
    await this.activeHandle.close();
    const segment = new Segment(this.dir, this.active.nextOffset);
    segment.noteAppended(segment.baseOffset, 0);
    // The wrapped data key is durable before the segment's first record.
    if (this.options.keyRing) segment.cipher = await SegmentCipher.create(segment.path, this.options.keyRing);
    this.segments.push(segment);
    this.rollBeforeNextFlush = false;
    await this.openActive(false);
  }

  /** Durable records from `offset`, about `maxBytes` of them, in offset order. */
  async read(offset: number, maxBytes: number, maxRecords: number): Promise<DecodedRecord[]> {
    if (offset >= this.endOffset) return [];
    if (offset < this.startOffset) {
      throw new SightlineError('SL_LOG_OFFSET_OUT_OF_RANGE', `offset ${offset} is before the partition start ${this.startOffset}`);
    }
    let segment: Segment;
    let pos: number;
    const hint = this.readHint;
    if (hint && hint.offset === offset && hint.pos < hint.segment.size) {
      segment = hint.segment;
      pos = hint.pos;
    } else {
      segment = this.segmentFor(offset);
      pos = await segment.positionOf(offset);
    }
    const { records, endPos } = await segment.readFrom(pos, offset, maxBytes, maxRecords);
    const cipher = segment.cipher;
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!;
      if (!record.sealed) continue;
      if (!cipher) throw new SightlineError('SL_ENCRYPTION_KEY_MISSING', `${segment.path}: record ${record.offset} is sealed, and the segment's data key file is missing`);
      const { offset, timestamp, key, headers } = record;
      records[i] = { offset, timestamp, key, headers, value: cipher.open(record.value, offset, segment.path) };
    }
    const last = records[records.length - 1];
    if (last) this.readHint = { offset: last.offset + 1, segment, pos: endPos };
    return records;
  }

  /**
   * Deletes closed segments whose records all lie before `safeOffset` and whose file was last
   * written before `olderThan` (epoch ms). The active segment is never deleted.
   */
  async deleteSegmentsBefore(safeOffset: number, olderThan: number): Promise<number> {
    let deleted = 0;
    while (this.segments.length > 1) {
      const oldest = this.segments[0]!;
      if (oldest.nextOffset > safeOffset) break;
      const { mtimeMs } = await stat(oldest.path);
      if (mtimeMs >= olderThan) break;
      this.segments.shift();
      if (this.readHint?.segment === oldest) this.readHint = undefined;
      await oldest.remove();
      await removeKeyFile(oldest.path);
      deleted++;
    }
    if (deleted > 0) await fsyncDir(this.dir);
    return deleted;
  }

  /**
   * The segment files an erasure may rewrite (closed, every record before `safeOffset`) and the
   * ones it may only read (the open segment, and records not yet safely processed).
   */
  segmentFiles(safeOffset: number): { closed: SegmentFile[]; open: SegmentFile[] } {
    const last = this.segments.length - 1;
    const closed = this.segments.filter((s, i) => i < last && s.nextOffset <= safeOffset);
    const file = (s: Segment): SegmentFile => ({ path: s.path, ...(s.cipher && { cipher: s.cipher }), replaced: () => s.retireReadHandle() });
    return { closed: closed.map(file), open: this.segments.filter((s) => !closed.includes(s)).map(file) };
  }



  private segmentFor(offset: number): Segment {
    for (let i = this.segments.length - 1; i > 0; i--) {
      if (this.segments[i]!.baseOffset <= offset) return this.segments[i]!;
    }
    return this.segments[0]!;
  }

  async close(): Promise<void> {
    if (this.staged.length > 0) await this.flushThrough(this.stagedNextOffset - 1).catch(() => undefined);
    // A partition whose open failed may have no active file yet.
    await this.activeHandle?.close();
    for (const segment of this.segments) await segment.close();
  }
}
