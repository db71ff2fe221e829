/**
 * The identity of one stream's share of one group's count in one window: the key of the
 * processor's open-window state and of the Kafka state topic's window records, so both must build
 * it the same way.
 */
export function windowKey(name: string, window: string, windowStart: number, group: string, stream: string): string {
  return `${name}\u0000${window}\u0000${windowStart}\u0000${group}\u0000${stream}`;
}

/** The stream an event belongs to: its source and type, the unit contracts use. */
export function streamOf(source: string, type: string): string {
  return `${source}/${type}`;
}

/** The source and type of a stream key (`streamOf`'s inverse; a type holds no slash, a source may). */
export function streamParts(stream: string): { source: string; type: string } {
  const slash = stream.lastIndexOf('/');
  return { source: stream.slice(0, slash), type: stream.slice(slash + 1) };
}
