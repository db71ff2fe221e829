// Pieces of regular expressions that the OpenAPI document gives as patterns and the server checks
// with: spelled without \s, \d or flags, so a pattern means the same in any engine (a client's
// validator, a fuzzer's generator written in Python) as in JavaScript.

/** The characters String.prototype.trim() removes (JavaScript's white space and line terminators), for use in a character class. */
export const JS_SPACE = '\\t-\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff';

/** A word in any mix of ASCII upper and lower case. */
export function anyCase(word: string): string {
  return word.replace(/[A-Za-z]/g, (c) => `[${c.toUpperCase()}${c.toLowerCase()}]`);
}
