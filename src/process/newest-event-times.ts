/** Producers name sources; past this many new ones are not tracked (nor alerted on). */
const MAX_SOURCES = 1000;

/** The newest event time stored per source, for freshness per source. */
export class NewestEventTimes {
  private readonly bySource = new Map<string, number>();

  /** What the store holds, at start. */
  restore(list: ReadonlyArray<{ source: string; timestamp: number }>): void {
    for (const { source, timestamp } of list) this.bySource.set(source, timestamp);
  }

  note(source: string, timestamp: number): void {
    const known = this.bySource.get(source);
    if (known === undefined && this.bySource.size >= MAX_SOURCES) return;
    if (known === undefined || timestamp > known) this.bySource.set(source, timestamp);
  }

  list(): Array<{ source: string; timestamp: number }> {
    return [...this.bySource].map(([source, timestamp]) => ({ source, timestamp }));
  }
}
