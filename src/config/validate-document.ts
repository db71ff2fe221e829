import { Ajv, type ErrorObject } from 'ajv';
import { SightlineError } from '../core/errors.js';
import { CONFIG_SCHEMA, type ConfigDocument } from './schema.js';

const ajv = new Ajv({ useDefaults: true, allErrors: true, strict: false, verbose: true });
// TypeBox derives ConfigDocument from the very schema Ajv compiles, so the guard says what Ajv checked.
const validate = ajv.compile<ConfigDocument>(CONFIG_SCHEMA);

/** Checks a document against the schema, filling in its defaults (in place); names every problem's path. */
export function validateDocument(doc: unknown): ConfigDocument {
  if (validate(doc)) return doc;
  const details = (validate.errors ?? []).map(describe).join('; ');
  throw new SightlineError('SL_CONFIG_INVALID', `configuration is invalid: ${details}`);
}

/** One problem, by path; a key the schema does not know is named, with the keys it does. */
function describe(error: ErrorObject): string {
  if (error.keyword === 'additionalProperties') {
    const key = (error.params as { additionalProperty: string }).additionalProperty;
    const known = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {});
    return `${error.instancePath}/${key} is not a setting${known.length > 0 ? ` (the settings here: ${known.join(', ')})` : ''}`;
  }
  return `${error.instancePath || '/'} ${error.message}`;
}
