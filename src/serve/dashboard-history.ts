/**
 * The dashboard's numbers sampled on the server every `intervalMs` for the last `keepMs`, so a page
 * opened now draws the last hour at once. Bounded: keepMs / intervalMs samples at most. A reading
 * that fails is skipped; the next interval tries again.
 */
export class DashboardHistory<T> {
  private readonly kept: T[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly read: () => Promise<T>,
    private readonly intervalMs: number,
    private readonly keepMs: number,
  ) {}

  start(): void {
    void this.sample();
    this.timer = setInterval(() => void this.sample(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  samples(): T[] {
    return [...this.kept];
  }

  private async sample(): Promise<void> {
    try {
      this.kept.push(await this.read());
    } catch {
      return;
    }
    const max = Math.ceil(this.keepMs / this.intervalMs) + 1;
    while (this.kept.length > max) this.kept.shift();
  }
}
