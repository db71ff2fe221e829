import type { RegistryRecord, SchemaStore, StoreChange } from '../../core/ports/schema-store.js';
import { SerialQueue } from '../../core/serial.js';

/** What the stores on one `records` array share, as the nodes of a deployment share one `_schemas` topic. */
interface Storage {
  /** The write lock of every store on the array. */
  writes: SerialQueue;
  /** The stores that follow the array. */
  followers: Set<MemorySchemaStore>;
}

/** Keyed by the array itself, so that any two stores given the same array are nodes of one storage. */
const storages = new WeakMap<RegistryRecord[], Storage>();

/**
 * The registry's records in memory, for benchmarks and tests that need no durability. The
 * `records` array is the storage: every store opened on the same array, in the same process,
 * behaves as a node of one deployment. They share one write lock, and each is delivered every
 * record any of them commits; opening a store on the array after another closed replays it, as a
 * restart does. A store on a new array is alone.
 */
export class MemorySchemaStore implements SchemaStore {
  private onRecords: ((records: readonly RegistryRecord[]) => void) | undefined;
  /** How many of `records` were delivered to `onRecords`. */
  private delivered = 0;
  /** Set when `onRecords` threw on a record another node committed: this node stops, as LogSchemaStore does. */
  private failure: unknown;
  private readonly storage: Storage;

  constructor(readonly records: RegistryRecord[] = []) {
    let storage = storages.get(records);
    if (!storage) storages.set(records, (storage = { writes: new SerialQueue(), followers: new Set() }));
    this.storage = storage;
  }

  async follow(onRecords: (records: readonly RegistryRecord[]) => void): Promise<void> {
    this.onRecords = onRecords;
    this.catchUp();
    this.storage.followers.add(this);
  }

  exclusive<T>(change: () => StoreChange<T>): Promise<T> {
    return this.storage.writes.run(async () => {
      if (this.failure) throw this.failure;
      // Every record committed before this took the lock was delivered here when it was committed.
      const { records, result } = change();
      if (records.length > 0) {
        await this.append(records);
        // The other nodes first: a throw from this node's own follower rejects this change only.
        for (const node of this.storage.followers) if (node !== this) node.deliverFromPeer();
        this.catchUp();
      }
      return result;
    });
  }

  /** Where the records are kept; a test overrides it to make writes fail. An override that succeeds adds them to `records`. */
  protected async append(records: readonly RegistryRecord[]): Promise<void> {
    this.records.push(...records);
  }

  async close(): Promise<void> {
    this.storage.followers.delete(this);
    await this.storage.writes.idle();
  }

  /** Delivers the records not delivered yet, each once, in the order of the array; a throw from `onRecords` passes on. */
  private catchUp(): void {
    if (!this.onRecords || this.delivered >= this.records.length) return;
    const batch = this.records.slice(this.delivered);
    this.delivered = this.records.length;
    this.onRecords(batch);
  }

  /** Another node committed: its exclusive must not fail for this node's follower, so a throw stops this node instead. */
  private deliverFromPeer(): void {
    try {
      this.catchUp();
    } catch (error) {
      this.failure = error;
      this.storage.followers.delete(this);
    }
  }
}
