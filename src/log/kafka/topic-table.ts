import { SightlineError } from '../../core/errors.js';
import type { PartitionOffsets } from '../../core/ports/log.js';

interface TopicState {
  partitions: number;
  start: number[];
  end: number[];
}

/**
 * What the adapter knows of each topic without asking the cluster: partition count and the start
 * and end offsets, so the port's synchronous reads answer at once. Offsets only move forward here:
 * produce acknowledgements, fetch responses and ListOffsets rounds arrive out of order, and a
 * lower number from an older answer must not undo a newer one.
 */
export class TopicTable {
  private readonly topics = new Map<string, TopicState>();

  has(topic: string): boolean {
    return this.topics.has(topic);
  }

  names(): string[] {
    return [...this.topics.keys()];
  }

  add(topic: string, partitions: number): void {
    if (this.topics.has(topic)) return;
    this.topics.set(topic, { partitions, start: new Array<number>(partitions).fill(0), end: new Array<number>(partitions).fill(0) });
  }

  private state(topic: string): TopicState {
    const state = this.topics.get(topic);
    if (!state) throw new SightlineError('SL_LOG_TOPIC_UNKNOWN', `topic "${topic}" does not exist (or was not ensured by this process)`);
    return state;
  }

  partitionCount(topic: string): number {
    return this.state(topic).partitions;
  }

  endOffsets(topic: string): PartitionOffsets {
    return new Map(this.state(topic).end.map((o, p) => [p, o]));
  }

  startOffsets(topic: string): PartitionOffsets {
    return new Map(this.state(topic).start.map((o, p) => [p, o]));
  }

  advanceEnd(topic: string, partition: number, end: number): void {
    const state = this.topics.get(topic);
    if (state && partition < state.partitions && end > state.end[partition]!) state.end[partition] = end;
  }

  advanceStart(topic: string, partition: number, start: number): void {
    const state = this.topics.get(topic);
    if (state && partition < state.partitions && start > state.start[partition]!) state.start[partition] = start;
  }
}
