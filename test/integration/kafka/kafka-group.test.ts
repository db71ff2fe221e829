import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { isSightlineError } from '../../../src/core/errors.js';
import type { GroupMembership } from '../../../src/core/ports/log.js';
import { KafkaLog } from '../../../src/log/kafka/kafka-log.js';
import { RecordingListener } from '../../helpers/group-listener.js';
import { type KafkaCluster, kafkaSkipReason, useKafka } from '../../helpers/kafka.js';
import { waitUntil } from '../../helpers/wait.js';

const skip = kafkaSkipReason();
const logger = pino({ level: process.env.SIGHTLINE_TEST_LOG_LEVEL ?? 'silent' });
const MEMBER_TOOL = fileURLToPath(new URL('../../tools/kafka-group-member.js', import.meta.url));
// The broker's group.min.session.timeout.ms (6 s by default) is the shortest session it accepts.
const SESSION_MS = 6_000;
const ALL = Array.from({ length: 12 }, (_, p) => p);

function open(kafka: KafkaCluster, prefix: string): Promise<KafkaLog> {
  return KafkaLog.open({ bootstrap: kafka.brokers, clientId: 'kafka-group-test', topicPrefix: prefix, topicDefaults: { replicationFactor: 1 }, logger });
}

/** A group member in a child process (test/tools/kafka-group-member.ts) and what it last said it holds. */
class ChildMember {
  readonly child: ChildProcess;
  held: number[] = [];
  joined = false;
  readonly lines: string[] = [];
  private stderr = '';

  constructor(kafka: KafkaCluster, prefix: string, group: string, topic: string) {
    this.child = spawn(process.execPath, [MEMBER_TOOL, '--bootstrap', kafka.bootstrap, '--prefix', prefix, '--group', group, '--topic', topic, '--session-timeout', String(SESSION_MS)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      this.lines.push(line);
      const parsed = JSON.parse(line) as { event: string; held?: number[]; partitions: number[] };
      if (parsed.event === 'joined') this.joined = true;
      else this.held = parsed.held ?? [];
    });
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
  }

  state(): unknown {
    return { held: this.held, exit: this.child.exitCode ?? this.child.signalCode, lines: this.lines.slice(-5), stderr: this.stderr.slice(-2000) };
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** No partition held twice, all held, each side holds some. */
function split(a: number[], b: number[]): boolean {
  const all = [...a, ...b];
  return a.length > 0 && b.length > 0 && all.length === 12 && new Set(all).size === 12;
}

describe('Kafka consumer-group membership on one broker', { skip, timeout: 300_000 }, () => {
  const cluster = useKafka({ brokers: 1 });

  it('gives a SIGKILLed member’s partitions to the survivor after about the session timeout', async () => {
    const kafka = cluster();
    const log = await open(kafka, 'kill9.');
    await log.ensureTopic('events', { partitions: 12 });
    const child = new ChildMember(kafka, 'kill9.', 'processors', 'events');
    let survivor: GroupMembership | undefined;
    try {
      await waitUntil('the child member holds all 12 partitions', 60_000, () => child.joined && child.held.length === 12, () => child.state());

      const listener = new RecordingListener();
      const joinStarted = Date.now();
      survivor = await log.joinGroup('processors', 'events', listener, { sessionTimeoutMs: SESSION_MS });
      const member = survivor;
      await waitUntil('the two members split the partitions', 30_000, () => split(member.assigned(), child.held) && listener.sorted().join() === member.assigned().join(), () => ({ here: member.assigned(), child: child.state() }));
      const joinMs = Date.now() - joinStarted;
      assert.equal(member.assigned().length, 6);

      child.kill();
      const killed = Date.now();
      const takeoverMs = await waitUntil('the survivor holds all 12 partitions', SESSION_MS + 20_000, () => member.assigned().join() === ALL.join(), () => ({ here: member.assigned(), child: child.state() }));
      // Without a LeaveGroup the coordinator waits for the session to lapse; much sooner would mean
      // the member was not really in the group, much later that the expiry was missed.
      assert.ok(takeoverMs >= SESSION_MS - 1_500, `takeover after ${takeoverMs} ms, before the ${SESSION_MS} ms session could expire`);
      assert.deepEqual(listener.sorted(), ALL);
      assert.deepEqual(listener.violations, []);
      console.log(`# join of a second member settled in ${joinMs} ms; after SIGKILL of the other member the survivor held all 12 partitions in ${Date.now() - killed} ms (session timeout ${SESSION_MS} ms)`);
    } finally {
      child.kill();
      await survivor?.close();
      await log.close();
    }
  });

  it('commits offsets through a member’s generation; a commit from outside the membership is refused while the group has members', async () => {
    const kafka = cluster();
    const memberLog = await open(kafka, 'commits.');
    const outsider = await open(kafka, 'commits.');
    await memberLog.ensureTopic('events', { partitions: 12 });
    await outsider.ensureTopic('events', { partitions: 12 });
    await memberLog.append('events', Array.from({ length: 120 }, (_, i) => ({ key: `e${i}`, value: Buffer.from(String(i)), timestamp: i })));
    const member = await memberLog.joinGroup('processors', 'events', new RecordingListener(), { sessionTimeoutMs: SESSION_MS });
    try {
      const byMember = await memberLog.consumer('processors', 'events', { partitions: member.assigned() });
      await byMember.commit(new Map([[0, 1]]));
      await byMember.close();
      assert.equal((await outsider.committedOffsets('processors', 'events')).get(0), 1);

      const byOutsider = await outsider.consumer('processors', 'events', { partitions: [0] });
      await assert.rejects(byOutsider.commit(new Map([[0, 2]])), (e: unknown) => isSightlineError(e) && e.code === 'SL_LOG_WRITE_FAILED' && /UNKNOWN_MEMBER_ID/.test(e.message));
      assert.equal((await outsider.committedOffsets('processors', 'events')).get(0), 1, 'the refused commit changed nothing');

      await member.close();
      // The group is empty again: a plain commit is accepted once more.
      await byOutsider.commit(new Map([[0, 2]]));
      await byOutsider.close();
      assert.equal((await outsider.committedOffsets('processors', 'events')).get(0), 2);
    } finally {
      await member.close();
      await memberLog.close();
      await outsider.close();
    }
  });

  it('stays in the group while onAssigned runs longer than the session (heartbeats go on meanwhile)', async () => {
    const kafka = cluster();
    const log = await open(kafka, 'slow.');
    await log.ensureTopic('events', { partitions: 12 });
    const calls: string[] = [];
    const slow = SESSION_MS + 2_000;
    const started = Date.now();
    const member = await log.joinGroup(
      'processors',
      'events',
      {
        async onAssigned(partitions) {
          calls.push(`+${partitions.length}`);
          // A state restore that outlasts the session on purpose.
          await new Promise((r) => setTimeout(r, slow));
        },
        async onRevoked(partitions) {
          calls.push(`-${partitions.length}`);
        },
      },
      { sessionTimeoutMs: SESSION_MS },
    );
    try {
      assert.ok(Date.now() - started >= slow, 'joinGroup waited for onAssigned');
      const consumer = await log.consumer('processors', 'events', { partitions: member.assigned() });
      // Accepted only from a member the group still has, in its current generation.
      await consumer.commit(new Map([[0, 0]]));
      await consumer.close();
      assert.deepEqual(calls, ['+12']);
      assert.deepEqual(member.assigned(), ALL);
    } finally {
      await member.close();
      await log.close();
    }
  });

  it('revokes when the coordinator is gone for a whole session, rejoins when the broker is back, and rebalances with a new member', async () => {
    const kafka = cluster();
    const log = await open(kafka, 'restart.');
    await log.ensureTopic('events', { partitions: 12 });
    const listener = new RecordingListener();
    const first = await log.joinGroup('processors', 'events', listener, { sessionTimeoutMs: SESSION_MS });
    let second: GroupMembership | undefined;
    try {
      assert.deepEqual(first.assigned(), ALL);
      const stopping = Date.now();
      await kafka.stopBroker(1);
      // Unanswered for a session, the member cannot know whether the group moved on: it lets go.
      await waitUntil('the member revokes its partitions with the coordinator gone', SESSION_MS + 10_000, () => first.assigned().length === 0 && listener.held.size === 0, () => first.assigned());
      const revokedMs = Date.now() - stopping;
      await kafka.startBroker(1);
      const restarted = Date.now();
      const backMs = await waitUntil('the member holds all 12 partitions after the restart', 60_000, () => first.assigned().join() === ALL.join(), () => first.assigned());

      const other = new RecordingListener();
      const joined = await log.joinGroup('processors', 'events', other, { sessionTimeoutMs: SESSION_MS });
      second = joined;
      const settleMs = await waitUntil('the members split the partitions', 30_000, () => split(first.assigned(), joined.assigned()), () => [first.assigned(), joined.assigned()]);
      assert.deepEqual([...listener.violations, ...other.violations], []);
      assert.equal(listener.calls[0], `+${ALL.join(',')}`);
      assert.equal(listener.calls[1], `-${ALL.join(',')}`, 'the outage revoked everything');
      assert.equal(listener.calls[2], `+${ALL.join(',')}`, 'the rejoin assigned everything again');
      console.log(
        `# broker stopped (SIGTERM): the member revoked ${revokedMs} ms after the stop began; ` +
          `it held all 12 again ${backMs} ms after the restarted broker was ready (${restarted - stopping} ms after the stop began); a new member's split settled in ${settleMs} ms`,
      );
    } finally {
      await second?.close();
      await first.close();
      await log.close();
    }
  });
});
