import type { DuckDBConnection } from '@duckdb/node-api';
import { SightlineError } from '../core/errors.js';

/**
 * The connections SQL on read runs on: its own, never the hot store's writer or the API's reader,
 * so a long statement holds none of theirs. At most `max` run at once; a statement waits for one
 * at most `queueTimeoutMs`, then is refused (SL_SQL_BUSY) rather than queued without bound.
 */
export class SqlConnections {
  private readonly idle: DuckDBConnection[] = [];
  private open = 0;
  private readonly waiting: Array<(conn: DuckDBConnection | Error) => void> = [];
  private closed = false;

  constructor(
    private readonly connect: () => Promise<DuckDBConnection>,
    private readonly max: number,
    private readonly queueTimeoutMs: number,
  ) {}

  get busy(): number {
    return this.open - this.idle.length;
  }

  async acquire(): Promise<DuckDBConnection> {
    if (this.closed) throw new SightlineError('SL_SQL_UNAVAILABLE', 'the SQL engine is stopping');
    const idle = this.idle.pop();
    if (idle) return idle;
    if (this.open < this.max) {
      this.open++;
      try {
        return await this.connect();
      } catch (err) {
        this.open--;
        throw err;
      }
    }
    return new Promise<DuckDBConnection>((resolve, reject) => {
      const take = (conn: DuckDBConnection | Error): void => {
        clearTimeout(timer);
        if (conn instanceof Error) reject(conn);
        else resolve(conn);
      };
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(take), 1);
        reject(new SightlineError('SL_SQL_BUSY', `all ${this.max} SQL connections stayed busy for ${this.queueTimeoutMs} ms (sql.maxConcurrent)`, { retryAfterSeconds: 1 }));
      }, this.queueTimeoutMs);
      this.waiting.push(take);
    });
  }

  /** Gives a connection back; a broken one (`discard`) is closed and its place freed. */
  release(conn: DuckDBConnection, discard = false): void {
    if (discard || this.closed) {
      conn.closeSync();
      this.open--;
      if (!this.closed && this.waiting.length > 0) void this.acquireFor(this.waiting.shift()!);
      return;
    }
    const next = this.waiting.shift();
    if (next) next(conn);
    else this.idle.push(conn);
  }

  private async acquireFor(take: (conn: DuckDBConnection | Error) => void): Promise<void> {
    this.open++;
    try {
      take(await this.connect());
    } catch (err) {
      this.open--;
      take(err as Error);
    }
  }

  close(): void {
    this.closed = true;
    for (const conn of this.idle.splice(0)) conn.closeSync();
    for (const take of this.waiting.splice(0)) take(new SightlineError('SL_SQL_UNAVAILABLE', 'the SQL engine is stopping'));
  }
}
