import { crc32 } from 'node:zlib';

/**
 * On-disk record frame:
 *   u32 bodyLength | u32 crc32(body) | body
 * body:
 *   u8 magic | u64 offset | f64 timestamp | u16 keyLength | key | u16 headerCount
 *   | (u16 nameLength | name | u32 valueLength | value)* | u32 valueLength | value
 * The offset inside the body lets recovery and readers check that a frame is the one they expect.
 */
export const FRAME_HEADER_BYTES = 8;
const MAGIC = 1;
/** A frame whose value is sealed (encryption at rest): never read as plaintext, even if its key file went missing. */
const MAGIC_SEALED = 2;
/**
 * Frames longer than this are taken as corruption when reading. A fixed cap, not the configured
 * log.maxRecordBytes, so lowering that setting can never make stored records unreadable.
 */
export const MAX_FRAME_BODY_BYTES = 256 * 1024 * 1024;

export interface DecodedRecord {
  offset: number;
  timestamp: number;
  key: string;
  headers: Record<string, string>;
  value: Buffer;
  /** The value is sealed: nonce, ciphertext, tag (src/log/embedded/segment-cipher.ts). */
  sealed?: true;
}

/**
 * One record's frame. With `sealedReserve` (encryption at rest), the value field is that much
 * longer, the plaintext sits after the nonce's room, and the checksum is left for whoever seals
 * the value once its segment (and so its key) is known.
 */
export function encodeRecord(offset: number, key: string, value: Buffer, timestamp: number, headers: Record<string, string> | undefined, sealedReserve = 0): Buffer {
  const keyLength = Buffer.byteLength(key);
  // Most records have one header or none: no arrays of entries per record.
  let headerBytes = 0;
  let headerCount = 0;
  if (headers) {
    for (const k in headers) {
      headerBytes += 2 + encodedHeader(k).length + 4 + encodedHeader(headers[k]!).length;
      headerCount++;
    }
  }
  const bodyLength = 1 + 8 + 8 + 2 + keyLength + 2 + headerBytes + 4 + value.length + sealedReserve;
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + bodyLength);
  let pos = FRAME_HEADER_BYTES;
  pos = frame.writeUInt8(sealedReserve > 0 ? MAGIC_SEALED : MAGIC, pos);
  // u64 as two u32 halves: offsets stay below 2^53, and this avoids a BigInt per record.
  pos = frame.writeUInt32BE(Math.floor(offset / 2 ** 32), pos);
  pos = frame.writeUInt32BE(offset >>> 0, pos);
  pos = frame.writeDoubleBE(timestamp, pos);
  pos = frame.writeUInt16BE(keyLength, pos);
  pos += frame.write(key, pos, 'utf8');
  pos = frame.writeUInt16BE(headerCount, pos);
  if (headers) {
    for (const name in headers) {
      const k = encodedHeader(name);
      const v = encodedHeader(headers[name]!);
      pos = frame.writeUInt16BE(k.length, pos);
      pos += k.copy(frame, pos);
      pos = frame.writeUInt32BE(v.length, pos);
      pos += v.copy(frame, pos);
    }
  }
  pos = frame.writeUInt32BE(value.length + sealedReserve, pos);
  frame.writeUInt32BE(bodyLength, 0);
  if (sealedReserve > 0) {
    value.copy(frame, pos + SEALED_NONCE_ROOM);
    return frame;
  }
  value.copy(frame, pos);
  frame.writeUInt32BE(crc32(frame.subarray(FRAME_HEADER_BYTES)), 4);
  return frame;
}

/** Where a sealed value's plaintext starts: after the nonce (src/log/embedded/segment-cipher.ts). */
export const SEALED_NONCE_ROOM = 12;

/** Sets a frame's checksum after its body changed (a value sealed or erased in place). */
export function resealFrameChecksum(frame: Buffer): void {
  frame.writeUInt32BE(crc32(frame.subarray(FRAME_HEADER_BYTES)), 4);
}

/**
 * Header names, and values such as a batch's traceparent, repeat from record to record: the last
 * few encodings are kept rather than made again per record.
 */
const recentHeaderBytes = new Map<string, Buffer>();
function encodedHeader(text: string): Buffer {
  let bytes = recentHeaderBytes.get(text);
  if (!bytes) {
    if (recentHeaderBytes.size >= 64) recentHeaderBytes.clear();
    bytes = Buffer.from(text);
    recentHeaderBytes.set(text, bytes);
  }
  return bytes;
}

export type FrameScan =
  | { kind: 'record'; record: DecodedRecord; frameLength: number }
  | { kind: 'incomplete'; needs?: number }
  | { kind: 'corrupt'; reason: string };

/** Decodes the frame at `pos` of `buf`; 'incomplete' means the buffer ends inside the frame. */
export function decodeFrame(buf: Buffer, pos: number, maxBodyLength = MAX_FRAME_BODY_BYTES): FrameScan {
  if (buf.length - pos < FRAME_HEADER_BYTES) return { kind: 'incomplete' };
  const bodyLength = buf.readUInt32BE(pos);
  if (bodyLength < 25 || bodyLength > maxBodyLength) return { kind: 'corrupt', reason: `implausible frame length ${bodyLength}` };
  if (buf.length - pos < FRAME_HEADER_BYTES + bodyLength) return { kind: 'incomplete', needs: FRAME_HEADER_BYTES + bodyLength };
  const body = buf.subarray(pos + FRAME_HEADER_BYTES, pos + FRAME_HEADER_BYTES + bodyLength);
  if (crc32(body) !== buf.readUInt32BE(pos + 4)) return { kind: 'corrupt', reason: 'checksum mismatch' };
  if (body[0] !== MAGIC && body[0] !== MAGIC_SEALED) return { kind: 'corrupt', reason: `unknown magic ${body[0]}` };
  let p = 1;
  const offset = body.readUInt32BE(p) * 2 ** 32 + body.readUInt32BE(p + 4);
  p += 8;
  const timestamp = body.readDoubleBE(p);
  p += 8;
  const keyLength = body.readUInt16BE(p);
  p += 2;
  const key = body.toString('utf8', p, p + keyLength);
  p += keyLength;
  const headerCount = body.readUInt16BE(p);
  p += 2;
  const headers: Record<string, string> = {};
  for (let i = 0; i < headerCount; i++) {
    const nameLength = body.readUInt16BE(p);
    p += 2;
    const name = body.toString('utf8', p, p + nameLength);
    p += nameLength;
    const valueLength = body.readUInt32BE(p);
    p += 4;
    headers[name] = body.toString('utf8', p, p + valueLength);
    p += valueLength;
  }
  const valueLength = body.readUInt32BE(p);
  p += 4;
  const value = body.subarray(p, p + valueLength);
  const record: DecodedRecord = { offset, timestamp, key, headers, value };
  if (body[0] === MAGIC_SEALED) record.sealed = true;
  return { kind: 'record', record, frameLength: FRAME_HEADER_BYTES + bodyLength };
}
