import { access, open, rename, rm, utimes } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SightlineError } from '../../core/errors.js';
import { fsyncDir, writeFileAtomic } from '../../fs/durable-files.js';
import { decodeFrame, resealFrameChecksum, SEALED_NONCE_ROOM } from './record-codec.js';
import type { SegmentCipher } from './segment-cipher.js';

/** A segment's file, with its cipher when it is encrypted at rest. */
export interface SegmentFile {
  path: string;
  cipher?: SegmentCipher;
  /** Told when the file was replaced by its rewritten copy. */
  replaced?: () => void;
}

/**
 * Overwrites the value of every record of one segment file that `matches` with a value of the same
 * length `erased` gives (sealed again under a fresh nonce when the segment is encrypted), and fixes
 * each frame's checksum: offsets and positions stay as they are, so the segment's index stays
 * valid. With `write`, the changed file is written beside the old one, synced and renamed over it,
 * so a crash leaves one or the other whole; without it the matches are only counted. A file that is
 * gone (retention deleted it meanwhile) has none. In a closed segment every byte is a record: any
 * other frame is corruption, and the rewrite refuses it rather than skip what follows.
 */
export async function eraseInSegmentFile(
  file: SegmentFile,
  matches: (value: Buffer, timestamp: number) => boolean,
  erased: (length: number) => Buffer,
  write: boolean,
): Promise<number> {
  const { path, cipher } = file;
  const handle = await open(path, 'r').catch((error: NodeJS.ErrnoException) => {
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
      if (frame.kind !== 'record') {
        if (write) throw new SightlineError('SL_LOG_CORRUPT', `${path}: not a whole record at byte ${pos} of a closed segment; nothing was erased in it`);
        // The open segment's tail may be a write under way: nothing after it is a record yet.
        break;
      }
      const { value, timestamp, offset } = frame.record;
      if (frame.record.sealed && !cipher) throw new SightlineError('SL_ENCRYPTION_KEY_MISSING', `${path}: record ${offset} is sealed, and the segment's data key file is missing`);
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
          resealFrameChecksum(buf.subarray(pos, pos + frame.frameLength));
        }
      }
      pos += frame.frameLength;
    }
    await handle.close();
    if (write && count > 0) {
      const next = `${path}.erasing`;
      await writeFileAtomic(next, buf.subarray(0, bytesRead));
      // Retention goes by when a segment was last appended to: an erasure does not keep it longer.
      await utimes(next, atime, mtime);
      // Retention may have deleted the segment meanwhile: it must not come back.
      if (!(await access(path).then(() => true, () => false))) {
        await rm(next, { force: true });
        return 0;
      }
      await rename(next, path);
      await fsyncDir(dirname(path));
      file.replaced?.();
    }
    return count;
  } finally {
    await handle.close().catch(() => undefined);
  }
}

