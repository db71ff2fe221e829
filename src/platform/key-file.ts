import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { SightlineError } from '../core/errors.js';
import { KeyRing } from '../core/key-ring.js';

export const ENCRYPTION_KEY_ENV = 'SIGHTLINE_ENCRYPTION_KEY';

/**
 * Where DuckDB's httpfs extension is (scripts/duckdb-extensions/fetch.sh puts it in the project's
 * node_modules/.cache); SIGHTLINE_DUCKDB_EXTENSIONS names another extension_directory.
 */
export function duckdbExtensionDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.SIGHTLINE_DUCKDB_EXTENSIONS ?? fileURLToPath(new URL('../../../node_modules/.cache/sightline-duckdb-extensions', import.meta.url));
}

/**
 * The master keys of encryption at rest: from the key file (which must not be readable by others),
 * or one key in SIGHTLINE_ENCRYPTION_KEY; undefined when neither is set (encryption off).
 */
export async function loadKeyRing(options: { keyPath?: string }, env: NodeJS.ProcessEnv = process.env): Promise<KeyRing | undefined> {
  if (options.keyPath !== undefined) {
    const path = options.keyPath;
    let text: string;
    try {
      if (((await stat(path)).mode & 0o077) !== 0) {
        throw new SightlineError('SL_CONFIG_INVALID', `encryption.keyFile ${path} is readable by other users: chmod 600 it`);
      }
      text = await readFile(path, 'utf8');
    } catch (error) {
      if (error instanceof SightlineError) throw error;
      throw new SightlineError('SL_CONFIG_INVALID', `encryption.keyFile: cannot read ${path}: ${(error as Error).message}`);
    }
    return KeyRing.parse(text, `encryption.keyFile ${path}`);
  }
  const fromEnv = env[ENCRYPTION_KEY_ENV];
  return fromEnv ? KeyRing.parse(fromEnv, ENCRYPTION_KEY_ENV) : undefined;
}
