import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { RepoPath } from './violation.js';

export interface SourceTree {
  /** Every .ts file under the source folder, sorted. */
  tsFiles: RepoPath[];
  /** The folders directly under the source folder, sorted. */
  folders: string[];
}

/** Read from the disk rather than the import graph, so files and folders nothing imports still count. */
export function readSourceTree(root: string, srcDir: string): SourceTree {
  const top = readdirSync(join(root, srcDir), { withFileTypes: true });
  const folders = top.filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
  const tsFiles = readdirSync(join(root, srcDir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => toRepoPath(root, join(entry.parentPath, entry.name)))
    .sort();
  return { tsFiles, folders };
}

function toRepoPath(root: string, absolute: string): RepoPath {
  return relative(root, absolute).split('\\').join('/');
}
