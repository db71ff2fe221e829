import { Reader, Writer } from '@platformatic/kafka';

/*
 * The classic group protocol's "consumer" payloads (ConsumerProtocolSubscription and
 * ConsumerProtocolAssignment, version 0), so Kafka's own tools (kafka-consumer-groups --describe)
 * read a Sightline group's members and assignments as they read a Java consumer's.
 */

export function encodeSubscription(topics: readonly string[]): Buffer {
  return Writer.create()
    .appendInt16(0)
    .appendArray([...topics], (w, t) => w.appendString(t, false), false, false)
    .appendBytes(Buffer.alloc(0), false).buffer;
}

export function decodeSubscription(metadata: Buffer | null): string[] {
  if (!metadata || metadata.length < 2) return [];
  const reader = Reader.from(metadata);
  reader.readInt16();
  return reader.readArray((r) => r.readString(false), false, false);
}

export function encodeAssignment(assignment: ReadonlyMap<string, number[]>): Buffer {
  return Writer.create()
    .appendInt16(0)
    .appendArray([...assignment], (w, [topic, partitions]) => w.appendString(topic, false).appendArray(partitions, (w2, p) => w2.appendInt32(p), false, false), false, false)
    .appendBytes(Buffer.alloc(0), false).buffer;
}

/** The partitions of `topic` in an assignment; an empty buffer (nothing assigned) is none. */
export function decodeAssignment(buffer: Buffer | null, topic: string): number[] {
  if (!buffer || buffer.length < 6) return [];
  const reader = Reader.from(buffer);
  reader.readInt16();
  const topics = reader.readArray((r) => ({ topic: r.readString(false), partitions: r.readArray((r2) => r2.readInt32(), false, false) }), false, false);
  return topics.filter((t) => t.topic === topic).flatMap((t) => t.partitions).sort((a, b) => a - b);
}
