// What dist/ was built from. A digest of the build's inputs, not their mtimes: a checkout, a copy
// or an extraction can give files older times, and a deleted file leaves no newer mtime behind.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

export const STAMP_FILE = 'build-stamp.json';

/** Files that change what tsc emits besides the sources: the compiler options, the module type, the compiler and type versions. */
const CONFIG_FILES = ['tsconfig.json', 'package.json', 'package-lock.json'];

/** The folders tsconfig.json compiles. Only `dir/**\/*.ts` patterns: anything else would be hashed wrongly, so it stops here instead. */
function sourceFolders(root) {
  const { include } = JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8'));
  return include.map((pattern) => {
    const match = /^([\w.-]+)\/\*\*\/\*\.ts$/.exec(pattern);
    if (!match) throw new Error(`scripts/lib/stamp.mjs understands tsconfig include patterns of the form dir/**/*.ts, not "${pattern}"`);
    return match[1];
  });
}

function tsFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => join(entry.parentPath, entry.name));
}

/** sha256 over the config files and every .ts file tsc compiles, by path and content. */
export function sourceDigest(root) {
  const hash = createHash('sha256');
  const files = [...CONFIG_FILES.map((f) => join(root, f)).filter((f) => existsSync(f)), ...sourceFolders(root).flatMap((dir) => tsFiles(join(root, dir)))];
  for (const file of files.map((f) => relative(root, f).split(sep).join('/')).sort()) {
    hash.update(`${file}\0`);
    hash.update(readFileSync(join(root, file)));
    hash.update('\0');
  }
  return hash.digest('hex');
}

/** The stamp the last finished build wrote into dist/, or undefined when there is none (no build, or one from before stamps). */
export function readStamp(dist) {
  try {
    return JSON.parse(readFileSync(join(dist, STAMP_FILE), 'utf8'));
  } catch {
    return undefined;
  }
}

/** Why dist/ must be built before it runs, or undefined when it was built from the sources as they are now. */
export function staleReason(root) {
  const stamp = readStamp(join(root, 'dist'));
  if (stamp === undefined) return existsSync(join(root, 'dist')) ? 'dist/ has no finished build' : 'there is no build in dist/ yet';
  return stamp.digest === sourceDigest(root) ? undefined : 'the sources changed since dist/ was built';
}
