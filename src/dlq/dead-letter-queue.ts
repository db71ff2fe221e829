import { type DeadLetter, deadLetterRecord, DLQ_TOPIC, type ReplayOutcome, replayOutcomeRecord } from '../core/dead-letter.js';
import type { DeadLetterWriter } from '../core/ports/dead-letter-writer.js';
import type { Log } from '../core/ports/log.js';
import { Counter, type Registry } from 'prom-client';

/**
 * Writes failed events and replay outcomes to the dead-letter topic. A write resolves once the
 * records are durable, like any append: ingest answers, and the processor commits a batch, only
 * after the batch's dead letters are safe.
 */
export class DeadLetterQueue implements DeadLetterWriter {
  private readonly counter: Counter<'stage' | 'code'> | undefined;

  /** @param maxOriginalBytes the most of an event's bytes a dead letter keeps (room is left for the headers). */
  constructor(private readonly log: Log, registry?: Registry, private readonly maxOriginalBytes = Number.POSITIVE_INFINITY) {
    this.counter = registry
      ? new Counter({
          name: 'sightline_dead_letters_total',
          help: 'Events written to the dead-letter topic, by the stage that failed them and the code.',
          labelNames: ['stage', 'code'],
          registers: [registry],
        })
      : undefined;
  }

  static async open(log: Log, registry?: Registry, maxOriginalBytes?: number): Promise<DeadLetterQueue> {
    // One partition: dead letters are few, and one order makes listing and paging simple.
    await log.ensureTopic(DLQ_TOPIC, { partitions: 1 });
    return new DeadLetterQueue(log, registry, maxOriginalBytes);
  }

  async write(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    await this.log.append(DLQ_TOPIC, letters.map((letter) => deadLetterRecord(letter, this.maxOriginalBytes)));
    if (this.counter) {
      const byReason = new Map<string, { stage: string; code: string; n: number }>();
      for (const { reason } of letters) {
        const key = `${reason.stage}\n${reason.code}`;
        const entry = byReason.get(key);
        if (entry) entry.n++;
        else byReason.set(key, { stage: reason.stage, code: reason.code, n: 1 });
      }
      for (const { stage, code, n } of byReason.values()) this.counter.inc({ stage, code }, n);
    }
  }

  async recordOutcomes(outcomes: readonly ReplayOutcome[]): Promise<void> {
    if (outcomes.length === 0) return;
    await this.log.append(DLQ_TOPIC, outcomes.map(replayOutcomeRecord));
  }
}
