import { type FileHandle, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { SightlineError } from '../../core/errors.js';
import { type DecodedRecord, decodeFrame, FRAME_HEADER_BYTES } from './record-codec.js';
import type { SegmentCipher } from './segment-cipher.js';

const INDEX_EVERY_RECORDS = 512;
const SCAN_CHUNK_BYTES = 1 << 20;

export function segmentFileName(baseOffset: number): string {
  return `${String(baseOffset).padStart(20, '0')}.log`;
}

export function parseSegmentFileName(name: string): number | undefined {
  const match = /^(\d{20})\.log$/.exec(name);
  return match ? Number(match[1]) : undefined;
}

/**
 * One segment file: records from `baseOffset` on, in order. Holds a sparse offset→position index
 * built while scanning or appending, so a reader can seek without reading the segment from the start.
 */
export class Segment {
  readonly baseOffset: number;
  readonly path: string;
  /** Bytes in the file that are durable and readable. */
  size = 0;
  /** Offset the next record appended to this segment will get. */
  nextOffset: number;
  /** Seals and opens its record values when it is encrypted at rest; absent for a plaintext segment. */
  cipher: SegmentCipher | undefined;
  private readonly index: Array<{ offset: number; pos: number }> = [];
  private indexedUpTo = { offset: 0, pos: 0 };
  private indexComplete = false;
  private readHandle: FileHandle | undefined;

  constructor(dir: string, baseOffset: number) {
    this.baseOffset = baseOffset;
    this.nextOffset = baseOffset;
    this.path = join(dir, segmentFileName(baseOffset));
    this.indexedUpTo = { offset: baseOffset, pos: 0 };
  }

  /**
   * Reads every frame, checks each checksum and offset, and returns where the valid records end.
   * `tornTail` says whether what follows them is only the remains of a last write cut short (a
   * frame reaching to or past the end of the file, or zeros), which recovery may cut; anything
   * else after valid records is corruption, which must not be cut silently.
   */
  async scan(fileSize: number): Promise<{ validBytes: number; nextOffset: number; reason?: string; tornTail: boolean }> {
    const handle = await this.handle();
    let pos = 0;
    let nextOffset = this.baseOffset;
    let carry: Buffer = Buffer.alloc(0);
    let carryStart = 0;
    this.index.length = 0;
    while (carryStart + carry.length < fileSize) {
      const readPos = carryStart + carry.length;
      const chunk = Buffer.allocUnsafe(Math.min(SCAN_CHUNK_BYTES, fileSize - readPos));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, readPos);
      if (bytesRead === 0) break;
      const buf = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
      let local = pos - carryStart;
      for (;;) {
        const frame = decodeFrame(buf, local);
        if (frame.kind === 'incomplete') break;
        if (frame.kind === 'corrupt' || frame.record.offset !== nextOffset) {
          const reason = frame.kind === 'corrupt' ? frame.reason : `offset ${frame.record.offset} where ${nextOffset} was expected`;
          this.finishIndex(pos, nextOffset);
          const declaredEnd = buf.length - local >= 4 ? pos + FRAME_HEADER_BYTES + buf.readUInt32BE(local) : fileSize;
          const tornTail = declaredEnd >= fileSize || (await this.onlyZeros(pos, fileSize));
          return { validBytes: pos, nextOffset, reason, tornTail };
        }
        this.noteRecord(nextOffset, pos);
        local += frame.frameLength;
        pos += frame.frameLength;
        nextOffset++;
      }
      carryStart = pos;
      carry = Buffer.from(buf.subarray(local));
    }
    this.finishIndex(pos, nextOffset);
    return pos === fileSize ? { validBytes: pos, nextOffset, tornTail: false } : { validBytes: pos, nextOffset, reason: 'incomplete final frame', tornTail: true };
  }

  /** Whether bytes [from, to) of the file are all zero (space the OS allocated but never filled). */
  private async onlyZeros(from: number, to: number): Promise<boolean> {
    const handle = await this.handle();
    const chunk = Buffer.allocUnsafe(SCAN_CHUNK_BYTES);
    for (let pos = from; pos < to; pos += SCAN_CHUNK_BYTES) {
      const { bytesRead } = await handle.read(chunk, 0, Math.min(SCAN_CHUNK_BYTES, to - pos), pos);
      for (let i = 0; i < bytesRead; i++) if (chunk[i] !== 0) return false;
    }
    return true;
  }

  private finishIndex(pos: number, nextOffset: number): void {
    this.indexedUpTo = { offset: nextOffset, pos };
    this.indexComplete = true;
  }

  /** Called for each record appended or scanned, in order. */
  noteRecord(offset: number, pos: number): void {
    if ((offset - this.baseOffset) % INDEX_EVERY_RECORDS === 0) this.index.push({ offset, pos });
  }

  /** Drops what the index knows of records from `offset` on: their write failed and they will be written again. */
  forgetRecordsFrom(offset: number): void {
    while (this.index.length > 0 && this.index[this.index.length - 1]!.offset >= offset) this.index.pop();
  }

  /** For a segment found on open whose records have not been scanned yet. */
  setExtent(nextOffset: number, size: number): void {
    this.nextOffset = nextOffset;
    this.size = size;
  }

  noteAppended(nextOffset: number, size: number): void {
    this.nextOffset = nextOffset;
    this.size = size;
    this.indexedUpTo = { offset: nextOffset, pos: size };
  }

  /** Position of `offset` in the file: from the sparse index, then a forward walk of frames. */
  async positionOf(offset: number): Promise<number> {
    if (offset === this.nextOffset) return this.size;
    if (offset < this.baseOffset || offset > this.nextOffset) {
      throw new SightlineError('SL_LOG_OFFSET_OUT_OF_RANGE', `offset ${offset} is not in segment ${this.baseOffset}..${this.nextOffset}`);
    }
    if (!this.indexComplete && offset >= this.indexedUpTo.offset) await this.scan(this.size);
    let lo = 0;
    let hi = this.index.length - 1;
    let start = { offset: this.baseOffset, pos: 0 };
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const entry = this.index[mid]!;
      if (entry.offset <= offset) {
        start = entry;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    let pos = start.pos;
    let current = start.offset;
    const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
    const handle = await this.handle();
    while (current < offset) {
      await handle.read(header, 0, FRAME_HEADER_BYTES, pos);
      pos += FRAME_HEADER_BYTES + header.readUInt32BE(0);
      current++;
    }
    return pos;
  }

  /** Reads whole frames from `pos`, at most about `maxBytes` (always at least one frame). */
  async readFrom(pos: number, expectedOffset: number, maxBytes: number, maxRecords: number): Promise<{ records: DecodedRecord[]; endPos: number }> {
    const available = this.size - pos;
    if (available <= 0) return { records: [], endPos: pos };
    const handle = await this.handle();
    let want = Math.min(available, Math.max(maxBytes, FRAME_HEADER_BYTES));
    let buf = Buffer.allocUnsafe(want);
    await handle.read(buf, 0, want, pos);
    const first = buf.readUInt32BE(0) + FRAME_HEADER_BYTES;
    if (first > want) {
      want = Math.min(available, first);
      buf = Buffer.allocUnsafe(want);
      await handle.read(buf, 0, want, pos);
    }
    const records: DecodedRecord[] = [];
    let local = 0;
    let expected = expectedOffset;
    while (records.length < maxRecords) {
      const frame = decodeFrame(buf, local);
      if (frame.kind === 'incomplete') break;
      if (frame.kind === 'corrupt' || frame.record.offset !== expected) {
        const reason = frame.kind === 'corrupt' ? frame.reason : `offset ${frame.record.offset} where ${expected} was expected`;
        throw new SightlineError('SL_LOG_CORRUPT', `segment ${this.path} at byte ${pos + local}: ${reason}`);
      }
      records.push(frame.record);
      local += frame.frameLength;
      expected++;
    }
    return { records, endPos: pos + local };
  }

  private async handle(): Promise<FileHandle> {
    this.readHandle ??= await open(this.path, 'r');
    return this.readHandle;
  }

  /** Closes and deletes the file; the segment must not be read again. */
  async remove(): Promise<void> {
    await this.close();
    await unlink(this.path);
  }

  /**
   * After the file was replaced (an erasure's rewrite, same positions): later reads open the new
   * file; the old handle is closed once reads already under way on it had time to finish.
   */
  retireReadHandle(): void {
    const handle = this.readHandle;
    this.readHandle = undefined;
    if (handle) setTimeout(() => void handle.close().catch(() => undefined), 5000).unref();
  }

  async close(): Promise<void> {
    const handle = this.readHandle;
    this.readHandle = undefined;
    await handle?.close();
  }
}
