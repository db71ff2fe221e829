/**
 * The input both sides of the Kafka peer benchmark read (bench/kafka-peer.bench.ts): page views
 * of bench/lib/events.ts on one Kafka topic, keyed by event id, with producer retries (repeated
 * ids) and out-of-order event times, and the counts a correct pipeline must end with.
 */
import { Consumer, FetchIsolationLevels, ProduceAcks, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';
import { makeEvent } from './events.js';

export const DEDUP_WINDOW_MS = 5 * 60_000;
export const WINDOW_MS = 60_000;

/** Page views per page and 1-minute window, keyed `page@windowStartMs` (the peer's output key). */
export type WindowCounts = Map<string, number>;

export function windowKey(page: string, timestamp: number): string {
  return `${page}@${timestamp - (timestamp % WINDOW_MS)}`;
}

export interface PageViewTopic {
  /** Key (event id), value (the JSON envelope) and event time of every record, in produce order. */
  records: Array<{ key: string; value: string; timestamp: number }>;
  /** Distinct event ids: what is left after dedup. */
  distinct: number;
  /** Distinct page views per page and window: what both pipelines must report. */
  expected: WindowCounts;
}

/** A small deterministic PRNG (mulberry32), so every run loads the same topic for the same n. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `n` records over the `spanMs` before now. About 10% repeat an event sent within the last 1,000
 * records (a producer retry: same id, same bytes, so well inside the 5-minute dedup window), and
 * about 20% of events are stamped up to 30 s earlier than their place in the stream, within the
 * 1-minute allowed lateness (grace), so a correct pipeline counts every distinct event.
 */
export function makePageViewTopic(n: number, spanMs: number, idPrefix = 'kp'): PageViewTopic {
  const rand = random(7);
  const start = Date.now() - spanMs;
  const msPerEvent = spanMs / n;
  const records: PageViewTopic['records'] = [];
  const expected: WindowCounts = new Map();
  let distinct = 0;
  for (let i = 0; i < n; i++) {
    if (distinct > 0 && rand() < 0.1) {
      const earlier = records[records.length - 1 - Math.floor(rand() * Math.min(1000, records.length))]!;
      records.push(earlier);
      continue;
    }
    const skew = rand() < 0.2 ? Math.floor(rand() * 30_000) : 0;
    const timestamp = Math.max(start, start + Math.floor(i * msPerEvent) - skew);
    const event = makeEvent(distinct, 'small', timestamp, idPrefix) as { id: string; payload: { page: string } };
    const page = event.payload.page;
    // The envelope as ingest stores it: metadata is always present once an event is accepted.
    records.push({ key: event.id, value: JSON.stringify({ ...event, metadata: {} }), timestamp });
    const key = windowKey(page, timestamp);
    expected.set(key, (expected.get(key) ?? 0) + 1);
    distinct++;
  }
  return { records, distinct, expected };
}

/**
 * Produces the records in order (idempotent, acks=all), one send of 5000 at a time: @platformatic/kafka
 * 1.x gets OUT_OF_ORDER_SEQUENCE_NUMBER from the broker when idempotent sends overlap. Idempotence
 * matters here: a retried send must not add repeats, since the consumers wait for exactly n records.
 * Resolves with records/s.
 */
export async function loadPageViews(brokers: string[], topic: string, data: PageViewTopic): Promise<number> {
  const producer = new Producer({
    clientId: 'kafka-peer-bench-loader',
    bootstrapBrokers: brokers,
    serializers: stringSerializers,
    idempotent: true,
    acks: ProduceAcks.ALL,
    timeout: 30_000,
  });
  const batch = 5000;
  const t = performance.now();
  try {
    for (let from = 0; from < data.records.length; from += batch) {
      const messages = data.records.slice(from, from + batch).map((r) => ({ topic, key: r.key, value: r.value, timestamp: BigInt(r.timestamp) }));
      await producer.send({ messages });
    }
  } finally {
    await producer.close();
  }
  return (data.records.length / (performance.now() - t)) * 1000;
}

/**
 * The window counts on a topic of `page@windowStart` → count records: the latest record per key,
 * read committed (an aborted transaction's counts are not counts). Reads until nothing new has
 * arrived for `idleMs`.
 */
export async function readWindowCounts(brokers: string[], topic: string, idleMs = 3000): Promise<WindowCounts> {
  const consumer = new Consumer({
    clientId: 'kafka-peer-bench-verify',
    groupId: `kafka-peer-bench-verify-${Date.now()}`,
    bootstrapBrokers: brokers,
    deserializers: stringDeserializers,
    isolationLevel: FetchIsolationLevels.READ_COMMITTED,
  });
  const counts: WindowCounts = new Map();
  try {
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false, maxWaitTime: 500 });
    try {
      const iterator = stream[Symbol.asyncIterator]();
      for (;;) {
        let timer: NodeJS.Timeout | undefined;
        const idle = new Promise<'idle'>((resolve) => (timer = setTimeout(() => resolve('idle'), idleMs)));
        const next = await Promise.race([iterator.next(), idle]);
        clearTimeout(timer);
        if (next === 'idle' || next.done) break;
        counts.set(next.value.key, Number(next.value.value));
      }
    } finally {
      await stream.close();
    }
  } finally {
    await consumer.close();
  }
  return counts;
}

export interface CountCheck {
  ok: boolean;
  windows: number;
  /** Windows whose count differs, is missing or should not exist: `key expected got`, the first 10. */
  wrong: string[];
  wrongTotal: number;
  /** Sum of reported counts minus the distinct events: negative means events not counted. */
  countedMinusDistinct: number;
}

export function checkCounts(expected: WindowCounts, got: WindowCounts): CountCheck {
  const wrong: string[] = [];
  let wrongTotal = 0;
  let countedMinusDistinct = 0;
  for (const [key, count] of expected) {
    countedMinusDistinct -= count;
    const actual = got.get(key);
    if (actual !== count) {
      wrongTotal++;
      if (wrong.length < 10) wrong.push(`${key} expected ${count} got ${actual ?? 'none'}`);
    }
  }
  for (const [key, count] of got) {
    countedMinusDistinct += count;
    if (!expected.has(key)) {
      wrongTotal++;
      if (wrong.length < 10) wrong.push(`${key} expected none got ${count}`);
    }
  }
  return { ok: wrongTotal === 0, windows: expected.size, wrong, wrongTotal, countedMinusDistinct };
}
