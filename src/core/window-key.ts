/**
 * The identity of one group's count in one window: the key of the processor's open-window state
 * and of the Kafka state topic's window records, so both must build it the same way.
 */
export function windowKey(name: string, window: string, windowStart: number, group: string): string {
  return `${name}\u0000${window}\u0000${windowStart}\u0000${group}`;
}
