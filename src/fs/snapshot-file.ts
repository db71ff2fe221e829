import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { writeFileAtomic } from './durable-files.js';

/**
 * State kept in memory that a restart should not forget (counters, alert states, learned
 * baselines), written to one JSON file atomically every `intervalMs` and at stop, and read back at
 * start. Not transactional: a crash loses at most the last interval's changes, never the file.
 */
export class SnapshotFile {
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly path: string,
    private readonly take: () => unknown,
    private readonly logger: Logger,
    private readonly intervalMs = 10_000,
  ) {}

  /** What the file holds, or undefined when there is none (a first start) or it cannot be read (logged). */
  async load(): Promise<unknown> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.logger.warn({ err, file: this.path }, 'cannot read the kept state; starting from nothing');
      return undefined;
    }
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      this.logger.warn({ err, file: this.path }, 'the kept state is not JSON; starting from nothing');
      return undefined;
    }
  }

  start(): void {
    this.timer = setInterval(() => void this.save(), this.intervalMs);
    this.timer.unref();
  }

  /** One write at a time; a failed one (a full disk) is logged and the next interval tries again. */
  save(): Promise<void> {
    this.writing = this.writing.then(async () => {
      try {
        await writeFileAtomic(this.path, JSON.stringify(this.take()));
      } catch (err) {
        this.logger.warn({ err, file: this.path }, 'cannot write the kept state');
      }
    });
    return this.writing;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.save();
  }
}
