import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { SightlineConfig } from '../config/config.js';
import { SightlineError } from '../core/errors.js';
import type { SchemaRegistry } from '../registry/schema-registry.js';

/**
 * Registers the schemas the config lists (contracts kept in version control next to it). The same
 * schema again is a no-op; a changed one becomes a new version if the subject's level allows it,
 * and an incompatible or unreadable one stops the start with the reason.
 */
export async function registerConfiguredContracts(registry: SchemaRegistry, contracts: SightlineConfig['contracts']['register'], logger: Logger): Promise<void> {
  for (const contract of contracts) {
    let schema: string;
    try {
      schema = await readFile(contract.path, 'utf8');
    } catch (err) {
      throw new SightlineError('SL_CONFIG_INVALID', `contracts.register: cannot read ${contract.path}: ${(err as Error).message}`);
    }
    try {
      const result = await registry.register(contract.subject, { schema, schemaType: contract.schemaType });
      if (result.created) logger.info({ subject: contract.subject, version: result.version, id: result.id }, 'registered a contract from the config');
    } catch (err) {
      if (err instanceof SightlineError) throw new SightlineError(err.code, `contracts.register ${contract.subject} (${contract.path}): ${err.message}`, { cause: err });
      throw err;
    }
  }
}
