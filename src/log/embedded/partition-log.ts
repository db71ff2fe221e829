import { type FileHandle, mkdir, open, readdir, stat } from 'node:fs/promises';
import { SightlineError } from '../../core/errors.js';
import { fsyncDir } from './fs-durable.js';
import { type DecodedRecord, encodeRecord } from './record-codec.js';
import { parseSegmentFileName, Segment } from './segment.js';

export interface PartitionLogOptions {
  segmentBytes: number;
  maxRecordBytes: number;
  /** Called with what recovery cut from a torn tail, for the log's owner to report. */
  onRecovery?: (info: { path: string; truncatedBytes: number; reason: string }) => void;
}

/**
 * One partition: an ordered list of segments, the last one open for appends. Appends are staged
 * in memory and made durable by `flush` (write + fdatasync), which the log calls once for many
 * appends (group commit). Readers see only flushed records.
 */
export class PartitionLog {
  private readonly segments: Segment[] = [];
  private activeHandle!: FileHandle;
  /** Offset the next staged record gets. */
  private stagedNextOffset = 0;
  private staged: Buffer[] = [];
  private stagedBytes = 0;
  private flushing: Promise<void> | undefined;
  private readHint: { offset: number; segment: Segment; pos: number } | undefined;
  private failed: unknown;

  private constructor(private readonly dir: string, private readonly options: PartitionLogOptions) {}

  static async open(dir: string, options: PartitionLogOptions): Promise<PartitionLog> {
    const log = new PartitionLog(dir, options);
    await log.load();
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
      const segment = new Segment(this.dir, bases[i]!, this.options.maxRecordBytes);
      const next = bases[i + 1];
      if (next !== undefined) {
        segment.setExtent(next, (await stat(segment.path)).size);
      }
      this.segments.push(segment);
    }
    await this.openActive(true);
  }

  private get active(): Segment {
    return this.segments[this.segments.length - 1]!;
  }

  private async openActive(recover: boolean): Promise<void> {
    const segment = this.active;
    this.activeHandle = await open(segment.path, 'a+');
    if (!recover) {
      await fsyncDir(this.dir);
      return;
    }
    const fileSize = (await this.activeHandle.stat()).size;
    const result = await segment.scan(fileSize);
    if (result.validBytes < fileSize) {
      // A torn tail: the frames after validBytes were never acknowledged (acknowledgement waits
      // for fdatasync of the whole frame), so cutting them loses nothing a producer was told.
      await this.activeHandle.truncate(result.validBytes);
      await this.activeHandle.sync();
      this.options.onRecovery?.({ path: segment.path, truncatedBytes: fileSize - result.validBytes, reason: result.reason ?? 'torn tail' });
    }
    segment.noteAppended(result.nextOffset, result.validBytes);
    this.stagedNextOffset = result.nextOffset;
  }

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

  get hasStaged(): boolean {
    return this.staged.length > 0;
  }

  /** Assigns the next offset and stages the frame; durable only after the next `flush`. */
  stage(key: string, value: Buffer, timestamp: number, headers: Record<string, string> | undefined): number {
    const offset = this.stagedNextOffset++;
    const frame = encodeRecord(offset, key, value, timestamp, headers);
    if (frame.length - 8 > this.options.maxRecordBytes) {
      this.stagedNextOffset--;
      throw new SightlineError('SL_LOG_WRITE_FAILED', `record of ${frame.length} bytes exceeds log.maxRecordBytes`, { retryable: false });
    }
    this.staged.push(frame);
    this.stagedBytes += frame.length;
    return offset;
  }

  /** Writes and fdatasyncs everything staged so far. Concurrent calls share one flush. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.staged.length === 0) return;
    this.flushing = this.flushStaged().finally(() => {
      this.flushing = undefined;
    });
    await this.flushing;
  }

  private async flushStaged(): Promise<void> {
    if (this.active.size >= this.options.segmentBytes) await this.roll();
    const frames = this.staged;
    this.staged = [];
    this.stagedBytes = 0;
    const segment = this.active;
    let pos = segment.size;
    let offset = segment.nextOffset;
    for (const frame of frames) {
      segment.noteRecord(offset++, pos);
      pos += frame.length;
    }
    // A failed write or sync leaves the file in an unknown state: stop the partition rather than
    // acknowledge anything after it (fail-stop, as Kafka and PostgreSQL do on fsync errors).
    try {
      await this.activeHandle.writev(frames, segment.size);
      await this.activeHandle.datasync();
    } catch (err) {
      this.failed = err;
      throw new SightlineError('SL_LOG_WRITE_FAILED', `append to ${segment.path} failed: ${(err as Error).message}`, { cause: err });
    }
    segment.noteAppended(offset, pos);
  }

  checkWritable(): void {
    if (this.failed !== undefined) {
      throw new SightlineError('SL_LOG_WRITE_FAILED', `partition ${this.dir} stopped after a failed write`, { cause: this.failed });
    }
  }

  private async roll(): Promise<void> {
    await this.activeHandle.close();
    const segment = new Segment(this.dir, this.active.nextOffset, this.options.maxRecordBytes);
    segment.noteAppended(segment.baseOffset, 0);
    this.segments.push(segment);
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
    const { records, endPos } = await segment.readFrom(pos, maxBytes, maxRecords);
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
      deleted++;
    }
    if (deleted > 0) await fsyncDir(this.dir);
    return deleted;
  }

  private segmentFor(offset: number): Segment {
    for (let i = this.segments.length - 1; i > 0; i--) {
      if (this.segments[i]!.baseOffset <= offset) return this.segments[i]!;
    }
    return this.segments[0]!;
  }

  async close(): Promise<void> {
    await this.flush().catch(() => undefined);
    await this.activeHandle.close();
    for (const segment of this.segments) await segment.close();
  }
}
