import { isPlainObject, type SightlineEvent } from '../../core/envelope.js';
import { subjectFor } from '../../core/subject.js';

/**
 * Contract versions: `subject@version` when the pipeline lists accepted versions for the event's
 * subject and the event's contract stamp (written by ingest) names another version, or none.
 */
export function versionMismatch(event: SightlineEvent, accepted: Record<string, number[]>): string | undefined {
  const subject = subjectFor(event.source, event.type);
  const versions = accepted[subject];
  if (!versions) return undefined;
  const contract = isPlainObject(event.metadata) ? event.metadata.contract : undefined;
  const version = isPlainObject(contract) && typeof contract.version === 'number' ? contract.version : null;
  return version !== null && versions.includes(version) ? undefined : `${subject}@${version ?? 'none'}`;
}
