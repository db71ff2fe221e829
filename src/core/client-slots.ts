import { SightlineError } from './errors.js';
import type { SqlResult } from './ports/sql-engine.js';

/**
 * How many statements each client runs at once, over every surface that runs them (HTTP and the
 * Postgres port): one more than its limit is refused at once, not queued, so a client cannot fill
 * the engine's connections and make others wait.
 */
export class ClientSlots {
  private readonly running = new Map<string, number>();

  constructor(private readonly limitOf: (client: string) => number) {}

  /** Takes a slot of `client`; the answer gives it back (once). */
  take(client: string): () => void {
    const limit = this.limitOf(client);
    const now = this.running.get(client) ?? 0;
    if (limit > 0 && now >= limit) {
      throw new SightlineError('SL_SQL_TOO_MANY_CONCURRENT', `${client} already runs ${now} statement(s), its limit (rateLimits.sqlConcurrent): wait for one to finish`, { retryAfterSeconds: 1 });
    }
    this.running.set(client, now + 1);
    let given = false;
    return () => {
      if (given) return;
      given = true;
      const left = (this.running.get(client) ?? 1) - 1;
      if (left <= 0) this.running.delete(client);
      else this.running.set(client, left);
    };
  }
}

/** A result that gives its slot back when its rows are read to the end, fail, or it is closed. */
export function holdingSlot(result: SqlResult, release: () => void): SqlResult {
  return {
    columns: result.columns,
    async *chunks() {
      try {
        yield* result.chunks();
      } finally {
        release();
      }
    },
    stats: () => result.stats(),
    close: async () => {
      try {
        await result.close();
      } finally {
        release();
      }
    },
  };
}
