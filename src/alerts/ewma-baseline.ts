const HOUR_MS = 3_600_000;
const HOURS_PER_WEEK = 168;
// 1970-01-01 was a Thursday: shifting by three days puts Monday 00:00 UTC at slot 0.
const EPOCH_WEEKDAY_OFFSET_HOURS = 72;

export interface Ewma {
  value: number;
  samples: number;
}

/** Slot 0 is Monday 00:00-01:00 UTC, slot 167 Sunday 23:00-24:00 UTC. */
export function hourOfWeek(time: number): number {
  return (Math.floor(time / HOUR_MS) + EPOCH_WEEKDAY_OFFSET_HOURS) % HOURS_PER_WEEK;
}

/**
 * The expected events per bucket of one series: an exponentially weighted moving average of
 * past buckets, and optionally one per hour of the week (traffic at 3 a.m. on a Sunday is not
 * traffic at noon on a Monday). A slot answers once it has `slotWarmup` samples of its own; until
 * then, which takes weeks for all 168, the global average stands in.
 */
export class EwmaBaseline {
  private readonly global: Ewma = { value: 0, samples: 0 };
  private slots: Array<Ewma | undefined> = [];

  constructor(private readonly options: { alpha: number; hourOfWeek: boolean; slotWarmup: number }) {}

  /** Buckets learned into the global average. */
  get samples(): number {
    return this.global.samples;
  }

  /** Expected count for the bucket starting at `bucketStart`; undefined before anything is learned. */
  expected(bucketStart: number): number | undefined {
    if (this.global.samples === 0) return undefined;
    if (this.options.hourOfWeek) {
      const slot = this.slots[hourOfWeek(bucketStart)];
      if (slot && slot.samples >= this.options.slotWarmup) return slot.value;
    }
    return this.global.value;
  }

  learn(bucketStart: number, count: number): void {
    this.update(this.global, count);
    if (this.options.hourOfWeek) {
      const index = hourOfWeek(bucketStart);
      const slot = (this.slots[index] ??= { value: 0, samples: 0 });
      this.update(slot, count);
    }
  }

  /** What was learned, for a restart to take back with `restore`. */
  snapshot(): { global: Ewma; slots: Array<Ewma | null> } {
    return { global: { ...this.global }, slots: Array.from(this.slots, (slot) => (slot ? { ...slot } : null)) };
  }

  restore(kept: { global: Ewma; slots: Array<Ewma | null> }): void {
    Object.assign(this.global, kept.global);
    this.slots = kept.slots.map((slot) => slot ?? undefined);
  }

  /** Takes `level` as the new normal: the global average restarts there and the slots learn again. */
  relearn(level: number): void {
    this.global.value = level;
    this.slots = [];
  }

  private update(ewma: Ewma, count: number): void {
    // The first sample is the average; seeding with 0 would read as a spike until it decays.
    ewma.value = ewma.samples === 0 ? count : this.options.alpha * count + (1 - this.options.alpha) * ewma.value;
    ewma.samples++;
  }
}
