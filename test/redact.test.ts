/**
 * The Redactor: whole secrets in every form a text carries them, and `clip`, the one way a text
 * from outside is quoted: redacted whole, every 6-character piece of a secret masked, THEN cut.
 * Expected texts are written out by hand.
 */
import { describe, expect, it } from 'vitest';
import { Redactor } from '../src/redact.js';
import { leakedPieces } from './helpers/secrets.js';

const M = '**********';

function redactor(...secrets: string[]): Redactor {
  const r = new Redactor();
  for (const s of secrets) r.add(s);
  return r;
}

describe('redact: a whole secret in each form', () => {
  const r = redactor('Ab3/Cd+Ef"Gh\\Ij!Kl');
  it.each([
    ['as it is', 'x Ab3/Cd+Ef"Gh\\Ij!Kl y'],
    ['URL-encoded', 'x Ab3%2FCd%2BEf%22Gh%5CIj!Kl y'],
    ['URL-encoded, lower-case hex', 'x Ab3%2fCd%2bEf%22Gh%5cIj!Kl y'],
    ['form-encoded (! as %21)', 'x Ab3%2FCd%2BEf%22Gh%5CIj%21Kl y'],
    ['JSON-escaped', 'x Ab3/Cd+Ef\\"Gh\\\\Ij!Kl y'],
    ['JSON-escaped as PHP writes it (\\/)', 'x Ab3\\/Cd+Ef\\"Gh\\\\Ij!Kl y'],
  ])('%s', (_n, text) => {
    expect(r.redact(text)).toBe(`x ${M} y`);
  });

  it('a Bearer token nobody registered', () => {
    expect(new Redactor().redact('authorization: Bearer 00Dxx!AQ.abc123456')).toBe('authorization: Bearer **********');
  });

  it('ignores values too short to be secrets (and no value at all), and leaves text without secrets alone', () => {
    const r2 = redactor('abc', '');
    r2.add(undefined);
    r2.add(null);
    expect(r2.redact('abc abcdef')).toBe('abc abcdef');
    expect(r2.clip('abc abcdef', 100)).toBe('abc abcdef');
  });
});

describe('clip: redact, mask pieces, then cut', () => {
  const SECRET = 'Zq8Wm4Tx2Rv6';
  const r = redactor(SECRET);

  it('a text shorter than the cut: the secret masked, nothing cut', () => {
    expect(r.clip(`token ${SECRET} refused`, 100)).toBe(`token ${M} refused`);
  });

  it('a secret quoted across the cut leaves no head: masked first, the mark is cut', () => {
    // 'refused: ' is 9 characters; the cut at 12 falls 3 characters into the secret.
    expect(r.clip(`refused: ${SECRET} and more`, 12)).toBe('refused: ***…');
  });

  it('a piece of a secret the server itself cut short is masked too', () => {
    expect(r.clip('token Zq8Wm4T… refused', 100)).toBe(`token ${M}… refused`);
    expect(r.clip('ends with x2Rv6 and Tx2Rv6', 100)).toBe(`ends with x2Rv6 and ${M}`);
  });

  it('overlapping and adjacent pieces become one mark; separate ones stay apart', () => {
    expect(r.clip('<Wm4Tx2Rv6>', 100)).toBe(`<${M}>`);
    expect(r.clip('Zq8Wm4-Tx2Rv6', 100)).toBe(`${M}-${M}`);
  });

  it('cuts at max characters and says so; never splits a surrogate pair', () => {
    expect(r.clip('abcdefghij', 5)).toBe('abcde…');
    expect(r.clip('abcd😀fgh', 5)).toBe('abcd…');
    expect(r.clip('abcde', 5)).toBe('abcde');
  });

  it('at every offset around the cut, in each form, no 6-character piece survives', () => {
    const s = 'Ab3/Cd+Ef"Gh\\Ij!Kl';
    const rr = redactor(s);
    const forms = [s, encodeURIComponent(s), JSON.stringify(s).slice(1, -1)];
    let checked = 0;
    for (const f of forms) {
      for (let offset = 0; offset <= 45; offset++) {
        const out = rr.clip(`${'.'.repeat(offset)}${f} tail`, 40);
        expect(leakedPieces(out, [s]), `form ${f} at ${offset}: ${out}`).toEqual([]);
        checked++;
      }
    }
    expect(checked).toBe(138);
  });

  it('a secret made of the mark\'s own characters cannot meet a mark: the text is withheld', () => {
    const odd = redactor('ab******');
    expect(odd.clip('xx ab**** yy', 100)).toBe('(text withheld: it quoted a piece of a secret)');
  });

  it('a secret registered later is masked in later clips', () => {
    const later = new Redactor();
    expect(later.clip('rotated 5Aep861Rq7Lk', 100)).toBe('rotated 5Aep861Rq7Lk');
    later.add('5Aep861Rq7Lk');
    expect(later.clip('rotated 5Aep861Rq7Lk', 100)).toBe(`rotated ${M}`);
  });
});

describe('redact and clip at their edges', () => {
  it('a secret of exactly six characters is one, a Bearer token after any run of spaces is masked', () => {
    expect(redactor('Ab3dE9').redact('key Ab3dE9.')).toBe(`key ${M}.`);
    expect(redactor('Ab3dE').redact('key Ab3dE.')).toBe('key Ab3dE.');
    expect(new Redactor().redact('Bearer \t 00Dxx!AQ.abc123456 next')).toBe('Bearer ********** next');
    expect(new Redactor().redact('Bearer short')).toBe('Bearer short');
  });

  it('a secret that holds another one is masked whole, not around the shorter one', () => {
    const r = redactor('Tok3nAbc', 'Tok3nAbcXYZ9');
    expect(r.redact('a Tok3nAbcXYZ9 b Tok3nAbc c')).toBe(`a ${M} b ${M} c`);
    const reversed = redactor('Tok3nAbcXYZ9', 'Tok3nAbc');
    expect(reversed.redact('a Tok3nAbcXYZ9 b')).toBe(`a ${M} b`);
  });

  it.each([
    ['form-encoded, a space as +', 'Ab c/Def~gh', 'x Ab+c%2FDef%7Egh y'],
    ['URL-encoded, a space as %20', 'Ab c/Def~gh', 'x Ab%20c%2FDef~gh y'],
    ['form-encoded with lower-case hex', 'Ab c/Def~gh', 'x Ab+c%2fDef%7egh y'],
    ['JSON-escaped as PHP writes non-ASCII (\\u00fc)', 'Grüße/Tok3n', 'x Gr\\u00fc\\u00dfe\\/Tok3n y'],
    ['JSON-escaped with a line break', 'Ab\ncdefgh', 'x Ab\\ncdefgh y'],
  ])('%s', (_n, secret, text) => {
    expect(redactor(secret).redact(text)).toBe(`x ${M} y`);
  });

  it('a text of exactly one piece is masked; adjacent pieces of two places in a secret make one mark', () => {
    const r = redactor('Zq8Wm4Tx2Rv6');
    expect(r.clip('Zq8Wm4', 100)).toBe(M);
    expect(r.clip('<Tx2Rv6Zq8Wm4>', 100)).toBe(`<${M}>`);
    expect(r.clip('Zq8Wm', 100)).toBe('Zq8Wm');
  });

  it('a mark that makes a piece of a secret at the very end of the text still withholds it', () => {
    // 'ABCDEF' (of the first secret) is masked; the mark and 'zz' then spell '****zz', the second.
    expect(redactor('ABCDEFGH', '****zz').clip('ABCDEFzz', 100)).toBe('(text withheld: it quoted a piece of a secret)');
  });

  it('cuts before a high surrogate at the cut (U+D800 and U+DBFF too), but keeps any other character', () => {
    const r = new Redactor();
    expect(r.clip('abcd\u{10000}xyz', 5)).toBe('abcd…');
    expect(r.clip('abcd\u{10FC00}xyz', 5)).toBe('abcd…');
    expect(r.clip('abcd\uFF76fgh', 5)).toBe('abcd\uFF76…');
    expect(r.clip('abc\u{1F600}fgh', 5)).toBe('abc\u{1F600}…');
  });
});
