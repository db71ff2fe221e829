import { join } from 'node:path';
import { EmbeddedLog } from '../../src/log/embedded/embedded-log.js';
import { LogSchemaStore } from '../../src/registry/store/log-schema-store.js';
import { tempDir } from '../helpers/tmp.js';
import { schemaStoreContract } from './schema-store.contract.js';

schemaStoreContract('the _schemas topic of the embedded log', {
  async open() {
    const { dir, cleanup } = await tempDir();
    const logs: EmbeddedLog[] = [];
    const openStore = async () => {
      const log = await EmbeddedLog.open({ dir: join(dir, 'log'), segmentBytes: 1 << 20, maxRecordBytes: 1 << 20 });
      logs.push(log);
      return LogSchemaStore.open(log);
    };
    const store = await openStore();
    return {
      store,
      reopen: async () => {
        await logs.at(-1)!.close();
        return openStore();
      },
      teardown: async () => {
        for (const log of logs) await log.close().catch(() => undefined);
        await cleanup();
      },
    };
  },
});
