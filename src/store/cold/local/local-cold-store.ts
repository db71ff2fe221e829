import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { ColdStore } from '../../../core/ports/cold-store.js';
import { fsyncDir } from '../../../fs/durable-files.js';

/** Parquet files on local disk under one root. Staging lives under the root so rename is atomic. */
export class LocalColdStore implements ColdStore {
  private readonly stagingDir: string;

  private constructor(readonly root: string) {
    this.stagingDir = join(root, '.staging');
  }

  static async open(root: string): Promise<LocalColdStore> {
    const store = new LocalColdStore(root);
    // Anything left in staging is from a write that never published: it is rewritten, so drop it.
    await rm(store.stagingDir, { recursive: true, force: true });
    await mkdir(store.stagingDir, { recursive: true });
    return store;
  }

  stagingPath(name: string): string {
    return join(this.stagingDir, name);
  }

  async put(key: string, stagedPath: string): Promise<void> {
    const target = join(this.root, key);
    // The writer (DuckDB's COPY) does not fsync: do it before the rename makes the file visible.
    const handle = await open(stagedPath, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await mkdir(dirname(target), { recursive: true });
    await rename(stagedPath, target);
    await fsyncDir(dirname(target));
  }

  async list(prefix: string): Promise<Array<{ key: string; bytes: number }>> {
    const out: Array<{ key: string; bytes: number }> = [];
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        const path = join(dir, entry.name);
        if (path === this.stagingDir) continue;
        if (entry.isDirectory()) await walk(path);
        else if (entry.name.endsWith('.parquet')) {
          // A file can be replaced by a re-run export between readdir and stat.
          const size = await stat(path).then((s) => s.size, () => undefined);
          if (size !== undefined) out.push({ key: relative(this.root, path).split(sep).join('/'), bytes: size });
        }
      }
    };
    await walk(join(this.root, prefix));
    return out.sort((a, b) => a.key.localeCompare(b.key));
  }

  location(key: string): string {
    return join(this.root, key);
  }
}
