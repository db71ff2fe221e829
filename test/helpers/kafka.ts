import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, renameSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Admin } from '@platformatic/kafka';
import { selfSignedPems } from '../../src/cli/self-signed.js';

// Paths are resolved from the compiled file (dist/test/helpers) back to the repository root.
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const FETCH_SCRIPT = join(ROOT, 'scripts/kafka/fetch.sh');
const POM = join(ROOT, 'scripts/kafka/pom.xml');

/** The Apache Kafka version the tests run, as pinned in scripts/kafka/pom.xml. */
export const KAFKA_VERSION: string = (() => {
  const match = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(readFileSync(POM, 'utf8'));
  if (!match?.[1]) throw new Error(`no <kafka.version> in ${POM}`);
  return match[1];
})();

const LIBS = join(ROOT, 'node_modules/.cache/sightline-kafka', KAFKA_VERSION, 'libs');

/** Kafka 4 brokers need Java 17 or newer. */
function javaMajor(): number | undefined {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (result.status !== 0) return undefined;
  const match = /version "(\d+)(?:\.(\d+))?/.exec(result.stderr);
  if (!match?.[1]) return undefined;
  // Java 8 and older report "1.8"; every Java that can run Kafka 4 reports its major first.
  return match[1] === '1' ? Number(match[2]) : Number(match[1]);
}

/**
 * Whether to skip a test that needs a real Kafka broker (Java 17+, and Maven to fetch the jars
 * unless scripts/kafka/fetch.sh already did). In CI it must run: .ci/run fetches the jars, and a
 * missing Java or Maven is a failure, never a skip.
 */
export function kafkaSkipReason(): string | false {
  const major = javaMajor();
  const jarsReady = existsSync(join(LIBS, '.complete'));
  const mavenFound = jarsReady || spawnSync('mvn', ['--version'], { stdio: 'ignore' }).status === 0;
  let reason: string | undefined;
  if (major === undefined) reason = 'java is not installed (Apache Kafka 4 needs Java 17 or newer)';
  else if (major < 17) reason = `java ${major} is too old (Apache Kafka 4 needs Java 17 or newer)`;
  else if (!mavenFound) reason = `Maven (mvn) is not installed, and the Kafka ${KAFKA_VERSION} jars were not fetched yet (scripts/kafka/fetch.sh)`;
  if (reason === undefined) return false;
  if (process.env.CI) throw new Error(`${reason}; CI must run the Kafka tests`);
  return reason;
}

/**
 * The folder of Kafka's jars, fetched with Maven on first use. .ci/run fetches them before the
 * tests, so in CI this only checks the marker.
 */
export function ensureKafkaJars(): string {
  if (existsSync(join(LIBS, '.complete'))) return LIBS;
  const result = spawnSync('bash', [FETCH_SCRIPT], { encoding: 'utf8', timeout: 600_000 });
  if (result.status !== 0) throw new Error(`scripts/kafka/fetch.sh failed (${result.status ?? result.signal}):\n${result.stdout}${result.stderr}`);
  return LIBS;
}

export interface StartKafkaOptions {
  /** 1: one combined broker+controller. 3: three combined nodes, a controller quorum of 3. */
  brokers?: 1 | 3;
  /** Maximum heap of each broker JVM; small, since CI's machine has 2 cores and is shared. */
  heap?: string;
  /** How long a broker may take to become ready; generous, since three JVMs share two cores. */
  startTimeoutMs?: number;
  /** Extra broker settings (server.properties keys), applied to every node. */
  config?: Record<string, string | number | boolean>;
  /**
   * Clients connect with SASL/SCRAM over TLS to an ACL authorizer, as these users (name → password);
   * `admin` is added as the one super user. Brokers and controllers talk over mutual TLS.
   */
  secure?: { users: Record<string, string> };
}

/** What a client of a secure cluster connects with: the CA file, and a SASL user's settings. */
export interface KafkaClientSecurity {
  tls: { ca: string };
  sasl: { mechanism: 'SCRAM-SHA-512'; username: string; password: string };
}

export interface KafkaCluster {
  /** host:port of every broker, comma separated: the form `--log kafka://...` takes. */
  bootstrap: string;
  /** The same addresses as a list, for a client's bootstrapBrokers. */
  brokers: string[];
  /** The node ids (1..n); each node is a broker and a controller. */
  nodeIds: number[];
  /** A secure cluster's CA certificate file (PEM); clients trust it. */
  caFile?: string;
  /** A secure cluster's client settings for one of its users (admin: the super user). */
  clientSecurity(user: string): KafkaClientSecurity | undefined;
  /** host:port of one node's broker listener. */
  address(id: number): string;
  /** The JVM's PID while the node runs. */
  pid(id: number): number | undefined;
  /** The node's log file (log4j output, stdout and stderr of the JVM). */
  logFile(id: number): string;
  /**
   * Stops one node by PID. SIGTERM (the default) is a controlled shutdown: partition leadership
   * moves away first. SIGKILL is a crash: the controller fences the node once its session expires.
   */
  stopBroker(id: number, signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Starts a stopped node again on its own port and log dirs; resolves once it serves metadata. */
  startBroker(id: number): Promise<void>;
  /** Stops every node and removes the data folder. */
  stop(): Promise<void>;
}

interface Node {
  id: number;
  port: number;
  controllerPort: number;
  /** Secure clusters: brokers replicate over their own mutual-TLS listener. */
  internalPort?: number;
  dir: string;
  child?: ChildProcess;
  exited?: Promise<void>;
}

// Every JVM this module started, so none outlives the test process, whatever way it ends.
const running = new Set<ChildProcess>();
let exitHooksInstalled = false;

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  const killAll = (): void => {
    for (const child of running) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  process.on('exit', killAll);
  // A signal would end the process without 'exit'; kill the brokers, then die of the same signal.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAll();
      process.kill(process.pid, signal);
    });
  }
}

/** Free loopback ports, all held open together so no two are the same. */
async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
    }
    return servers.map((s) => (s.address() as { port: number }).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const LOG4J = [
  'rootLogger.level = INFO',
  'rootLogger.appenderRef.out.ref = OUT',
  'appender.out.type = Console',
  'appender.out.name = OUT',
  'appender.out.layout.type = PatternLayout',
  'appender.out.layout.pattern = [%d] %p %m (%c)%n',
  // Per-partition and per-request chatter; kept out so a failure's log tail says something.
  'logger.state.name = state.change.logger',
  'logger.state.level = WARN',
  'logger.request.name = kafka.request.logger',
  'logger.request.level = WARN',
  'logger.log.name = org.apache.kafka.storage.internals.log',
  'logger.log.level = WARN',
  'logger.unifiedlog.name = kafka.log',
  'logger.unifiedlog.level = WARN',
  '',
].join('\n');

interface SecureFiles {
  /** The one certificate (and its key) every node presents; it is also the CA everyone trusts. */
  keystore: string;
  ca: string;
}

/** The listeners, TLS and SASL settings and authorizer of a secure cluster (docs/security.md). */
function secureSettings(node: Node, files: SecureFiles): Record<string, string> {
  const scram = 'org.apache.kafka.common.security.scram.ScramLoginModule required;';
  return {
    listeners: `CLIENT://127.0.0.1:${node.port},INTERNAL://127.0.0.1:${node.internalPort},CONTROLLER://127.0.0.1:${node.controllerPort}`,
    'advertised.listeners': `CLIENT://127.0.0.1:${node.port},INTERNAL://127.0.0.1:${node.internalPort}`,
    'listener.security.protocol.map': 'CLIENT:SASL_SSL,INTERNAL:SSL,CONTROLLER:SSL',
    'inter.broker.listener.name': 'INTERNAL',
    'ssl.keystore.type': 'PEM',
    'ssl.keystore.location': files.keystore,
    'ssl.truststore.type': 'PEM',
    'ssl.truststore.location': files.ca,
    // Nodes prove themselves with the certificate (principal "broker"); clients with SCRAM.
    'listener.name.internal.ssl.client.auth': 'required',
    'listener.name.controller.ssl.client.auth': 'required',
    'listener.name.client.ssl.client.auth': 'none',
    'ssl.principal.mapping.rules': 'RULE:^CN=([a-z]+)$/$1/,DEFAULT',
    'listener.name.client.sasl.enabled.mechanisms': 'SCRAM-SHA-512',
    'listener.name.client.scram-sha-512.sasl.jaas.config': scram,
    'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'super.users': 'User:admin;User:broker',
    'allow.everyone.if.no.acl.found': 'false',
  };
}

/** A certificate for CN=broker on 127.0.0.1, for server and client use, self-signed so it is its own CA. */
async function writeSecureFiles(root: string): Promise<SecureFiles> {
  const pems = await selfSignedPems({ commonName: 'broker', days: 7, altNames: ['localhost', '127.0.0.1'], clientAuth: true });
  const files = { keystore: join(root, 'broker.pem'), ca: join(root, 'ca.pem') };
  await writeFile(files.keystore, `${pems.private.trim()}\n${pems.cert.trim()}\n`, { mode: 0o600 });
  await writeFile(files.ca, pems.cert);
  return files;
}

function serverProperties(node: Node, nodes: Node[], extra: Record<string, string | number | boolean>, secure?: SecureFiles): string {
  const n = nodes.length;
  const settings: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': node.id,
    // A static quorum: every node is a voter from the start, so all format the same way.
    'controller.quorum.voters': nodes.map((o) => `${o.id}@127.0.0.1:${o.controllerPort}`).join(','),
    listeners: `PLAINTEXT://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${node.port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': join(node.dir, 'data'),
    // Internal topics replicated as far as the cluster allows, so a failover test exercises them too.
    'offsets.topic.replication.factor': n,
    'transaction.state.log.replication.factor': n,
    'transaction.state.log.min.isr': Math.min(2, n),
    // Fewer internal partitions than the defaults (50): quicker to create on two shared cores.
    'offsets.topic.num.partitions': 10,
    'transaction.state.log.num.partitions': 10,
    // Tests create their topics with the partitions and replication they mean to test.
    'auto.create.topics.enable': false,
    'group.initial.rebalance.delay.ms': 0,
    // A crashed (SIGKILLed) node is fenced and dropped from ISRs after 6 s rather than 9 s.
    'broker.heartbeat.interval.ms': 1000,
    'broker.session.timeout.ms': 6000,
    'num.network.threads': 2,
    'num.io.threads': 2,
    'num.recovery.threads.per.data.dir': 1,
    'log.cleaner.threads': 1,
    'log.cleaner.dedupe.buffer.size': 8 * 1024 * 1024,
    ...(secure && secureSettings(node, secure)),
    ...extra,
  };
  return Object.entries(settings).map(([k, v]) => `${k}=${v}`).join('\n') + '\n';
}

/** How the JVMs of one cluster run, beyond the settings every one of them gets. */
interface Jvm {
  heap: string;
  /** Options of every JVM: the brokers' and the storage tool's. */
  options: string[];
  /** Options of the brokers only. */
  brokerOptions: string[];
}

function javaArgs(libs: string, node: Node, jvm: Jvm, mainArgs: string[]): string[] {
  return [
    `-Xmx${jvm.heap}`,
    '-Xms64m',
    // Serial GC: least memory and fewest threads for a small heap on two cores.
    '-XX:+UseSerialGC',
    // The client compiler only: a test's broker lives for seconds to a minute, and C2's compiler
    // threads would take the two cores from the brokers and the tests meanwhile.
    '-XX:TieredStopAtLevel=1',
    ...jvm.options,
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${join(node.dir, 'log4j2.properties')}`,
    '-cp',
    join(libs, '*'),
    ...mainArgs,
  ];
}

async function tail(file: string, lines = 40): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').slice(-lines).join('\n');
}

/** The brokers that one node's metadata lists: registered and not fenced. */
async function listedBrokers(address: string, security?: KafkaClientSecurity): Promise<number[]> {
  const admin = new Admin({ clientId: 'sightline-test-kafka-ready', bootstrapBrokers: [address], ...security, timeout: 5000, retries: 0 });
  try {
    const metadata = await admin.metadata({ topics: [], forceUpdate: true });
    return metadata.controllerId >= 0 ? [...metadata.brokers.keys()].sort((a, b) => a - b) : [];
  } finally {
    await admin.close().catch(() => undefined);
  }
}

/**
 * Starts Apache Kafka on loopback: one KRaft node, or three that are each broker and controller,
 * on random free ports with their data in a temp folder. Resolves when every broker serves
 * metadata listing all of them.
 */
export async function startKafka(options: StartKafkaOptions = {}): Promise<KafkaCluster> {
  const libs = ensureKafkaJars();
  const archive = await classArchive(libs);
  return launchKafka(libs, options, { options: archive ? [`-XX:SharedArchiveFile=${archive}`] : [], brokerOptions: [] });
}

let archiveReady: Promise<string | undefined> | undefined;

/**
 * A class-data archive of what a broker loads (Java's dynamic CDS), which every broker and tool
 * JVM maps instead of loading and verifying those classes again: with the client compiler only, a
 * three-node cluster started in about 6 s instead of 10 on two cores. Made once, beside the
 * jars (so fetching them again drops it), by one broker run with -XX:ArchiveClassesAtExit and
 * stopped with SIGTERM: the JVM writes the archive as it exits normally. A JVM that writes none
 * (no base archive of its own JDK) leaves a note, and the brokers start without one.
 */
function classArchive(libs: string): Promise<string | undefined> {
  archiveReady ??= (async () => {
    const archive = join(libs, 'classes.jsa');
    const unsupported = `${archive}.unsupported`;
    if (existsSync(archive)) return archive;
    if (existsSync(unsupported)) return undefined;
    // Two test processes may make it at once: each writes its own file, and a rename is atomic.
    const partial = `${archive}.${process.pid}`;
    const kafka = await launchKafka(libs, { brokers: 1 }, { options: [], brokerOptions: [`-XX:ArchiveClassesAtExit=${partial}`] });
    await kafka.stopBroker(1, 'SIGTERM');
    await kafka.stop();
    if (!existsSync(partial)) {
      await writeFile(unsupported, `-XX:ArchiveClassesAtExit wrote no archive with java ${javaMajor()}; brokers start without one\n`);
      return undefined;
    }
    renameSync(partial, archive);
    return archive;
  })();
  return archiveReady;
}

async function launchKafka(libs: string, options: StartKafkaOptions, jvmOptions: Omit<Jvm, 'heap'>): Promise<KafkaCluster> {
  const count = options.brokers ?? 1;
  const jvm: Jvm = { heap: options.heap ?? process.env.SIGHTLINE_KAFKA_HEAP ?? '384m', ...jvmOptions };
  const startTimeoutMs = options.startTimeoutMs ?? 180_000;
  installExitHooks();

  const root = await mkdtemp(join(tmpdir(), 'sightline-kafka-'));
  const perNode = options.secure ? 3 : 2;
  const ports = await freePorts(count * perNode);
  const nodes: Node[] = Array.from({ length: count }, (_, i) => ({
    id: i + 1,
    port: ports[i * perNode]!,
    controllerPort: ports[i * perNode + 1]!,
    ...(options.secure && { internalPort: ports[i * perNode + 2]! }),
    dir: join(root, `node-${i + 1}`),
  }));
  const secure = options.secure && (await writeSecureFiles(root));
  const users: Record<string, string> = options.secure ? { ...options.secure.users, admin: `admin-${randomBytes(8).toString('hex')}` } : {};
  const clientSecurity = (user: string): KafkaClientSecurity | undefined => {
    if (!secure) return undefined;
    const password = users[user];
    if (password === undefined) throw new Error(`no Kafka user "${user}" in this cluster`);
    return { tls: { ca: readFileSync(secure.ca, 'utf8') }, sasl: { mechanism: 'SCRAM-SHA-512', username: user, password } };
  };
  const clusterId = randomClusterId();

  const byId = (id: number): Node => {
    const node = nodes.find((n) => n.id === id);
    if (!node) throw new Error(`no Kafka node ${id} (nodes: ${nodes.map((n) => n.id).join(', ')})`);
    return node;
  };
  const logFile = (node: Node): string => join(node.dir, 'broker.log');
  const address = (node: Node): string => `127.0.0.1:${node.port}`;

  const launch = (node: Node): void => {
    const out = openSync(logFile(node), 'a');
    const args = javaArgs(libs, node, { ...jvm, options: [...jvm.options, ...jvm.brokerOptions] }, ['kafka.Kafka', join(node.dir, 'server.properties')]);
    // setpriv makes the kernel kill the JVM if this process dies without running its exit hooks
    // (SIGKILL, a crash); the PID stays the JVM's, since setpriv execs it.
    const child = hasSetpriv()
      ? spawn('setpriv', ['--pdeathsig', 'SIGKILL', '--', 'java', ...args], { stdio: ['ignore', out, out] })
      : spawn('java', args, { stdio: ['ignore', out, out] });
    closeSync(out);
    running.add(child);
    node.child = child;
    node.exited = new Promise<void>((resolve) =>
      child.once('exit', () => {
        running.delete(child);
        resolve();
      }),
    );
  };

  const waitReady = async (node: Node, expected: number[]): Promise<void> => {
    const deadline = Date.now() + startTimeoutMs;
    let last = 'port not open';
    for (;;) {
      const child = node.child!;
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`Kafka node ${node.id} exited (${child.exitCode ?? child.signalCode}) while starting; ${logFile(node)}:\n${await tail(logFile(node))}`);
      }
      if (await portOpen(node.port)) {
        try {
          const listed = await listedBrokers(address(node), clientSecurity('admin'));
          if (expected.every((id) => listed.includes(id))) return;
          last = `metadata lists brokers [${listed.join(', ')}], waiting for [${expected.join(', ')}]`;
        } catch (error) {
          last = `metadata request failed: ${(error as Error).message}`;
        }
      }
      if (Date.now() > deadline) {
        throw new Error(`Kafka node ${node.id} not ready in ${startTimeoutMs} ms (${last}); ${logFile(node)}:\n${await tail(logFile(node))}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  };

  const stopNode = async (node: Node, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> => {
    const child = node.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    // A controlled shutdown waits for the controller; it should not hold a test up for long.
    const killed = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await node.exited;
    clearTimeout(killed);
    node.child = undefined;
  };

  try {
    for (const node of nodes) {
      mkdirSync(node.dir, { recursive: true });
      await writeFile(join(node.dir, 'server.properties'), serverProperties(node, nodes, options.config ?? {}, secure || undefined));
      await writeFile(join(node.dir, 'log4j2.properties'), LOG4J);
    }
    // Formatting is a JVM start each; run them side by side.
    // SCRAM credentials live in the metadata log: added when it is formatted, before any broker runs.
    const scram = Object.entries(users).flatMap(([name, password]) => ['--add-scram', `SCRAM-SHA-512=[name=${name},password=${password}]`]);
    await Promise.all(nodes.map((node) => formatStorage(libs, node, jvm, clusterId, scram)));
    for (const node of nodes) launch(node);
    // A quorum needs a majority up, so all nodes start together and are waited for together.
    const all = nodes.map((n) => n.id);
    await Promise.all(nodes.map((node) => waitReady(node, all)));
  } catch (error) {
    await Promise.all(nodes.map((node) => stopNode(node, 'SIGKILL')));
    await rm(root, { recursive: true, force: true });
    throw error;
  }

  return {
    bootstrap: nodes.map(address).join(','),
    brokers: nodes.map(address),
    nodeIds: nodes.map((n) => n.id),
    ...(secure && { caFile: secure.ca }),
    clientSecurity,
    address: (id) => address(byId(id)),
    pid: (id) => byId(id).child?.pid,
    logFile: (id) => logFile(byId(id)),
    async stopBroker(id, signal = 'SIGTERM') {
      await stopNode(byId(id), signal);
    },
    async startBroker(id) {
      const node = byId(id);
      if (node.child) throw new Error(`Kafka node ${id} is running`);
      launch(node);
      await waitReady(node, [id]);
    },
    async stop() {
      // The data goes away with the folder, so no controlled shutdown is worth waiting for.
      await Promise.all(nodes.map((node) => stopNode(node, 'SIGKILL')));
      await rm(root, { recursive: true, force: true });
    },
  };
}

/**
 * Starts Kafka before the enclosing suite's tests and stops it after them, even when they fail.
 * Call it inside describe(); the returned function gives the running cluster inside a test.
 */
export function useKafka(options: StartKafkaOptions = {}): () => KafkaCluster {
  let kafka: KafkaCluster | undefined;
  before(async () => {
    kafka = await startKafka(options);
  });
  after(async () => {
    await kafka?.stop();
  });
  return () => {
    if (!kafka) throw new Error('Kafka is not running: useKafka() starts it in a before() hook of the suite');
    return kafka;
  };
}

let setprivFound: boolean | undefined;
function hasSetpriv(): boolean {
  setprivFound ??= spawnSync('setpriv', ['--help'], { stdio: 'ignore' }).status === 0;
  return setprivFound;
}

/**
 * A KRaft cluster id: 16 random bytes, base64url without padding (what `random-uuid` prints). Like
 * Kafka's Uuid.randomUuid, never one starting with '-': the storage tool would read it as an option.
 */
function randomClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

async function formatStorage(libs: string, node: Node, jvm: Jvm, clusterId: string, extraArgs: string[] = []): Promise<void> {
  const args = javaArgs(libs, node, jvm, ['kafka.tools.StorageTool', 'format', '--config', join(node.dir, 'server.properties'), '--cluster-id', clusterId, ...extraArgs]);
  const child = spawn('java', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  running.delete(child);
  if (code !== 0) throw new Error(`formatting Kafka storage of node ${node.id} failed (${code}):\n${output}`);
}
