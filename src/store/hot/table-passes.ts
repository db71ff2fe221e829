import { isSightlineError } from '../../core/errors.js';

/** How many times a rewrite of a table's files starts again after other writers got there first. */
const PASSES = 5;

/**
 * Runs `pass` (a read, rewrite and commit of some of a table's files) again while it fails with a
 * retryable error: another writer (a compaction, an erasure, another serving node) changed the
 * files it read, and it must read them again. Gives up after five passes.
 */
export async function inPasses<T>(pass: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await pass();
    } catch (err) {
      if (!isSightlineError(err) || !err.retryable || attempt >= PASSES) throw err;
    }
  }
}
