/**
 * The subject naming strategy: an event's contract is the subject `<source>.<type>`
 * (`web.page_view`), much as Confluent's RecordNameStrategy names a subject after the record.
 * Source and type may themselves contain dots, so `a.b` + `c` and `a` + `b.c` share a subject;
 * name a schema id in `metadata.schemaId` to be explicit.
 */
export function subjectFor(source: string, type: string): string {
  return `${source}.${type}`;
}
