import type { GroupListener } from '../../src/core/ports/log.js';

/**
 * A listener that keeps what its member holds by the calls it got, and notes calls that contradict
 * it (an adapter may swallow a listener's exception, so tests assert `violations` is empty).
 */
export class RecordingListener implements GroupListener {
  readonly held = new Set<number>();
  readonly calls: string[] = [];
  readonly violations: string[] = [];
  async onAssigned(partitions: number[]): Promise<void> {
    this.calls.push(`+${partitions.join(',')}`);
    for (const p of partitions) {
      if (this.held.has(p)) this.violations.push(`partition ${p} assigned twice without a revoke`);
      this.held.add(p);
    }
  }
  async onRevoked(partitions: number[]): Promise<void> {
    this.calls.push(`-${partitions.join(',')}`);
    for (const p of partitions) if (!this.held.delete(p)) this.violations.push(`partition ${p} revoked but not held`);
  }

  sorted(): number[] {
    return [...this.held].sort((a, b) => a - b);
  }
}
