import { readdirSync, readFileSync } from 'node:fs';
import type { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS with a default export.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

const FIXTURES = new URL('../../../test/fixtures/openlineage/', import.meta.url);
export const RUN_EVENT_SCHEMA = 'https://openlineage.io/spec/2-0-2/OpenLineage.json';

/**
 * The official OpenLineage schemas (test/fixtures/openlineage), each registered under its `$id`,
 * in a strict Ajv (draft 2020-12, formats checked). `problems(event)` lists every way an event
 * breaks the 2-0-2 RunEvent schema or the schema its facets name in `_schemaURL`; empty is valid.
 */
export function openLineageValidator() {
  // Strict, but for strictRequired: a lint on schemas, which the official 2-0-2 schema's
  // `not: { required: ["job", "run"] }` (no properties beside it) trips; it changes no verdict.
  const ajv = new Ajv2020({ strict: true, strictRequired: false, allErrors: true });
  // `example` is an annotation all OpenLineage schemas use; strict mode refuses unknown keywords.
  ajv.addKeyword('example');
  addFormats(ajv);
  const files = [...readdirSync(FIXTURES).filter((f) => f.endsWith('.json')), ...readdirSync(new URL('facets/', FIXTURES)).map((f) => `facets/${f}`)];
  const ids: string[] = [];
  for (const file of files) {
    const schema = JSON.parse(readFileSync(new URL(file, FIXTURES), 'utf8')) as { $id: string };
    ajv.addSchema(schema);
    ids.push(schema.$id);
  }
  const errorsOf = (schemaRef: string, value: unknown): string[] => {
    const validate = ajv.getSchema(schemaRef);
    if (!validate) return [`no vendored schema ${schemaRef}`];
    return validate(value) ? [] : (validate.errors ?? []).map((e) => `${schemaRef} ${e.instancePath || '/'} ${e.message}`);
  };

  function problems(event: Record<string, any>): string[] {
    const found = [...errorsOf(RUN_EVENT_SCHEMA, event), ...errorsOf(`${RUN_EVENT_SCHEMA}#/$defs/RunEvent`, event)];
    const containers: Array<[string, Record<string, any> | undefined]> = [
      ['run.facets', event.run?.facets],
      ['job.facets', event.job?.facets],
      ...(event.inputs ?? []).flatMap((d: any, i: number) => [
        [`inputs[${i}].facets`, d.facets],
        [`inputs[${i}].inputFacets`, d.inputFacets],
      ]),
      ...(event.outputs ?? []).flatMap((d: any, i: number) => [
        [`outputs[${i}].facets`, d.facets],
        [`outputs[${i}].outputFacets`, d.outputFacets],
      ]),
    ];
    for (const [where, facets] of containers) {
      for (const [key, facet] of Object.entries(facets ?? {})) {
        const url = String(facet?._schemaURL ?? '');
        const [id] = url.split('#');
        if (!ids.includes(id!)) {
          found.push(`${where}.${key}: _schemaURL ${url} names no vendored facet schema`);
          continue;
        }
        if (facet._producer !== event.producer) found.push(`${where}.${key}: _producer differs from the event's producer`);
        // The facet against its definition, and its key against the facet file's own property name.
        found.push(...errorsOf(url, facet).map((e) => `${where}.${key}: ${e}`));
        found.push(...errorsOf(id!, { [key]: facet }).map((e) => `${where}.${key}: ${e}`));
        const root = ajv.getSchema(id!)?.schema as { properties?: Record<string, unknown> } | undefined;
        if (!root?.properties || !(key in root.properties)) found.push(`${where}.${key}: ${id} defines no facet named "${key}"`);
      }
    }
    return found;
  }
  return { problems };
}
