import { join } from 'node:path';
import { EmbeddedLog } from '../../src/log/embedded/embedded-log.js';
import { tempDir } from '../helpers/tmp.js';
import { logContract } from './log.contract.js';

let root: Awaited<ReturnType<typeof tempDir>> | undefined;

logContract('embedded', () => ({
  async open(id) {
    root ??= await tempDir();
    // Small segments so the suite also crosses segment boundaries.
    return EmbeddedLog.open({ dir: join(root.dir, id), segmentBytes: 4096, maxRecordBytes: 1 << 20 });
  },
  async teardown() {
    await root?.cleanup();
  },
}));
