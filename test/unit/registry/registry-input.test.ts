import assert from 'node:assert/strict';
import { it } from 'node:test';
import { checkSubject, integersUpTo, LEVEL_PATTERN, MAX_VERSION, parseLevel, parseVersionRef, SUBJECT_PATTERN, VERSION_PATTERN } from '../../../src/registry/registry-input.js';

// The registry checks its input with the patterns the OpenAPI document gives (issue 15): these
// tests hold the patterns to what the checks took before they were patterns.

it('integersUpTo matches 1 to max and nothing else', () => {
  for (const max of [1, 7, 9, 10, 11, 99, 100, 1234, 2000]) {
    const re = new RegExp(`^${integersUpTo(max)}$`);
    for (let n = 0; n <= max + 120; n++) assert.equal(re.test(String(n)), n >= 1 && n <= max, `${n} against max ${max}`);
    assert.ok(!re.test(`0${max}`), 'no leading zeros');
  }
  const re = new RegExp(`^${integersUpTo(MAX_VERSION)}$`);
  for (const n of [1, 9, 10, 999_999_999, 1_000_000_000, 1_999_999_999, 2_000_000_000, 2_147_483_639, 2_147_483_646, 2_147_483_647]) assert.ok(re.test(String(n)), String(n));
  for (const n of [0, 2_147_483_648, 2_147_483_650, 2_147_483_700, 2_148_000_000, 2_200_000_000, 3_000_000_000, 9_999_999_999, 10_000_000_000]) assert.ok(!re.test(String(n)), String(n));
});

/** How a version segment was read before it had a pattern. */
function versionBefore(raw: string): number | 'latest' | undefined {
  const trimmed = raw.trim();
  if (trimmed.toLowerCase() === 'latest' || trimmed === '-1') return 'latest';
  const n = Number(trimmed);
  return !/^\d+$/.test(trimmed) || n < 1 || n > MAX_VERSION ? undefined : n;
}

it('a version is read as before, and the pattern takes exactly the versions the registry takes', () => {
  const pattern = new RegExp(VERSION_PATTERN, 'u');
  const spaces = [' ', '\t', '\n', '\v', '\f', '\r', '\u00a0', '\u1680', '\u2000', '\u200a', '\u2028', '\u2029', '\u202f', '\u205f', '\u3000', '\ufeff'];
  const samples = ['1', '7', '007', '0', '00', '-1', '-2', '+1', '1.0', '1e3', '0x10', '', 'latest', 'LATEST', 'LaTeSt', 'lates', 'latestt', '2147483647', '2147483648',
    '02147483647', '99999999999', '\u0661', '\uff11', ' 5', '5 ', '\u180e5', '\u001c5', '\u00855', ...spaces.map((s) => `${s}latest${s}`), ...spaces.map((s) => `${s}12`)];
  for (const raw of samples) {
    const before = versionBefore(raw);
    assert.equal(pattern.test(raw), before !== undefined, JSON.stringify(raw));
    if (before === undefined) assert.throws(() => parseVersionRef(raw), (err: Error & { code?: string }) => err.code === 'SL_SCHEMA_VERSION_INVALID');
    else assert.equal(parseVersionRef(raw), before, JSON.stringify(raw));
  }
});

it('a level is any case of a known one with white space around, ASCII letters only', () => {
  assert.equal(parseLevel(' full_transitive\n'), 'FULL_TRANSITIVE');
  assert.equal(parseLevel('Backward'), 'BACKWARD');
  // toUpperCase() read these as FORWARD_TRANSITIVE and BACKWARD_TRANSITIVE; no pattern says so.
  for (const level of ['forward_tranſitive', 'backward_transıtive', 'SIDEWAYS', '', 'NONE_']) {
    assert.ok(!new RegExp(LEVEL_PATTERN, 'u').test(level), level);
    assert.throws(() => parseLevel(level), (err: Error & { code?: string }) => err.code === 'SL_SCHEMA_COMPATIBILITY_INVALID');
  }
});

it('a subject is 1 to 255 characters counted as the document counts them (code points), without control characters', () => {
  const pattern = new RegExp(SUBJECT_PATTERN, 'u');
  for (const subject of ['a', 'a'.repeat(255), '😀'.repeat(255), 'web.page_view', 'x y/z']) {
    assert.ok(pattern.test(subject));
    assert.doesNotThrow(() => checkSubject(subject));
  }
  for (const subject of ['', 'a'.repeat(256), '😀'.repeat(256), 'a\u0000', 'a\u001f', 'a\u007f']) {
    assert.ok(!pattern.test(subject));
    assert.throws(() => checkSubject(subject), (err: Error & { code?: string }) => err.code === 'SL_SCHEMA_SUBJECT_INVALID');
  }
});
