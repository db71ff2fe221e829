import { copyFile, link, mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { ColdObject, ColdStore } from '../../../core/ports/cold-store.js';
import { fsyncDir } from '../../../fs/durable-files.js';

const isMissing = (err: unknown): boolean => (err as NodeJS.ErrnoException).code === 'ENOENT';

/** Files on local disk under one root. Staging lives under the root so rename is atomic. */
export class LocalColdStore implements ColdStore {
  private readonly stagingDir: string;
  private staged = 0;

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
    const target = this.pathOf(key);
    // The writer (DuckDB's COPY) does not fsync: do it before the rename makes the file visible.
    await syncFile(stagedPath);
    await mkdir(dirname(target), { recursive: true });
    await rename(stagedPath, target);
    await fsyncDir(dirname(target));
  }

  async write(key: string, body: Uint8Array, options: { ifAbsent?: boolean } = {}): Promise<boolean> {
    const staged = this.stagingPath(`write-${process.pid}-${++this.staged}`);
    const handle = await open(staged, 'w');
    try {
      await handle.writeFile(body);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (!options.ifAbsent) {
      await this.put(key, staged);
      return true;
    }
    const target = this.pathOf(key);
    await mkdir(dirname(target), { recursive: true });
    try {
      // link() fails with EEXIST when the name is taken: one atomic create-if-absent, as rename is not.
      await link(staged, target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    } finally {
      await unlink(staged).catch(() => undefined);
    }
    await fsyncDir(dirname(target));
    return true;
  }

  async read(key: string): Promise<Buffer | undefined> {
    return readFile(this.pathOf(key)).catch((err: unknown) => {
      if (isMissing(err)) return undefined;
      throw err;
    });
  }

  async download(key: string, path: string): Promise<boolean> {
    try {
      await copyFile(this.pathOf(key), path);
      return true;
    } catch (err) {
      if (isMissing(err)) return false;
      throw err;
    }
  }

  async copy(from: string, to: string): Promise<boolean> {
    const staged = this.stagingPath(`copy-${process.pid}-${++this.staged}`);
    if (!(await this.download(from, staged))) return false;
    await this.put(to, staged);
    return true;
  }

  async list(prefix: string): Promise<ColdObject[]> {
    const out: ColdObject[] = [];
    // The walk starts at the folder holding the prefix, and keys are then matched on the prefix whole.
    const start = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
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
        else if (entry.isFile()) {
          const key = relative(this.root, path).split(sep).join('/');
          if (!key.startsWith(prefix)) continue;
          // A file can be replaced by a re-run export between readdir and stat.
          const st = await stat(path).catch(() => undefined);
          if (st) out.push({ key, bytes: st.size, modifiedAt: st.mtimeMs });
        }
      }
    };
    await walk(join(this.root, start));
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async remove(keys: readonly string[]): Promise<void> {
    const dirs = new Set<string>();
    for (const key of keys) {
      const path = this.pathOf(key);
      await unlink(path).catch((err: unknown) => {
        if (!isMissing(err)) throw err;
      });
      dirs.add(dirname(path));
    }
    for (const dir of dirs) await fsyncDir(dir).catch(() => undefined);
  }

  location(key: string): string {
    return this.pathOf(key);
  }

  close(): void {}

  private pathOf(key: string): string {
    // Keys are the platform's own, but a key that climbs out of the root would write anywhere.
    if (key.split('/').some((part) => part === '..' || part === '') || key.startsWith('/')) {
      throw new Error(`not a cold store key: ${JSON.stringify(key)}`);
    }
    return join(this.root, key);
  }
}

async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
