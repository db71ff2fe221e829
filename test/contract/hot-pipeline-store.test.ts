import { join } from 'node:path';
import { DeadLetterQueue } from '../../src/dlq/dead-letter-queue.js';
import { EmbeddedLog } from '../../src/log/embedded/embedded-log.js';
import { DuckDbHotStore } from '../../src/store/hot/duckdb-hot-store.js';
import { HotPipelineStore } from '../../src/store/hot/hot-pipeline-store.js';
import { tempDir } from '../helpers/tmp.js';
import { pipelineStoreContract } from './pipeline-store.contract.js';

pipelineStoreContract('the DuckDB hot store, dead letters in the embedded log', {
  async open() {
    const { dir, cleanup } = await tempDir();
    const log = await EmbeddedLog.open({ dir: join(dir, 'log'), segmentBytes: 1 << 20, maxRecordBytes: 1 << 20 });
    const deadLetters = await DeadLetterQueue.open(log);
    const file = join(dir, 'hot.duckdb');
    const hots = [await DuckDbHotStore.open(file)];
    return {
      store: new HotPipelineStore(hots[0]!, deadLetters),
      log,
      // A restarted process opens the same DuckDB file again.
      reopen: async () => {
        await hots.at(-1)!.close();
        hots.push(await DuckDbHotStore.open(file));
        return new HotPipelineStore(hots.at(-1)!, deadLetters);
      },
      teardown: async () => {
        await hots.at(-1)!.close();
        await log.close();
        await cleanup();
      },
    };
  },
});
