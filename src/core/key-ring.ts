import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { SightlineError } from './errors.js';

/** A wrapped data key as a file's sidecar keeps it: which master key wrapped it, and how. */
export interface WrappedKey {
  kek: string;
  iv: string;
  tag: string;
  key: string;
}

/** A data key file's text: the wrapped key, with the format's version. */
export const wrappedKeyText = (wrapped: WrappedKey): string => JSON.stringify({ v: 1, ...wrapped });

const KEY_LINE = /^([A-Za-z0-9._-]{1,64}):([A-Za-z0-9+/]{43}=)$/;

/**
 * The master keys of encryption at rest (envelope encryption): every file gets its own random data
 * key, kept beside it wrapped (AES-256-GCM) by the current master key; older master keys only
 * unwrap. A rotation adds a key in front, re-wraps the data keys (`rewrap`), then drops the old
 * one: no data is rewritten.
 */
export class KeyRing {
  private constructor(private readonly keys: ReadonlyArray<{ id: string; key: Buffer }>) {}

  /** Lines of `id:base64` (32 bytes each), the first the current key; blank lines and `#` comments are skipped. */
  static parse(text: string, where: string): KeyRing {
    const keys: Array<{ id: string; key: Buffer }> = [];
    for (const [i, raw] of text.split(/\r?\n/).entries()) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) continue;
      const match = KEY_LINE.exec(line);
      if (!match) throw new SightlineError('SL_CONFIG_INVALID', `${where}, line ${i + 1}: a key is id:base64 of 32 random bytes (\`openssl rand -base64 32\`)`);
      if (keys.some((k) => k.id === match[1])) throw new SightlineError('SL_CONFIG_INVALID', `${where}: key id "${match[1]}" appears twice`);
      keys.push({ id: match[1]!, key: Buffer.from(match[2]!, 'base64') });
    }
    if (keys.length === 0) throw new SightlineError('SL_CONFIG_INVALID', `${where}: no key`);
    return new KeyRing(keys);
  }

  get currentId(): string {
    return this.keys[0]!.id;
  }

  /** A new random data key, and its wrapped form under the current master key. */
  newDataKey(): { key: Buffer; wrapped: WrappedKey } {
    const key = randomBytes(32);
    return { key, wrapped: this.wrap(key) };
  }

  wrap(dataKey: Buffer): WrappedKey {
    const { id, key } = this.keys[0]!;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(id));
    const sealed = Buffer.concat([cipher.update(dataKey), cipher.final()]);
    return { kek: id, iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), key: sealed.toString('base64') };
  }

  /**
   * The data key a key file holds, and (when an older master key wrapped it) the file's new text
   * under the current one: a rotation re-wraps each data key as its file is opened.
   */
  openKeyFile(text: string, where: string): { key: Buffer; rewrapped?: string } {
    const wrapped = JSON.parse(text) as WrappedKey;
    const key = this.unwrap(wrapped, where);
    return wrapped.kek === this.currentId ? { key } : { key, rewrapped: wrappedKeyText(this.wrap(key)) };
  }

  unwrap(wrapped: WrappedKey, where: string): Buffer {
    const master = this.keys.find((k) => k.id === wrapped.kek);
    if (!master) throw new SightlineError('SL_ENCRYPTION_KEY_MISSING', `${where} was encrypted under master key "${wrapped.kek}", which the key file does not hold`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', master.key, Buffer.from(wrapped.iv, 'base64'));
      decipher.setAAD(Buffer.from(master.id));
      decipher.setAuthTag(Buffer.from(wrapped.tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(wrapped.key, 'base64')), decipher.final()]);
    } catch {
      throw new SightlineError('SL_ENCRYPTION_KEY_MISSING', `${where}: its data key does not unwrap with master key "${wrapped.kek}" (a different key under the same id?)`);
    }
  }
}
