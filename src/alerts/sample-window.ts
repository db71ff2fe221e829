/**
 * Samples of one series over a sliding window. The reference sample is the newest one at or
 * before `now - window` (so a window measures a full window once there is history, and what
 * there is until then); older samples are dropped.
 */
export class SampleWindow {
  private readonly samples: Array<{ time: number; value: number }> = [];

  constructor(private readonly windowMs: number) {}

  add(time: number, value: number): void {
    this.samples.push({ time, value });
    const cutoff = time - this.windowMs;
    // Keep one sample at or before the cutoff: it is the window's reference.
    while (this.samples.length > 1 && this.samples[1]!.time <= cutoff) this.samples.shift();
  }

  /**
   * Increase of a cumulative counter over the window. A value lower than the one before means
   * the counter restarted from zero, so the new value is all increase (Prometheus's increase()).
   */
  increase(): number {
    let total = 0;
    for (let i = 1; i < this.samples.length; i++) {
      const previous = this.samples[i - 1]!.value;
      const current = this.samples[i]!.value;
      total += current >= previous ? current - previous : current;
    }
    return total;
  }

  /** Change of a gauge over the window: last minus reference. */
  change(): number {
    if (this.samples.length < 2) return 0;
    return this.samples[this.samples.length - 1]!.value - this.samples[0]!.value;
  }
}

/**
 * SampleWindows per key of a keyed cumulative counter. A key that first appears after the first
 * reading was zero at the reading before (its events came since), so it is seeded with 0 there;
 * keys in the very first reading have an unknown past and only start the window.
 */
export class KeyedCounterWindows {
  private readonly windows = new Map<string, SampleWindow>();
  private previousTime: number | undefined;

  constructor(private readonly windowMs: number) {}

  /** Adds a reading; returns each key's increase over the window. */
  add(time: number, values: Iterable<[string, number]>): Map<string, number> {
    const increases = new Map<string, number>();
    for (const [key, value] of values) {
      let window = this.windows.get(key);
      if (!window) {
        window = new SampleWindow(this.windowMs);
        if (this.previousTime !== undefined) window.add(this.previousTime, 0);
        this.windows.set(key, window);
      }
      window.add(time, value);
      increases.set(key, window.increase());
    }
    this.previousTime = time;
    return increases;
  }
}
