import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFile, unlink } from 'node:fs/promises';
import { SightlineError } from '../../core/errors.js';
import { type KeyRing, wrappedKeyText } from '../../core/key-ring.js';
import { writeFileAtomic } from '../../fs/durable-files.js';
import { SEALED_NONCE_ROOM } from './record-codec.js';

const NONCE = SEALED_NONCE_ROOM;
const TAG = 16;
/** What sealing adds to a record's value: a nonce in front, the GCM tag behind. */
export const SEALED_OVERHEAD = NONCE + TAG;

/** A segment's data key sits beside it: 00000000000000000042.log → 00000000000000000042.key. */
export const keyFileOf = (segmentPath: string): string => segmentPath.replace(/\.log$/, '.key');

/**
 * Encryption at rest of one segment: record values sealed with AES-256-GCM under the segment's own
 * data key, a random nonce each, the record's offset as associated data (a record moved to another
 * offset does not open). Keys, headers and offsets stay readable: the log needs them to find
 * records, and they hold no event values.
 */
export class SegmentCipher {
  /**
   * Nonces are a random 8-byte prefix, drawn when the cipher is made (each start, for a segment
   * reopened) and again every 2^32 records, then a 4-byte counter: unique under one key without a
   * random draw per record (2 µs each, the largest part of sealing a small event).
   */
  private readonly nonce = Buffer.alloc(NONCE);
  private counter = 2 ** 32;

  private constructor(private readonly key: Buffer) {}

  private nextNonce(): Buffer {
    if (this.counter >= 2 ** 32) {
      randomBytes(8).copy(this.nonce, 0);
      this.counter = 0;
    }
    this.nonce.writeUInt32BE(this.counter++, 8);
    return this.nonce;
  }

  /** A new data key for a new segment, its wrapped form written and synced before any record. */
  static async create(segmentPath: string, ring: KeyRing): Promise<SegmentCipher> {
    const { key, wrapped } = ring.newDataKey();
    await writeFileAtomic(keyFileOf(segmentPath), wrappedKeyText(wrapped));
    return new SegmentCipher(key);
  }

  /**
   * The segment's cipher, or undefined for a segment written before encryption was turned on. A
   * data key wrapped by an older master key is wrapped again by the current one: a rotation is a
   * new key at the top of the key file and a restart, after which the old key can go.
   */
  static async load(segmentPath: string, ring: KeyRing | undefined): Promise<SegmentCipher | undefined> {
    const path = keyFileOf(segmentPath);
    const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (text === undefined) return undefined;
    if (!ring) throw new SightlineError('SL_ENCRYPTION_KEY_MISSING', `${segmentPath} is encrypted at rest, and no key is configured (encryption.keyFile or SIGHTLINE_ENCRYPTION_KEY)`);
    const { key, rewrapped } = ring.openKeyFile(text, segmentPath);
    if (rewrapped) await writeFileAtomic(path, rewrapped);
    return new SegmentCipher(key);
  }

  /** Seals `region` in place: [nonce space][plaintext][tag space] becomes [nonce][ciphertext][tag]. */
  sealInPlace(region: Buffer, offset: number): void {
    const nonce = this.nextNonce();
    nonce.copy(region, 0);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    cipher.setAAD(offsetBytes(offset));
    const plain = region.subarray(NONCE, region.length - TAG);
    const sealed = cipher.update(plain);
    cipher.final();
    sealed.copy(region, NONCE);
    cipher.getAuthTag().copy(region, region.length - TAG);
  }

  /** The plaintext of a sealed value. */
  open(region: Buffer, offset: number, where: string): Buffer {
    if (region.length < SEALED_OVERHEAD) throw new SightlineError('SL_LOG_CORRUPT', `${where}: record ${offset} is too short to be sealed`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, region.subarray(0, NONCE));
      decipher.setAAD(offsetBytes(offset));
      decipher.setAuthTag(region.subarray(region.length - TAG));
      return Buffer.concat([decipher.update(region.subarray(NONCE, region.length - TAG)), decipher.final()]);
    } catch {
      throw new SightlineError('SL_LOG_CORRUPT', `${where}: record ${offset} does not authenticate under its segment's data key`);
    }
  }
}

function offsetBytes(offset: number): Buffer {
  const buf = Buffer.allocUnsafe(8);
  buf.writeUInt32BE(Math.floor(offset / 2 ** 32), 0);
  buf.writeUInt32BE(offset >>> 0, 4);
  return buf;
}

export async function removeKeyFile(segmentPath: string): Promise<void> {
  await unlink(keyFileOf(segmentPath)).catch(() => undefined);
}
