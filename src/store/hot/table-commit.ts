import type { ColdStore } from '../../core/ports/cold-store.js';
import type { IcebergTable, LoadedTable, TableChange } from '../../lakehouse/iceberg/iceberg-table.js';

/**
 * Commits the change `plan` makes of data files already written under `keys`, and deletes those
 * files when no snapshot can name them: the plan refused the newest version (it threw) or found
 * nothing left to commit. When the commit itself fails (a write to the store that may yet have
 * been applied) the files stay, for the orphan cleanup to judge later: deleting them could break
 * a version that did land. Answers whether the change was committed.
 */
export async function commitWritten(
  table: IcebergTable,
  store: ColdStore,
  keys: readonly string[],
  plan: (latest: LoadedTable | undefined) => Promise<TableChange | null> | TableChange | null,
): Promise<boolean> {
  let refused = false;
  let change: TableChange | null = null;
  let seen: LoadedTable | undefined;
  try {
    await table.commit(async (latest) => {
      seen = latest;
      try {
        change = await plan(latest);
      } catch (err) {
        refused = true;
        throw err;
      }
      return change;
    });
  } catch (err) {
    if (refused) await dropUnnamed().catch(() => undefined);
    throw err;
  }
  if (change !== null) return true;
  await dropUnnamed().catch(() => undefined);
  return false;

  // Never a file the version seen names (a key this writer committed before, under the same name).
  async function dropUnnamed(): Promise<void> {
    const named = new Set(seen ? (await table.liveFiles(seen.metadata)).map((f) => table.keyOf(f.path)) : []);
    await store.remove(keys.filter((k) => !named.has(k)));
  }
}
