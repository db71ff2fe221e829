import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { SightlineError } from '../../core/errors.js';
import type { ColdStore } from '../../core/ports/cold-store.js';
import type { DataFile } from '../../lakehouse/iceberg/avro-manifests.js';
import type { IcebergTable } from '../../lakehouse/iceberg/iceberg-table.js';
import { sealedParquet } from './cold-erasure.js';

/**
 * Paths DuckDB can read for a table's data files: the files themselves on local disk, copies in
 * the staging folder from an object store (removed by `release`). `sealed` says whether any is
 * encrypted (then DuckDB reads them with the Parquet key).
 */
export async function localCopies(cold: ColdStore, table: IcebergTable, files: readonly DataFile[], purpose: string): Promise<{ paths: string[]; sealed: boolean; release: () => Promise<void> }> {
  const fetched: string[] = [];
  const release = async (): Promise<void> => {
    for (const path of fetched) await rm(path, { force: true });
  };
  try {
    const paths: string[] = [];
    let sealed = false;
    for (const file of files) {
      let path = file.path;
      if (!isAbsolute(path)) {
        path = cold.stagingPath(`${purpose}-${randomUUID()}.parquet`);
        // Noted before the download, so a download that fails part-way leaves no file behind.
        fetched.push(path);
        if (!(await cold.download(table.keyOf(file.path), path))) {
          throw new SightlineError('SL_COLD_UNAVAILABLE', `${file.path} is named by the table but gone (expired meanwhile?): try again`);
        }
      }
      sealed ||= await sealedParquet(path);
      paths.push(path);
    }
    return { paths, sealed, release };
  } catch (err) {
    await release();
    throw err;
  }
}
