import { open } from 'node:fs/promises';
import { decodeFrame, resealFrameChecksum, SEALED_NONCE_ROOM } from './record-codec.js';
import type { SegmentCipher } from './segment-cipher.js';

/** A segment's file, with its cipher when it is encrypted at rest. */
export interface SegmentFile {
  path: string;
  cipher?: SegmentCipher;
}

/**
 * Overwrites, in place, the value of every record of one segment file that `matches`, with a
 * value of the same length `erased` gives (sealed again under a fresh nonce when the segment is
 * encrypted), and fixes each frame's checksum: offsets and positions stay as they are, so the
 * segment's index and its readers' positions stay valid. Only `write` changes the file (fsynced
 * before this resolves); without it the matches are only counted. A file that is gone (retention
 * deleted it meanwhile) has none.
 */
export async function eraseInSegmentFile(
  file: SegmentFile,
  matches: (value: Buffer, timestamp: number) => boolean,
  erased: (length: number) => Buffer,
  write: boolean,
): Promise<number> {
  const { path, cipher } = file;
  const handle = await open(path, write ? 'r+' : 'r').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (!handle) return 0;
  try {
    // A closed segment is at most log.segmentBytes: read whole, as recovery's scan would.
    const { size, atime, mtime } = await handle.stat();
    const buf = Buffer.allocUnsafe(size);
    const { bytesRead } = await handle.read(buf, 0, size, 0);
    let count = 0;
    let pos = 0;
    while (pos < bytesRead) {
      const frame = decodeFrame(buf.subarray(0, bytesRead), pos);
      // A torn tail is recovery's to judge; nothing after it is a record.
      if (frame.kind !== 'record') break;
      const { value, timestamp, offset } = frame.record;
      const plain = cipher ? cipher.open(value, offset, path) : value;
      if (plain.length > 0 && matches(plain, timestamp)) {
        count++;
        if (write) {
          if (cipher) {
            erased(plain.length).copy(value, SEALED_NONCE_ROOM);
            cipher.sealInPlace(value, offset);
          } else {
            erased(value.length).copy(value);
          }
          const frameBytes = buf.subarray(pos, pos + frame.frameLength);
          resealFrameChecksum(frameBytes);
          await handle.write(buf, pos, frame.frameLength, pos);
        }
      }
      pos += frame.frameLength;
    }
    if (write && count > 0) {
      await handle.sync();
      // Retention goes by when a segment was last appended to: an erasure does not keep it longer.
      await handle.utimes(atime, mtime);
    }
    return count;
  } finally {
    await handle.close();
  }
}

