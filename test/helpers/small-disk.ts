import { execFileSync } from 'node:child_process';
import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** A small file system of its own (tmpfs), so a test can fill it without filling the machine's disk. */
export interface SmallDisk {
  dir: string;
  /** Writes a file until the file system refuses more (ENOSPC). */
  fill(): Promise<void>;
  /** Deletes what fill() wrote. */
  free(): Promise<void>;
  unmount(): Promise<void>;
}

function privileged(command: string, args: string[]): void {
  const asRoot = process.getuid?.() === 0;
  execFileSync(asRoot ? command : 'sudo', asRoot ? args : ['-n', command, ...args], { stdio: 'pipe' });
}

/** Why a small disk cannot be mounted here, or false. In CI it must be: the disk-full tests fail, never skip. */
export function smallDiskSkipReason(): string | false {
  try {
    privileged('true', []);
    return false;
  } catch (err) {
    if (process.env.CI) throw new Error(`CI must run the disk-full tests, which mount a tmpfs as root or through sudo -n: ${(err as Error).message}`);
    return `mounting a tmpfs needs root or passwordless sudo: ${(err as Error).message}`;
  }
}

export async function mountSmallDisk(parent: string, sizeMiB: number): Promise<SmallDisk> {
  const dir = join(parent, 'small-disk');
  await mkdir(dir, { recursive: true });
  privileged('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m`, 'tmpfs', dir]);
  const ballast = join(dir, 'ballast');
  return {
    dir,
    async fill() {
      const file = await open(ballast, 'a');
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      try {
        for (let size = chunk.length; size >= 1; size = Math.floor(size / 2)) {
          for (;;) {
            try {
              await file.write(chunk.subarray(0, size));
            } catch (err) {
              if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
              break;
            }
          }
        }
      } finally {
        await file.close();
      }
    },
    async free() {
      await rm(ballast, { force: true });
    },
    async unmount() {
      privileged('umount', ['-l', dir]);
    },
  };
}
