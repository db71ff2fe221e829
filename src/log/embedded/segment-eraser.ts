import { open } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { decodeFrame, FRAME_HEADER_BYTES } from './record-codec.js';

/**
 * Overwrites, in place, the value of every record of one segment file that `matches`, with a
 * value of the same length `erased` gives, and fixes each frame's checksum: offsets and positions
 * stay as they are, so the segment's index and its readers' positions stay valid. Only `write`
 * changes the file (fsynced before this resolves); without it the matches are only counted.
 * A file that is gone (retention deleted it meanwhile) has none.
 */
export async function eraseInSegmentFile(
  path: string,
  matches: (value: Buffer, timestamp: number) => boolean,
  erased: (length: number) => Buffer,
  write: boolean,
): Promise<number> {
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
      const { value, timestamp } = frame.record;
      if (value.length > 0 && matches(value, timestamp)) {
        count++;
        if (write) {
          erased(value.length).copy(value);
          const body = buf.subarray(pos + FRAME_HEADER_BYTES, pos + frame.frameLength);
          buf.writeUInt32BE(crc32(body), pos + 4);
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
