import type { LineageSinkStats } from '../../core/ports/lineage-sink.js';

/**
 * A bounded FIFO delivered one item at a time, so events reach a sink in the order they were
 * emitted (START before RUNNING before COMPLETE). A full queue drops the new item instead of
 * growing: lineage must never cost the platform memory without bound.
 */
export class DeliveryQueue<T> {
  private readonly items: T[] = [];
  /** The item taken off `items` whose delivery has not ended yet. */
  private inFlight = false;
  private draining: Promise<void> | null = null;
  /** Items ever taken, and how many of them were delivered or given up: what a flush waits on. */
  private taken = 0;
  private settled = 0;
  private readonly flushes: Array<{ upTo: number; resolve: () => void }> = [];
  private closed = false;
  private readonly abort = new AbortController();
  readonly counts: Omit<LineageSinkStats, 'queued'> = { delivered: 0, failed: 0, dropped: 0, retries: 0 };

  constructor(
    private readonly options: {
      maxQueue: number;
      /** Delivers one item; rejects when it is given up. `signal` aborts when the queue is closed past its deadline. */
      deliver: (item: T, signal: AbortSignal) => Promise<void>;
      onFailed: (err: unknown) => void;
      onDropped: (reason: 'queue_full' | 'closed') => void;
    },
  ) {}

  /**
   * Taken and not yet delivered or given up: the waiting items and the one being delivered, so
   * that delivered + failed + dropped + size is every item pushed, even mid-delivery.
   */
  get size(): number {
    return this.items.length + (this.inFlight ? 1 : 0);
  }

  push(item: T): void {
    if (this.closed || this.items.length >= this.options.maxQueue) {
      this.counts.dropped++;
      this.options.onDropped(this.closed ? 'closed' : 'queue_full');
      return;
    }
    this.items.push(item);
    this.taken++;
    this.draining ??= this.drain();
  }

  /** An item that could not even be made (an event that does not serialise): given up at once and counted with the failures. */
  giveUp(err: unknown): void {
    this.counts.failed++;
    this.options.onFailed(err);
  }

  /**
   * Resolves once every item taken so far is delivered or given up. Items pushed after it are not
   * waited for: under a steady stream, or behind one that hangs, the queue may never be empty.
   */
  flush(): Promise<void> {
    if (this.settled >= this.taken) return Promise.resolve();
    const upTo = this.taken;
    return new Promise((resolve) => this.flushes.push({ upTo, resolve }));
  }

  async close(timeoutMs: number): Promise<void> {
    this.closed = true;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
      timer.unref();
    });
    await Promise.race([this.flush(), deadline]);
    clearTimeout(timer);
    this.abort.abort();
    await this.flush();
  }

  private async drain(): Promise<void> {
    try {
      while (this.items.length > 0) {
        const item = this.items.shift()!;
        if (this.abort.signal.aborted) {
          this.counts.dropped++;
          this.settle();
          this.options.onDropped('closed');
          continue;
        }
        this.inFlight = true;
        try {
          await this.options.deliver(item, this.abort.signal);
          this.counts.delivered++;
        } catch (err) {
          this.counts.failed++;
          this.options.onFailed(err);
        } finally {
          this.inFlight = false;
          this.settle();
        }
      }
    } finally {
      this.draining = null;
    }
  }

  private settle(): void {
    this.settled++;
    // Flushes were asked in order, so each waits for no fewer items than the one before it.
    while (this.flushes.length > 0 && this.flushes[0]!.upTo <= this.settled) this.flushes.shift()!.resolve();
  }
}
