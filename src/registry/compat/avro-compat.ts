import type { Type } from 'avsc';
import type { Incompatibility, RoleLabels } from './incompatibility.js';

const PROMOTIONS: Record<string, readonly string[]> = {
  int: ['long', 'float', 'double'],
  long: ['float', 'double'],
  float: ['double'],
  string: ['bytes'],
  bytes: ['string'],
};

/**
 * Avro schema resolution as the specification states it and Avro's Java SchemaCompatibility
 * checks it: can `reader` read data written with `writer`? Every problem is reported, each at a
 * JSON pointer into the reader schema, with the kinds Java uses (so Confluent users see the same
 * words). Recursive types are taken as compatible when a pair recurs while being checked.
 */
export function avroReadProblems(reader: Type, writer: Type, labels: RoleLabels): Incompatibility[] {
  const problems: Incompatibility[] = [];
  const inProgress = new Map<Type, Set<Type>>();
  check(reader, writer, '', problems, inProgress, labels);
  return problems;
}

function check(r: Type, w: Type, path: string, out: Incompatibility[], inProgress: Map<Type, Set<Type>>, labels: RoleLabels): void {
  const seen = inProgress.get(r) ?? new Set<Type>();
  if (seen.has(w)) return;
  seen.add(w);
  inProgress.set(r, seen);
  try {
    checkPair(r, w, path, out, inProgress, labels);
  } finally {
    seen.delete(w);
  }
}

function kind(t: Type): string {
  const name = t.typeName;
  if (name.startsWith('union')) return 'union';
  if (name.startsWith('logical:')) return kind((t as unknown as { underlyingType: Type }).underlyingType);
  return name;
}

function checkPair(r: Type, w: Type, path: string, out: Incompatibility[], inProgress: Map<Type, Set<Type>>, labels: RoleLabels): void {
  const rk = kind(r);
  const wk = kind(w);
  if (rk === wk) {
    switch (rk) {
      case 'array':
        return check(items(r), items(w), `${path}/items`, out, inProgress, labels);
      case 'map':
        return check(values(r), values(w), `${path}/values`, out, inProgress, labels);
      case 'fixed': {
        checkName(r, w, path, out);
        const rs = (r as unknown as { size: number }).size;
        const ws = (w as unknown as { size: number }).size;
        if (rs !== ws) {
          out.push({
            errorType: 'FIXED_SIZE_MISMATCH',
            path: `${path}/size`,
            description: `The size of FIXED type field at path '${pointer(path, 'size')}' in the ${labels.reader} schema does not match with the ${labels.writer} schema`,
            additionalInfo: `expected: ${ws}, found: ${rs}`,
          });
        }
        return;
      }
      case 'enum': {
        checkName(r, w, path, out);
        const readerSymbols = new Set(symbols(r));
        const missing = symbols(w).filter((s) => !readerSymbols.has(s)).sort();
        const readerDefault = (r as unknown as { default?: string }).default;
        if (missing.length > 0 && !(readerDefault !== undefined && readerSymbols.has(readerDefault))) {
          out.push({
            errorType: 'MISSING_ENUM_SYMBOLS',
            path: `${path}/symbols`,
            description: `The ${labels.reader} schema is missing enum symbols '[${missing.join(', ')}]' at path '${pointer(path, 'symbols')}' in the ${labels.writer} schema`,
            additionalInfo: `[${missing.join(', ')}]`,
          });
        }
        return;
      }
      case 'record':
        return checkRecord(r, w, path, out, inProgress, labels);
      case 'union': {
        const writerBranches = branches(w);
        writerBranches.forEach((branch, k) => {
          if (!readsAny(r, branch, inProgress, labels)) {
            out.push(missingBranch(`${path}/${k}`, branch, labels));
          }
        });
        return;
      }
      default:
        return; // primitives of the same type
    }
  }
  if (wk === 'union') {
    branches(w).forEach((branch, k) => check(r, branch, `${path}/${k}`, out, inProgress, labels));
    return;
  }
  if (rk === 'union') {
    if (!readsAny(r, w, inProgress, labels)) out.push(missingBranch(path, w, labels));
    return;
  }
  if (PROMOTIONS[wk]?.includes(rk)) return;
  out.push({
    errorType: 'TYPE_MISMATCH',
    path,
    description: `The type (path '${pointer(path)}') of a field in the ${labels.reader} schema does not match with the ${labels.writer} schema`,
    additionalInfo: `reader type: ${rk.toUpperCase()} not compatible with writer type: ${wk.toUpperCase()}`,
  });
}

function checkRecord(r: Type, w: Type, path: string, out: Incompatibility[], inProgress: Map<Type, Set<Type>>, labels: RoleLabels): void {
  checkName(r, w, path, out);
  const writerFields = fields(w);
  fields(r).forEach((rf, i) => {
    // The exact name first, then the reader's aliases in order, as Avro's Java lookup does.
    const wf = [rf.name, ...(rf.aliases ?? [])].map((n) => writerFields.find((f) => f.name === n)).find((f) => f !== undefined);
    if (wf) {
      check(rf.type, wf.type, `${path}/fields/${i}/type`, out, inProgress, labels);
    } else if (rf.defaultValue() === undefined) {
      out.push({
        errorType: 'READER_FIELD_MISSING_DEFAULT_VALUE',
        path: `${path}/fields/${i}`,
        description: `The field '${rf.name}' at path '${pointer(path, 'fields', i)}' in the ${labels.reader} schema has no default value and is missing in the ${labels.writer} schema`,
        additionalInfo: rf.name,
      });
    }
  });
}

/** Names match unqualified (as current Avro Java compares them), or by one of the reader's aliases. */
function checkName(r: Type, w: Type, path: string, out: Incompatibility[]): void {
  const rName = r.name ?? '';
  const wName = w.name ?? '';
  if (unqualified(rName) === unqualified(wName)) return;
  const aliases = (r as unknown as { aliases?: string[] }).aliases ?? [];
  if (aliases.includes(wName) || aliases.map(unqualified).includes(unqualified(wName))) return;
  out.push({
    errorType: 'NAME_MISMATCH',
    path: `${path}/name`,
    description: `The name of the schema has changed (path '${pointer(path, 'name')}')`,
    additionalInfo: `expected: ${wName}`,
  });
}

function readsAny(readerUnion: Type, writer: Type, inProgress: Map<Type, Set<Type>>, labels: RoleLabels): boolean {
  return branches(readerUnion).some((branch) => {
    const probe: Incompatibility[] = [];
    check(branch, writer, '', probe, inProgress, labels);
    return probe.length === 0;
  });
}

function missingBranch(path: string, writerBranch: Type, labels: RoleLabels): Incompatibility {
  return {
    errorType: 'MISSING_UNION_BRANCH',
    path,
    description: `The ${labels.reader} schema is missing a type inside a union field at path '${pointer(path)}' in the ${labels.writer} schema`,
    additionalInfo: `reader union lacking writer type: ${kind(writerBranch).toUpperCase()}`,
  };
}

function pointer(path: string, ...more: Array<string | number>): string {
  const full = [path, ...more.map(String)].join('/');
  return full === '' ? '/' : full.startsWith('/') ? full : `/${full}`;
}

const unqualified = (name: string): string => name.slice(name.lastIndexOf('.') + 1);
const items = (t: Type): Type => (t as unknown as { itemsType: Type }).itemsType;
const values = (t: Type): Type => (t as unknown as { valuesType: Type }).valuesType;
const symbols = (t: Type): string[] => (t as unknown as { symbols: string[] }).symbols;
const branches = (t: Type): Type[] => (t as unknown as { types: Type[] }).types;
interface AvroField {
  name: string;
  type: Type;
  aliases?: string[];
  defaultValue(): unknown;
}
const fields = (t: Type): AvroField[] => (t as unknown as { fields: AvroField[] }).fields;
