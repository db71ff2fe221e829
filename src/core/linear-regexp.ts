import { RE2JS } from 're2js';

/** What the platform needs of a regular expression: a match anywhere in the string, as RegExp.test. */
export interface LinearRegExp {
  test(input: string): boolean;
}

/**
 * A regular expression that matches in time linear in its input, whatever the pattern: RE2's
 * automaton (re2js) instead of a backtracking engine. Patterns come from whoever registers a
 * contract or writes a quality rule, and a backtracking pattern such as `^(a+)+$` let one
 * 28-character string block the event loop for seconds. RE2 takes the JSON Schema / ECMAScript
 * patterns people write (classes, quantifiers, anchors, alternation, \p{…}) but not lookarounds or
 * backreferences, which cannot be matched in linear time: those are refused with the reason.
 */
export function linearRegExp(pattern: string): LinearRegExp {
  let re2: LinearRegExp;
  try {
    re2 = RE2JS.compile(pattern);
  } catch (err) {
    throw new Error(
      `pattern ${JSON.stringify(pattern)} is not a valid regular expression for the linear-time (RE2) engine: ${(err as Error).message} (lookarounds and backreferences are not supported)`,
    );
  }
  // A pattern without a quantifier only matches strings as long as itself, so a backtracking
  // engine is linear on it too, and V8's is about ten times faster than re2js on the patterns
  // contracts use most (`^/`). RE2 has checked it first, so the set refused stays the same.
  if (!QUANTIFIER.test(pattern)) {
    try {
      return new RegExp(pattern, 'u');
    } catch {
      // RE2 took a pattern ECMAScript does not: RE2 it is.
    }
  }
  return re2;
}

/** Any character that can be or begin a quantifier (escaped or in a class too: a conservative test). */
const QUANTIFIER = /[*+?{]/;

/** linearRegExp as Ajv's `code.regExp` engine: JSON Schema `pattern` and `patternProperties` run on it. */
export const ajvLinearRegExp = Object.assign((pattern: string) => linearRegExp(pattern), { code: 'linearRegExp' });
