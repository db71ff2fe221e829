/** The event envelope of DESIGN.md. `metadata` is always present once an event is accepted. */
export interface SightlineEvent {
  id: string;
  source: string;
  type: string;
  /** Event time, epoch milliseconds. */
  timestamp: number;
  payload: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A dotted path into an event, e.g. `payload.user_id`. */
export function readPath(event: SightlineEvent, path: readonly string[]): unknown {
  let current: unknown = event;
  for (const key of path) {
    if (!isPlainObject(current)) return undefined;
    current = current[key];
  }
  return current;
}
