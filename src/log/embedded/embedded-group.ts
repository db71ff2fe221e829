import { rangeAssignment } from '../../core/group-assignment.js';
import type { GroupListener, GroupMembership } from '../../core/ports/log.js';

interface Group {
  members: EmbeddedMember[];
  /** Rebalances of one group run one after another, so listeners never see two at once. */
  queue: Promise<void>;
}

/**
 * Group membership within one EmbeddedLog: the members of a group are objects in this process,
 * so a rebalance is a function call. It is eager like Kafka's classic protocol: every member gives
 * up what it holds (onRevoked, awaited) before anyone is assigned anew, so no partition is held by
 * two members at any moment.
 */
export class EmbeddedGroups {
  private readonly groups = new Map<string, Group>();
  private nextMember = 0;

  async join(group: string, topic: string, partitionCount: number, listener: GroupListener): Promise<GroupMembership> {
    const key = `${topic}\u0000${group}`;
    let state = this.groups.get(key);
    if (!state) this.groups.set(key, (state = { members: [], queue: Promise.resolve() }));
    // Zero-padded so that sorting ids (the assignment's order) is joining order.
    const member = new EmbeddedMember(group, topic, `${group}-${String(this.nextMember++).padStart(8, '0')}`, listener, (m) => this.leave(key, m, partitionCount));
    state.members.push(member);
    await this.rebalance(state, partitionCount);
    return member;
  }

  private async leave(key: string, member: EmbeddedMember, partitionCount: number): Promise<void> {
    const state = this.groups.get(key);
    if (!state || !state.members.includes(member)) return;
    state.members = state.members.filter((m) => m !== member);
    await this.rebalance(state, partitionCount, member);
    if (state.members.length === 0) this.groups.delete(key);
  }

  /** Queued behind any rebalance in progress; `leaving` is revoked but assigned nothing. */
  private rebalance(state: Group, partitionCount: number, leaving?: EmbeddedMember): Promise<void> {
    const run = async (): Promise<void> => {
      const revoking = leaving ? [...state.members, leaving] : state.members;
      const revoked = await Promise.allSettled(revoking.map((m) => m.revokeAll()));
      const assignment = rangeAssignment(
        state.members.map((m) => m.memberId),
        partitionCount,
      );
      const assigned = await Promise.allSettled(state.members.map((m) => m.assign(assignment.get(m.memberId) ?? [])));
      // A listener that throws does not stop the others being told; the join or close that caused
      // the rebalance reports the first failure.
      const failed = [...revoked, ...assigned].find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
    };
    const done = state.queue.then(run);
    state.queue = done.catch(() => undefined);
    return done;
  }

  /** Closes every member (the log is closing). */
  async closeAll(): Promise<void> {
    const members = [...this.groups.values()].flatMap((g) => g.members);
    await Promise.all(members.map((m) => m.close()));
  }
}

class EmbeddedMember implements GroupMembership {
  private held: number[] = [];
  private closed = false;

  constructor(
    readonly group: string,
    readonly topic: string,
    readonly memberId: string,
    private readonly listener: GroupListener,
    private readonly onClose: (member: EmbeddedMember) => Promise<void>,
  ) {}

  assigned(): number[] {
    return [...this.held];
  }

  async revokeAll(): Promise<void> {
    if (this.held.length === 0) return;
    const revoked = this.held;
    this.held = [];
    await this.listener.onRevoked(revoked);
  }

  async assign(partitions: number[]): Promise<void> {
    if (this.closed) return;
    this.held = [...partitions];
    if (partitions.length > 0) await this.listener.onAssigned([...partitions]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.onClose(this);
  }
}
