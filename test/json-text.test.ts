/**
 * src/json-text.ts: the JSON syntax locator agrees with JSON.parse on what is JSON, points at the
 * first bad character, and describes it in fixed words (so no text of the file can be quoted).
 */
import { describe, expect, it } from 'vitest';
import { findJsonSyntaxError, parseJsonText, printable } from '../src/json-text.js';

const DOC = JSON.stringify(
  { client_id: 'abc', refresh_token: '5Aep861.x_Y-z', n: [0, -1.5e-3, 12, true, false, null], nested: { a: [{}, [], 'é\u2028 "q" \\ /'] } },
  null,
  2,
);

function prng(seed: number) {
  return () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
}

describe('findJsonSyntaxError', () => {
  it('agrees with JSON.parse on 5,000 one-character mutations of a config (null exactly when JSON.parse succeeds)', () => {
    const rnd = prng(7);
    const alphabet = ['"', ',', ':', '{', '}', '[', ']', '\\', ' ', '\n', '\u0001', 'x', '0', '-', '.', 'e', "'", 't'];
    let invalid = 0;
    const wrong: string[] = [];
    for (let k = 0; k < 5000; k++) {
      const at = Math.floor(rnd() * DOC.length);
      const op = rnd();
      const ch = alphabet[Math.floor(rnd() * alphabet.length)]!;
      const text = op < 0.33 ? DOC.slice(0, at) + DOC.slice(at + 1) : op < 0.66 ? DOC.slice(0, at) + ch + DOC.slice(at) : DOC.slice(0, at) + ch + DOC.slice(at + 1);
      let parses = true;
      try {
        JSON.parse(text);
      } catch {
        parses = false;
      }
      const found = findJsonSyntaxError(text);
      if ((found === null) !== parses || (found && (found.offset < 0 || found.offset > text.length))) wrong.push(text);
      if (found) invalid++;
    }
    expect(wrong).toEqual([]);
    expect(invalid).toBeGreaterThan(1000);
  });

  it('locates by line and column, in words that quote nothing', () => {
    const r = parseJsonText('{\n  "refresh_token": "abc"\n  "x": 1\n}');
    expect(r).toEqual({ ok: false, problem: { line: 3, column: 3, reason: "a missing ',' or '}' after a property value" } });
    expect(parseJsonText('\uFEFF{"a": 1}')).toEqual({ ok: true, value: { a: 1 } });
    expect(parseJsonText('  \n')).toMatchObject({ ok: false, problem: { reason: 'nothing but white space (the text is empty)' } });
    expect(parseJsonText('[1, 2,]')).toMatchObject({ ok: false, problem: { column: 7, reason: "a comma before ']' (JSON allows no trailing comma)" } });
  });
});

describe('printable', () => {
  it('escapes control characters (C0 but tab and newline, DEL, C1, line separators) and leaves the rest', () => {
    expect(printable('a\u001b[31mb\u0007\tc\nd\u007f\u009b\u2028é')).toBe('a\\x1b[31mb\\x07\tc\nd\\x7f\\x9b\\u2028é');
  });
});
