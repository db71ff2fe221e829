/**
 * A simple query's text cut into its statements at the semicolons outside quotes, dollar quotes
 * and comments, as Postgres runs them one after another. Empty statements are kept out, except
 * that a text of nothing but blanks is one empty statement (EmptyQueryResponse).
 */
export function splitStatements(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    const next = text[i + 1];
    if (c === "'" || c === '"') {
      // '' and "" inside are the quote itself; E'…' strings escape with a backslash.
      const escapes = c === "'" && i > 0 && /[eE]/.test(text[i - 1]!) && (i === 1 || !/[A-Za-z0-9_]/.test(text[i - 2]!));
      i++;
      while (i < n) {
        if (escapes && text[i] === '\\') i += 2;
        else if (text[i] === c && text[i + 1] === c) i += 2;
        else if (text[i] === c) break;
        else i++;
      }
      i++;
    } else if (c === '-' && next === '-') {
      while (i < n && text[i] !== '\n') i++;
    } else if (c === '/' && next === '*') {
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (text[i] === '/' && text[i + 1] === '*') (depth++, (i += 2));
        else if (text[i] === '*' && text[i + 1] === '/') (depth--, (i += 2));
        else i++;
      }
    } else if (c === '$' && (i === 0 || !/[A-Za-z0-9_]/.test(text[i - 1]!))) {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(text.slice(i));
      if (tag) {
        const end = text.indexOf(tag[0], i + tag[0].length);
        i = end < 0 ? n : end + tag[0].length;
      } else i++;
    } else if (c === ';') {
      out.push(text.slice(start, i));
      i++;
      start = i;
    } else i++;
  }
  out.push(text.slice(start));
  const statements = out.filter((s) => !isBlank(s));
  return statements.length === 0 ? [''] : statements;
}

/** Whether a statement holds nothing but blanks and comments. */
export function isBlank(statement: string): boolean {
  return statement.replace(/--[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '').trim() === '';
}

/** What a session answers itself: settings, transactions and the like, which never reach the engine. */
export type SessionCommand =
  | { kind: 'set'; name: string; value: string }
  | { kind: 'reset'; name: string }
  | { kind: 'show'; name: string }
  | { kind: 'tag'; tag: string; transaction?: 'begin' | 'end' };

const TAGS: Array<[RegExp, string, ('begin' | 'end')?]> = [
  [/^(begin|start\s+transaction)\b/i, 'BEGIN', 'begin'],
  [/^(commit|end)\b/i, 'COMMIT', 'end'],
  [/^(rollback|abort)\b/i, 'ROLLBACK', 'end'],
  [/^discard\b/i, 'DISCARD ALL'],
  [/^deallocate\b/i, 'DEALLOCATE'],
  [/^close\b/i, 'CLOSE CURSOR'],
  [/^unlisten\b/i, 'UNLISTEN'],
];

const unquote = (value: string): string => value.trim().replace(/^'(.*)'$/s, (_, v: string) => v.replaceAll("''", "'")).replace(/^"(.*)"$/s, '$1');

/** The session command a statement is, or undefined for one the engine runs. */
export function sessionCommand(statement: string): SessionCommand | undefined {
  const text = statement.replace(/^(\s|--[^\n]*\n|\/\*[\s\S]*?\*\/)+/, '').trim();
  let m = /^set\s+(?:session\s+|local\s+)?(?:time\s+zone)\s+(.+)$/is.exec(text);
  if (m) return { kind: 'set', name: 'timezone', value: unquote(m[1]!) };
  m = /^set\s+(?:session\s+|local\s+)?([A-Za-z_][\w.]*)\s*(?:=|\s+to\s+)\s*(.+)$/is.exec(text);
  if (m) return { kind: 'set', name: m[1]!.toLowerCase(), value: unquote(m[2]!.replace(/\s*,\s*/g, ', ')) };
  if (/^set\s+(session\s+characteristics|transaction)\b/i.test(text)) return { kind: 'tag', tag: 'SET' };
  m = /^reset\s+([A-Za-z_][\w.]*|all)$/i.exec(text);
  if (m) return { kind: 'reset', name: m[1]!.toLowerCase() };
  m = /^show\s+([A-Za-z_][\w.]*|all|transaction\s+isolation\s+level|time\s+zone)$/i.exec(text);
  if (m) return { kind: 'show', name: m[1]!.toLowerCase().replace(/\s+/g, ' ') };
  for (const [pattern, tag, transaction] of TAGS) if (pattern.test(text)) return { kind: 'tag', tag, ...(transaction && { transaction }) };
  return undefined;
}
