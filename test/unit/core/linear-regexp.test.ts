import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { linearRegExp } from '../../../src/core/linear-regexp.js';

describe('linear-time regular expressions', () => {
  it('match as ECMAScript patterns do, for what contracts and rules write', () => {
    const cases: Array<[string, string[]]> = [
      ['^/', ['/home', 'home', '', '//']],
      ['^u[0-9]+$', ['u1', 'u', 'u12x', 'x1']],
      ['^[^@\\s]+@[^@\\s]+$', ['a@b', 'a b@c', '@b', 'a@']],
      ['\\p{Lu}{2,}', ['AB', 'Ab', 'ÉÉ']],
      ['^(GET|POST)$', ['GET', 'PUT', 'GETS']],
      ['colou?r', ['color', 'colour', 'colr']],
    ];
    for (const [pattern, inputs] of cases) {
      const linear = linearRegExp(pattern);
      const native = new RegExp(pattern, 'u');
      for (const input of inputs) assert.equal(linear.test(input), native.test(input), `${pattern} on ${JSON.stringify(input)}`);
    }
  });

  it('runs a backtracking pattern in linear time', () => {
    const started = Date.now();
    // 2^40 steps for a backtracking engine; the bound only tells the two apart.
    assert.equal(linearRegExp('^(a+)+$').test(`${'a'.repeat(40)}!`), false);
    assert.equal(linearRegExp('^(a|aa)*$').test(`${'a'.repeat(40)}!`), false);
    assert.ok(Date.now() - started < 5000);
  });

  it('refuses lookarounds and backreferences, and patterns that are not regular expressions, with the reason', () => {
    for (const pattern of ['(?=a)', '(?<!a)b', '(a)\\1', '(']) {
      assert.throws(() => linearRegExp(pattern), /is not a valid regular expression for the linear-time \(RE2\) engine/, pattern);
    }
  });
});
