import { join } from 'node:path';
import { EmbeddedLog } from '../../src/log/embedded/embedded-log.js';
import { LogSchemaStore } from '../../src/registry/store/log-schema-store.js';
import { tempDir } from '../helpers/tmp.js';
import { schemaStoreContract } from './schema-store.contract.js';

schemaStoreContract('the _schemas topic of the embedded log', {
  async open() {
    const { dir, cleanup } = await tempDir();
    const logs: EmbeddedLog[] = [];
    const stores: LogSchemaStore[] = [];
    const openStore = async (log: EmbeddedLog) => {
      const store = await LogSchemaStore.open(log);
      stores.push(store);
      return store;
    };
    const openLog = async () => {
      const log = await EmbeddedLog.open({ dir: join(dir, 'log'), segmentBytes: 1 << 20, maxRecordBytes: 1 << 20 });
      logs.push(log);
      return log;
    };
    const store = await openStore(await openLog());
    return {
      store,
      // One process owns the embedded log; another node is another store on the same log.
      peer: () => openStore(logs.at(-1)!),
      reopen: async () => {
        await logs.at(-1)!.close();
        return openStore(await openLog());
      },
      teardown: async () => {
        for (const s of stores) await s.close();
        for (const log of logs) await log.close().catch(() => undefined);
        await cleanup();
      },
    };
  },
});
