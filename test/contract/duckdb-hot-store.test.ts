import { join } from 'node:path';
import { DuckDbHotStore } from '../../src/store/hot/duckdb-hot-store.js';
import { tempDir } from '../helpers/tmp.js';
import { hotStoreContract } from './hot-store.contract.js';

hotStoreContract('DuckDB', async () => {
  const tmp = await tempDir();
  const store = await DuckDbHotStore.open(join(tmp.dir, 'hot.duckdb'));
  return {
    store,
    teardown: async () => {
      await store.close();
      await tmp.cleanup();
    },
  };
});
