/** The topic ingest appends accepted events to and the pipeline reads. */
export const EVENTS_TOPIC = 'events';

/** The one pipeline a platform runs today; its name keys its checkpoint, topics and groups. */
export const MAIN_PIPELINE = 'main';

/**
 * The topics distributed mode adds per pipeline (docs/distributed.md). Both have as many
 * partitions as the events topic: partition p of each is written only by the processor that owns
 * events partition p, in its transactions.
 */
export function pipelineTopics(pipeline: string): { rows: string; state: string } {
  return { rows: `sightline-${pipeline}-rows`, state: `sightline-${pipeline}-state` };
}

/** One transactional id per events partition: a new owner's InitProducerId fences the old one. */
export function transactionalId(pipeline: string, partition: number): string {
  return `sightline-${pipeline}-p${partition}`;
}

/** The group a serving node's rows loader commits its offsets in. */
export function sinkGroup(pipeline: string): string {
  return `sightline-${pipeline}-sink`;
}

/** The group a processor restores its partition's state under: read from offsets it seeks, never joined or committed. */
export const STATE_READER_GROUP = 'state-reader';

/** The group the dead-letter index commits its offsets in. */
export const DLQ_INDEX_GROUP = 'dlq-index';

/** The consumer group whose members share the events topic's partitions. */
export function processorGroup(pipeline: string): string {
  return `sightline-${pipeline}`;
}
