import avro from 'avsc';

/** Whether a value of this type can take no bytes at all in Avro's binary encoding. */
function takesNoBytes(type: avro.Type, seen: Set<avro.Type>): boolean {
  if (type instanceof avro.types.LogicalType) return takesNoBytes(type.underlyingType, seen);
  if (type instanceof avro.types.NullType) return true;
  if (type instanceof avro.types.FixedType) return type.size === 0;
  if (type instanceof avro.types.RecordType) {
    // A record that contains itself cannot be written at all without a union, which takes a byte.
    if (seen.has(type)) return false;
    seen.add(type);
    const result = type.fields.every((field) => takesNoBytes(field.type, seen));
    seen.delete(type);
    return result;
  }
  return false;
}

/**
 * The path of an array whose items take no bytes (null, an empty record, fixed of size 0), or
 * null. Such an array is a decompression bomb: its block count is all the payload says, so seven
 * bytes decode to fifty million items (800 MB, 2.4 s measured) and a larger count to a crash.
 */
export function zeroByteItemArray(type: avro.Type): string | null {
  const visited = new Set<avro.Type>();
  const walk = (t: avro.Type, path: string): string | null => {
    if (visited.has(t)) return null;
    visited.add(t);
    if (t instanceof avro.types.LogicalType) return walk(t.underlyingType, path);
    if (t instanceof avro.types.ArrayType) return takesNoBytes(t.itemsType, new Set()) ? path : walk(t.itemsType, `${path}[]`);
    if (t instanceof avro.types.MapType) return walk(t.valuesType, `${path}{}`);
    if (t instanceof avro.types.UnwrappedUnionType || t instanceof avro.types.WrappedUnionType) {
      for (const branch of t.types) {
        const found = walk(branch, path);
        if (found) return found;
      }
      return null;
    }
    if (t instanceof avro.types.RecordType) {
      for (const field of t.fields) {
        const found = walk(field.type, `${path}/${field.name}`);
        if (found) return found;
      }
    }
    return null;
  };
  return walk(type, '');
}
