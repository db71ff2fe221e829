import { access, readFile, rename, rm } from 'node:fs/promises';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { SightlineError } from '../../core/errors.js';
import { type KeyRing, wrappedKeyText } from '../../core/key-ring.js';
import { dirname } from 'node:path';
import { fsyncDir, writeFileAtomic } from '../../fs/durable-files.js';
import { sqlText } from './data-file-copy.js';

/** Encryption at rest of DuckDB's files: the master keys, and where DuckDB's httpfs extension is. */
export interface DuckDbEncryption {
  ring: KeyRing;
  /** An extension_directory holding v<duckdb>/linux_amd64/httpfs.duckdb_extension (scripts/duckdb-extensions/fetch.sh). */
  extensionDir: string;
}

/** The name the Parquet key has in a DuckDB session: `ENCRYPTION_CONFIG {footer_key: 'sightline'}`. */
export const PARQUET_KEY_NAME = 'sightline';

/** COPY options and read_parquet parameters for the cold files: encrypted with the Parquet key, or not. */
export function parquetEncryption(encrypted: boolean): { copy: string; read: string } {
  return encrypted ? { copy: `, ENCRYPTION_CONFIG {footer_key: '${PARQUET_KEY_NAME}'}`, read: `, encryption_config = {footer_key: '${PARQUET_KEY_NAME}'}` } : { copy: '', read: '' };
}

/** The DuckDB settings that load httpfs from the local folder and never from the network. */
export const offlineExtensions = (encryption: DuckDbEncryption): Record<string, string> => ({
  extension_directory: encryption.extensionDir,
  autoinstall_known_extensions: 'false',
  autoload_known_extensions: 'false',
});

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

/**
 * The data key of one file, kept beside it wrapped by the current master key (re-wrapped when an
 * older one wrapped it: a rotation needs no rewrite); made on first use.
 */
export async function dataKeyBeside(file: string, ring: KeyRing): Promise<Buffer> {
  const path = `${file}.key`;
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (text === undefined) {
    const { key, wrapped } = ring.newDataKey();
    await writeFileAtomic(path, wrappedKeyText(wrapped));
    return key;
  }
  const { key, rewrapped } = ring.openKeyFile(text, file);
  if (rewrapped) await writeFileAtomic(path, rewrapped);
  return key;
}

/** Loads httpfs (its OpenSSL encrypts; DuckDB's own crypto only decrypts), with a clear error when it is not there. */
export async function loadCrypto(conn: DuckDBConnection, encryption: DuckDbEncryption): Promise<void> {
  try {
    await conn.run('LOAD httpfs');
  } catch (error) {
    throw new SightlineError(
      'SL_CONFIG_INVALID',
      `encryption at rest of the hot store needs DuckDB's httpfs extension in ${encryption.extensionDir}: run \`npm run fetch:duckdb-extensions\` (${(error as Error).message})`,
    );
  }
}

/**
 * Attaches the hot store's file encrypted (AES-GCM, DuckDB's database encryption) as `hot`. A
 * file that exists without a data key was written before encryption was turned on: it is copied
 * into an encrypted file under a new key, and then the key and the file take their places, in an
 * order that a crash at any point leaves either the plaintext file (copied again at the next
 * start) or the encrypted file with its key.
 */
export async function attachEncrypted(instance: DuckDBInstance, file: string, encryption: DuckDbEncryption): Promise<Buffer> {
  const conn = await instance.connect();
  const next = `${file}.encrypting`;
  try {
    await loadCrypto(conn, encryption);
    // The key took its place after the copy was complete: only the file's rename was left. The
    // plaintext file's WAL goes with it (its changes are in the copy: it was checkpointed first).
    if ((await exists(next)) && (await exists(`${file}.key`))) {
      await rename(next, file);
      await rm(`${file}.wal`, { force: true });
      await fsyncDir(dirname(file));
    }
    if ((await exists(file)) && !(await exists(`${file}.key`))) {
      await rm(next, { force: true });
      await rm(`${next}.wal`, { force: true });
      const key = await dataKeyBeside(next, encryption.ring);
      // Checkpointed first: everything is in the file, and no plaintext WAL is left behind.
      await conn.run(`ATTACH ${sqlText(file)} AS plain`);
      await conn.run('CHECKPOINT plain');
      await conn.run(`ATTACH ${sqlText(next)} AS sealed (ENCRYPTION_KEY ${sqlText(key.toString('base64'))})`);
      await conn.run('COPY FROM DATABASE plain TO sealed');
      await conn.run('DETACH plain');
      await conn.run('DETACH sealed');
      await rename(`${next}.key`, `${file}.key`);
      await fsyncDir(dirname(file));
      await rename(next, file);
      await rm(`${file}.wal`, { force: true });
      await fsyncDir(dirname(file));
    }
    const key = await dataKeyBeside(file, encryption.ring);
    await conn.run(`ATTACH ${sqlText(file)} AS hot (ENCRYPTION_KEY ${sqlText(key.toString('base64'))})`);
    return key;
  } finally {
    conn.closeSync();
  }
}

/**
 * The hot store's DuckDB: on its file, or (encrypted) in memory with the file attached encrypted as
 * `hot`, which `prepare` makes every connection use, with the Parquet key in its session.
 */
export async function openInstance(
  file: string,
  settings: Record<string, string>,
  encryption: (DuckDbEncryption & { parquetKey: Buffer }) | undefined,
): Promise<{ instance: DuckDBInstance; prepare: (conn: DuckDBConnection) => Promise<void> }> {
  if (!encryption) return { instance: await DuckDBInstance.create(file, settings), prepare: async () => undefined };
  // An in-memory instance spills to ./.tmp of wherever the process runs: keep it beside the file,
  // inside the folders the instance is confined to (duckdb-guards.ts).
  const instance = await DuckDBInstance.create(':memory:', { ...settings, ...offlineExtensions(encryption), temp_directory: `${file}.tmp` });
  await attachEncrypted(instance, file, encryption);
  const parquetKey = encryption.parquetKey.toString('base64');
  const prepare = async (conn: DuckDBConnection): Promise<void> => {
    await conn.run('USE hot');
    await conn.run(`PRAGMA add_parquet_key('${PARQUET_KEY_NAME}', '${parquetKey}')`);
  };
  return { instance, prepare };
}
