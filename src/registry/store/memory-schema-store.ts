import type { RegistryRecord, SchemaStore, StoreChange } from '../../core/ports/schema-store.js';
import { SerialQueue } from '../../core/serial.js';

/**
 * The registry's records in memory, for one registry in one process: benchmarks and tests that
 * need no durability and no other node. Opening a registry on `records` of an earlier store
 * replays them, as a restart does.
 */
export class MemorySchemaStore implements SchemaStore {
  private onRecords: ((records: readonly RegistryRecord[]) => void) | undefined;
  private readonly writes = new SerialQueue();

  constructor(readonly records: RegistryRecord[] = []) {}

  async follow(onRecords: (records: readonly RegistryRecord[]) => void): Promise<void> {
    this.onRecords = onRecords;
    if (this.records.length > 0) onRecords([...this.records]);
  }

  exclusive<T>(change: () => StoreChange<T>): Promise<T> {
    return this.writes.run(async () => {
      const { records, result } = change();
      if (records.length > 0) {
        await this.append(records);
        this.onRecords?.(records);
      }
      return result;
    });
  }

  /** Where the records are kept; a test overrides it to make writes fail. */
  protected async append(records: readonly RegistryRecord[]): Promise<void> {
    this.records.push(...records);
  }

  async close(): Promise<void> {
    await this.writes.idle();
  }
}
