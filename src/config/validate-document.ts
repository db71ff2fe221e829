import { Ajv } from 'ajv';
import { SightlineError } from '../core/errors.js';
import { CONFIG_SCHEMA, type ConfigDocument } from './schema.js';

const ajv = new Ajv({ useDefaults: true, allErrors: true, strict: false });
// TypeBox derives ConfigDocument from the very schema Ajv compiles, so the guard says what Ajv checked.
const validate = ajv.compile<ConfigDocument>(CONFIG_SCHEMA);

/** Checks a document against the schema, filling in its defaults (in place); names every problem's path. */
export function validateDocument(doc: unknown): ConfigDocument {
  if (validate(doc)) return doc;
  const details = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ');
  throw new SightlineError('SL_CONFIG_INVALID', `configuration is invalid: ${details}`);
}
