import { SightlineError } from '../../core/errors.js';

/**
 * Lets readers that span the hot store and the cold tables (SQL on read) see one consistent
 * split: while one reads, nothing moves rows out of the hot store. A reader plans its cold files,
 * then reads the hot rows; rows dropped from the hot store in between, and exported by a snapshot
 * newer than the plan, would be in neither. A mover waits for the readers in flight (each bounded
 * by its statement timeout) and holds new ones back meanwhile, so it is never starved.
 */
export class ReadGate {
  private readers = 0;
  private moving: Promise<void> | undefined;
  private drained: (() => void) | undefined;

  /** Enters as a reader, waiting for a mover at most `timeoutMs` (then SL_SQL_BUSY); the answer leaves. */
  async enter(timeoutMs = Number.POSITIVE_INFINITY): Promise<() => void> {
    const deadline = Date.now() + timeoutMs;
    while (this.moving) {
      const left = deadline - Date.now();
      if (left <= 0) throw new SightlineError('SL_SQL_BUSY', 'hot retention or a backfill is moving rows out of the hot store: try again', { retryAfterSeconds: 1 });
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.moving, new Promise((resolve) => (timer = setTimeout(resolve, left)))]);
      clearTimeout(timer);
    }
    this.readers++;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.readers--;
      if (this.readers === 0) this.drained?.();
    };
  }

  /** Runs `move` with no reader inside; movers run one at a time. */
  async exclusive<T>(move: () => Promise<T>): Promise<T> {
    while (this.moving) await this.moving.catch(() => undefined);
    let done!: () => void;
    this.moving = new Promise<void>((resolve) => (done = resolve));
    try {
      if (this.readers > 0) await new Promise<void>((resolve) => (this.drained = resolve));
      this.drained = undefined;
      return await move();
    } finally {
      this.moving = undefined;
      done();
    }
  }
}
