import type { Ajv, SchemaValidateFunction } from 'ajv';

/** JSON text with object keys sorted: two JSON values are equal (as JSON Schema defines it) exactly when theirs are. */
function keyOf(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(keyOf).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    return `{${Object.keys(object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${keyOf(object[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const uniqueItems: SchemaValidateFunction = (schema: boolean, data: unknown[]): boolean => {
  if (!schema) return true;
  const seen = new Set<string>();
  for (let i = 0; i < data.length; i++) {
    const key = keyOf(data[i]);
    if (seen.has(key)) {
      uniqueItems.errors = [{ keyword: 'uniqueItems', message: `must NOT have duplicate items (item ${i} repeats an earlier one)`, params: { j: i } }];
      return false;
    }
    seen.add(key);
  }
  return true;
};

/**
 * `uniqueItems` in time linear in the array's size. Ajv's own compares every pair of items whose
 * type is not one scalar type: 30,000 small objects (350 KB, well inside an event) held the
 * event loop for 14 s, and a contract is anyone's to register. Here each item is written once
 * with its keys sorted and looked up in a set.
 */
export function useLinearUniqueItems(ajv: Ajv): void {
  ajv.removeKeyword('uniqueItems');
  ajv.addKeyword({ keyword: 'uniqueItems', type: 'array', schemaType: 'boolean', errors: true, validate: uniqueItems });
}
