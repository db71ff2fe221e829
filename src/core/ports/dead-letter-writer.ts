import type { DeadLetter, ReplayOutcome } from '../dead-letter.js';

/**
 * Where refused events go, with their reason and bytes (the dead-letter topic). A write resolves
 * once the letters are durable: ingest answers, and a batch commits, only after its dead letters
 * are safe.
 */
export interface DeadLetterWriter {
  write(letters: readonly DeadLetter[]): Promise<void>;
  /** Records how replaying letters went, after the letters themselves. */
  recordOutcomes(outcomes: readonly ReplayOutcome[]): Promise<void>;
}
