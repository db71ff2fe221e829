/**
 * Sightline against a Kafka Streams application on the same work (issue 7): one broker, one topic
 * of 12 partitions holding n page views keyed by event id (~10% producer retries, some events out
 * of order), then dedup by event id within 5 minutes + page views per page in 1-minute event-time
 * windows, by each side in turn, reading the whole topic from the start. Each side's rate and CPU
 * per event are measured from its first record to its last, and its final counts must equal the
 * distinct page views per page and window, or the row says so and the bench fails.
 *
 * The Streams app is bench/kafka-streams (Java 17, jars from Maven Central, built here with Maven
 * into node_modules/.cache/sightline-kstreams). Sightline's side is bench/lib/sightline-on-kafka.ts.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Admin } from '@platformatic/kafka';
import { type KafkaCluster, startKafka } from '../test/helpers/kafka.js';
import type { BenchContext } from './lib/context.js';
import { type CpuSample, sampleCpu } from './lib/cpu.js';
import { type CountCheck, checkCounts, loadPageViews, makePageViewTopic, readWindowCounts } from './lib/kafka-page-views.js';
import { runSightlineOnKafka, SIGHTLINE_TOPIC_PREFIX } from './lib/sightline-on-kafka.js';
import { round } from './lib/stats.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PEER_POM = join(ROOT, 'bench/kafka-streams/pom.xml');
const PEER_TARGET = join(ROOT, 'node_modules/.cache/sightline-kstreams/target');
const PARTITIONS = 12;
/** The Streams JVM's heap: modest, as the broker's, since both share two cores and the bench. */
const PEER_HEAP = '512m';
/** Streams' own default commit interval under exactly-once, stated so the row can say it. */
const PEER_COMMIT_MS = 100;
/** The consumer's max.partition.fetch.bytes: see PageViewCounts.java for why not the 1 MiB default. */
const PEER_FETCH_BYTES = 16_384;
/**
 * The windows' grace. Sightline's allowed lateness is 1 minute behind a watermark that is the
 * lowest event time among partitions with unread records; Streams' grace runs from the highest
 * event time its task has seen, so replaying a backlog it also has to absorb how far one input
 * partition got ahead of another. With 60 s it dropped 83 to 314 of the 899,950 distinct events
 * per 1M run as late (BENCHMARKS.md); the final counts of a correct run do not depend on it.
 */
const PEER_GRACE_MS = 120_000;

/** `mvn -q package`: compiles the peer and copies its runtime jars to PEER_TARGET/libs. */
function buildPeer(): string {
  // copy-dependencies never removes a jar, so a changed version would leave two on the classpath.
  spawnSync('rm', ['-rf', join(PEER_TARGET, 'libs')]);
  const result = spawnSync('mvn', ['-B', '-q', '-f', PEER_POM, 'package'], { encoding: 'utf8', timeout: 600_000 });
  if (result.status !== 0) throw new Error(`building bench/kafka-streams failed (${result.status ?? result.signal}):\n${result.stdout}${result.stderr}`);
  return `${join(PEER_TARGET, 'kstreams-peer.jar')}:${join(PEER_TARGET, 'libs', '*')}`;
}

interface PeerResult {
  rate: number;
  elapsedMs: number;
  closeMs: number;
  cpuUsPerEvent: number;
  brokerCpuUsPerEvent: number;
  duplicates: number;
  counted: number;
  droppedRecords: number;
  guarantee: string;
  rssMiB: number;
}

function cpuUs(before: CpuSample, after: CpuSample, n: number): number {
  return ((after.totalSeconds - before.totalSeconds) / n) * 1e6;
}

async function rssMiBOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
}

/**
 * Runs the Streams app over the topic until it reports all n records processed and committed.
 * CPU is sampled when it prints FIRST and DONE, so JVM start-up and the consumer group's join are
 * not charged to the events; the app's own clock gives the rate.
 */
async function runKafkaStreamsPeer(ctx: BenchContext, classpath: string, kafka: KafkaCluster, input: string, output: string, n: number): Promise<PeerResult> {
  const dir = join(ctx.workDir, `kstreams-${Date.now()}`);
  await mkdir(dir, { recursive: true });
  const logFile = join(dir, 'kstreams.log');
  const err = openSync(logFile, 'a');
  const args = [
    `-Xmx${PEER_HEAP}`,
    '-cp',
    classpath,
    // Streams logs its warnings to stderr (the log file); stdout is the harness's protocol.
    '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
    'dev.sightline.bench.PageViewCounts',
    ...['--bootstrap', kafka.bootstrap, '--input', input, '--output', output, '--records', String(n)],
    ...['--state-dir', join(dir, 'state'), '--commit-ms', String(PEER_COMMIT_MS), '--guarantee', 'exactly_once_v2', '--threads', '1', '--fetch-bytes', String(PEER_FETCH_BYTES), '--grace-ms', String(PEER_GRACE_MS)],
  ];
  const child: ChildProcess = spawn('java', args, { stdio: ['ignore', 'pipe', err] });
  closeSync(err);
  const brokerPid = kafka.pid(kafka.nodeIds[0]!)!;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    let first: { peer: CpuSample; broker: CpuSample } | undefined;
    let last: { peer: CpuSample; broker: CpuSample; rssMiB: number } | undefined;
    let done: Record<string, unknown> | undefined;
    let closed: Record<string, unknown> | undefined;
    let failed: string | undefined;
    for await (const line of createInterface({ input: child.stdout! })) {
      if (line.startsWith('FIRST ')) first = { peer: await sampleCpu(child.pid!), broker: await sampleCpu(brokerPid) };
      else if (line.startsWith('DONE ')) {
        last = { peer: await sampleCpu(child.pid!), broker: await sampleCpu(brokerPid), rssMiB: await rssMiBOf(child.pid!) };
        done = JSON.parse(line.slice(5)) as Record<string, unknown>;
      } else if (line.startsWith('CLOSED ')) closed = JSON.parse(line.slice(7)) as Record<string, unknown>;
      else if (line.startsWith('FAILED ')) failed = line.slice(7);
      else if (line.trim()) ctx.log(line);
    }
    const code = await exited;
    const logTail = async (): Promise<string> => (await readFile(logFile, 'utf8').catch(() => '')).split('\n').slice(-30).join('\n');
    if (failed || code !== 0 || !first || !last || !done || !closed) {
      throw new Error(`the Kafka Streams peer failed (exit ${code}${failed ? `, ${failed}` : ''}); ${logFile}:\n${await logTail()}`);
    }
    return {
      rate: Number(done.recordsPerSecond),
      elapsedMs: Number(done.elapsedMs),
      closeMs: Number(closed.closeMs),
      cpuUsPerEvent: cpuUs(first.peer, last.peer, n),
      brokerCpuUsPerEvent: cpuUs(first.broker, last.broker, n),
      duplicates: Number(done.duplicates),
      counted: Number(done.counted),
      droppedRecords: Number(done.droppedRecords),
      guarantee: String(done.guarantee),
      rssMiB: last.rssMiB,
    };
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  }
}

function describeCheck(check: CountCheck): string {
  return check.ok ? `yes (${check.windows} windows)` : `NO: ${check.wrongTotal} of ${check.windows} windows wrong, ${check.countedMinusDistinct} counted vs distinct`;
}

export async function kafkaPeerBench(ctx: BenchContext): Promise<void> {
  // 20k in --short: broker, build and JVM start-up dominate, and the whole bench stays well under 2 minutes.
  const n = ctx.short ? 20_000 : Number(process.env.SIGHTLINE_KAFKA_PEER_EVENTS ?? 1_000_000);
  const classpath = buildPeer();
  const kafka = await startKafka({ brokers: 1 });
  try {
    // Sightline's processors read `<topic prefix>events`; the peer reads the same topic.
    const input = `${SIGHTLINE_TOPIC_PREFIX}events`;
    const peerOutput = 'kstreams-page-views-1m';
    const admin = new Admin({ clientId: 'kafka-peer-bench-admin', bootstrapBrokers: kafka.brokers });
    try {
      await admin.createTopics({ topics: [input, peerOutput], partitions: PARTITIONS, replicas: 1 });
    } finally {
      await admin.close();
    }
    // 1M page views over an hour, as the e2e bench sends (~280 per second of event time); --short
    // keeps that density over a shorter span, so the out-of-orderness per record is the same.
    const data = makePageViewTopic(n, n * 3.6);
    const loadRate = await loadPageViews(kafka.brokers, input, data);
    ctx.log(`kafka-peer: ${n} records loaded (${data.distinct} distinct, ${data.expected.size} windows) at ${Math.round(loadRate)} records/s`);

    const peer = await runKafkaStreamsPeer(ctx, classpath, kafka, input, peerOutput, n);
    const peerCheck = checkCounts(data.expected, await readWindowCounts(kafka.brokers, peerOutput));
    ctx.log(
      `kafka-peer: Kafka Streams ${Math.round(peer.rate)} records/s (${round(peer.elapsedMs)} ms, close ${round(peer.closeMs)} ms), ` +
        `CPU ${round(peer.cpuUsPerEvent)} µs/event + broker ${round(peer.brokerCpuUsPerEvent)} µs/event, RSS ${Math.round(peer.rssMiB)} MiB, ` +
        `${peer.duplicates} duplicates dropped, ${peer.droppedRecords} dropped late; counts correct: ${describeCheck(peerCheck)}`,
    );
    if (!peerCheck.ok) ctx.log(`kafka-peer: wrong windows: ${peerCheck.wrong.join('; ')}`);

    const result = await runSightlineOnKafka(ctx, kafka.bootstrap, input, n);
    const sightlineCheck = checkCounts(data.expected, result.counts);
    ctx.log(
      `kafka-peer: Sightline ${Math.round(result.rate)} records/s, CPU ${round(result.cpuUsPerEvent)} µs/event (+ serving node ${round(result.serveCpuUsPerEvent)} µs/event, ` +
        `loaded ${round(result.loadLagMs)} ms after the last record); counts correct: ${describeCheck(sightlineCheck)}`,
    );
    const sightline = { rate: Math.round(result.rate), cpu: round(result.cpuUsPerEvent), correct: describeCheck(sightlineCheck), detail: { ...result, counts: undefined, check: sightlineCheck } };

    await ctx.sink.record(
      'kafka-peer',
      'Kafka peer (dedup + 1-minute page views from one 12-partition topic: Kafka Streams vs Sightline on Kafka)',
      [
        'records',
        'distinct',
        'Kafka Streams records/s',
        'Kafka Streams CPU µs/event',
        'broker CPU µs/event (Streams run)',
        'Kafka Streams counts correct',
        'Sightline on Kafka records/s',
        'Sightline CPU µs/event',
        'Sightline counts correct',
        'Kafka Streams records dropped late',
      ],
      [n, data.distinct, Math.round(peer.rate), round(peer.cpuUsPerEvent), round(peer.brokerCpuUsPerEvent), describeCheck(peerCheck), sightline.rate, sightline.cpu, sightline.correct, peer.droppedRecords],
      {
        n,
        distinct: data.distinct,
        windows: data.expected.size,
        loadRate,
        peer: { ...peer, heap: PEER_HEAP, commitIntervalMs: PEER_COMMIT_MS, threads: 1, fetchBytes: PEER_FETCH_BYTES, graceMs: PEER_GRACE_MS, check: peerCheck },
        sightline: sightline.detail,
      },
    );
    if (!peerCheck.ok) throw new Error(`the Kafka Streams peer's counts are wrong: ${peerCheck.wrong.join('; ')}`);
    if (sightlineCheck && !sightlineCheck.ok) throw new Error(`Sightline on Kafka's counts are wrong: ${sightlineCheck.wrong.join('; ')}`);
  } finally {
    await kafka.stop();
  }
}
