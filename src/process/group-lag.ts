import type { Log, PartitionOffsets } from '../core/ports/log.js';

const REFRESH_MS = 1000;

/**
 * The processors' backlog as an ingest node sees it: end offsets minus the offsets the processing
 * group has committed, read from Kafka about once a second (a request per ingest call would cost
 * more than the check is worth).
 */
export class GroupLag {
  private committed: PartitionOffsets = new Map();
  private timer: NodeJS.Timeout | undefined;
  private reading = false;

  constructor(private readonly log: Log, private readonly group: string, private readonly topic: string) {}

  start(): void {
    this.timer = setInterval(() => void this.refresh(), REFRESH_MS);
    this.timer.unref();
    void this.refresh();
  }

  private async refresh(): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    try {
      this.committed = await this.log.committedOffsets(this.group, this.topic);
    } catch {
      // Kept from the last read; ingest's own appends report an unreachable cluster.
    } finally {
      this.reading = false;
    }
  }

  total(): number {
    let total = 0;
    for (const [p, end] of this.log.endOffsets(this.topic)) total += Math.max(0, end - (this.committed.get(p) ?? 0));
    return total;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
