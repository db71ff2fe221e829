import type { CompatibilityLevel } from '../../core/ports/schema-store.js';
import type { ParsedSchema } from '../types/schema-type.js';
import type { Incompatibility } from './incompatibility.js';

export interface PreviousVersion {
  version: number;
  schema: ParsedSchema;
}

export interface CompatibilityResult {
  compatible: boolean;
  /** The version the problems were found against (the first failing one, newest first). */
  againstVersion?: number;
  problems: Incompatibility[];
}

/**
 * Checks `candidate` against a subject's live versions (oldest first) under `level`:
 * BACKWARD (new reads old), FORWARD (old reads new), FULL (both); plain levels check the latest
 * version only, *_TRANSITIVE every one, newest first, stopping at the first that fails.
 */
export function checkCompatibility(candidate: ParsedSchema, previous: readonly PreviousVersion[], level: CompatibilityLevel): CompatibilityResult {
  if (level === 'NONE' || previous.length === 0) return { compatible: true, problems: [] };
  const newestFirst = [...previous].reverse();
  const against = level.endsWith('_TRANSITIVE') ? newestFirst : newestFirst.slice(0, 1);
  const backward = level.startsWith('BACKWARD') || level.startsWith('FULL');
  const forward = level.startsWith('FORWARD') || level.startsWith('FULL');
  for (const old of against) {
    const problems: Incompatibility[] = [];
    if (forward) problems.push(...old.schema.readProblems(candidate, { reader: 'old', writer: 'new' }));
    if (backward) problems.push(...candidate.readProblems(old.schema, { reader: 'new', writer: 'old' }));
    if (problems.length > 0) return { compatible: false, againstVersion: old.version, problems };
  }
  return { compatible: true, problems: [] };
}
