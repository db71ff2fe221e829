/**
 * The one rule of the dedup window: ids (and a `unique` rule's values) with event time before this
 * are forgotten, as the watermark moves on. Before any watermark nothing is forgotten. The
 * processor's state, its restore from a store and the Kafka state topic's expiry all use it.
 */
export function dedupHorizon(watermark: number | null, windowMs: number): number {
  return watermark === null ? Number.MIN_SAFE_INTEGER : watermark - windowMs;
}
