import { LocalColdStore } from '../../src/store/cold/local/local-cold-store.js';
import { tempDir } from '../helpers/tmp.js';
import { coldStoreContract } from './cold-store.contract.js';

coldStoreContract('local disk', async () => {
  const tmp = await tempDir();
  return { store: await LocalColdStore.open(tmp.dir), teardown: tmp.cleanup };
});
