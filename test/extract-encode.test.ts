/**
 * The string path's row encoder (src/extract/encode.ts, compileRowEncoder), cell by cell: the
 * conversion rules its header comment documents (Integer, Number, Boolean, Date, DateTime, Multi),
 * what a cell that does not convert becomes, constants without columns, and the fall-back hour of
 * the window's cursor column at the window's exact edges. Every expected line is written by hand.
 */
import { describe, expect, it } from 'vitest';
import { ConnectorError } from '../src/errors.js';
import { compileRowEncoder, type RowEncoder } from '../src/extract/encode.js';
import { BatchNotes } from '../src/extract/notes.js';
import type { ExtractWindow } from '../src/extract/types.js';
import type { FieldDef, PardotType } from '../src/streams.js';

const SRC = { stream: 'prospects', exportId: 'exp-7', file: 'file-1' };
/** The wire's multi-value rule, written here by hand (MULTI_VALUE_CELL's values). */
const MV = { separator: ';', jsonArray: true };
const TZ = 'America/New_York';

/** An encoder of one column `v` of the given type. */
function one(type: PardotType, extra: { invalidValues?: 'null' | 'fail' } = {}): RowEncoder {
  return compileRowEncoder([{ name: 'v', type }], ['v'], TZ, SRC, { multiValue: MV, ...extra });
}

/** Each cell's line through a one-column encoder of `type`, and the notes they made. */
function cells(type: PardotType, values: string[]): { lines: string[]; notes: object } {
  const enc = one(type);
  const notes = new BatchNotes();
  const lines = values.map((c, i) => enc([c], i + 2, notes));
  return { lines, notes: notes.attach({}) };
}

const invalid = (type: PardotType, count: number, example: string) => ({ invalid: { v: { type, count, example } } });

describe('Integer cells: -?digits, leading zeros stripped, -0 is 0', () => {
  it('keeps plain integers as written, with their sign and inner zeros', () => {
    expect(cells('Integer', ['0', '5', '-5', '10', '-10', '100', '1005', '9007199254740993']).lines).toEqual([
      '{"v":0}',
      '{"v":5}',
      '{"v":-5}',
      '{"v":10}',
      '{"v":-10}',
      '{"v":100}',
      '{"v":1005}',
      '{"v":9007199254740993}',
    ]);
  });

  it('strips leading zeros, keeping one digit, and keeps the sign of a non-zero value', () => {
    expect(cells('Integer', ['007', '-007', '0012', '-0012', '00', '000', '0000', '-01']).lines).toEqual([
      '{"v":7}',
      '{"v":-7}',
      '{"v":12}',
      '{"v":-12}',
      '{"v":0}',
      '{"v":0}',
      '{"v":0}',
      '{"v":-1}',
    ]);
  });

  it('writes a negative zero as 0, however many zeros it has', () => {
    expect(cells('Integer', ['-0', '-00', '-000']).lines).toEqual(['{"v":0}', '{"v":0}', '{"v":0}']);
  });

  it('refuses a lone sign, a plus sign, a second sign and any other character: null, noted', () => {
    const got = cells('Integer', ['-', '+1', '--1', '12a', '1.0', ' 1']);
    expect(got.lines).toEqual(['{"v":null}', '{"v":null}', '{"v":null}', '{"v":null}', '{"v":null}', '{"v":null}']);
    expect(got.notes).toEqual(invalid('Integer', 6, '-'));
  });

  it('an Integer cell holding the zero date is a bad value, not a zero date (that rule is for Date and DateTime)', () => {
    const got = cells('Integer', ['0000-00-00']);
    expect(got.lines).toEqual(['{"v":null}']);
    expect(got.notes).toEqual(invalid('Integer', 1, '0000-00-00'));
    expect(() => one('Integer', { invalidValues: 'fail' })(['0000-00-00'], 4, null)).toThrow(ConnectorError);
  });
});

describe('Number cells: -?digits[.digits][e[+-]digits], as Pardot writes them', () => {
  it('keeps the digits as written (12.50 stays 12.50), with exponents of any sign and length', () => {
    expect(cells('Number', ['12.50', '-1.5', '100.5', '1e5', '1e+5', '2E-3', '1e10', '-2.5e-12']).lines).toEqual([
      '{"v":12.50}',
      '{"v":-1.5}',
      '{"v":100.5}',
      '{"v":1e5}',
      '{"v":1e+5}',
      '{"v":2E-3}',
      '{"v":1e10}',
      '{"v":-2.5e-12}',
    ]);
  });

  it("strips the integer part's leading zeros, keeping one digit", () => {
    expect(cells('Number', ['007.25', '-007.25', '00.5', '1005.0', '0.5']).lines).toEqual(['{"v":7.25}', '{"v":-7.25}', '{"v":0.5}', '{"v":1005.0}', '{"v":0.5}']);
  });

  it('writes .5 as 0.5 and 5. as 5 (JSON numbers need a digit before and after the point)', () => {
    expect(cells('Number', ['.5', '-.5', '5.', '-5.']).lines).toEqual(['{"v":0.5}', '{"v":-0.5}', '{"v":5}', '{"v":-5}']);
  });

  it('keeps the sign of a value with a non-zero digit on either side of the point', () => {
    expect(cells('Number', ['-0.5', '-1.0', '-10.00', '-0.01']).lines).toEqual(['{"v":-0.5}', '{"v":-1.0}', '{"v":-10.00}', '{"v":-0.01}']);
  });

  it('writes a negative zero without its sign, as Integer does with -0', () => {
    expect(cells('Number', ['-0', '-0.0', '-00.00', '-.0', '-0.', '-0e5']).lines).toEqual(['{"v":0}', '{"v":0.0}', '{"v":0.00}', '{"v":0.0}', '{"v":0}', '{"v":0e5}']);
  });

  it('refuses a number without digits, an exponent without digits, and other text: null, noted', () => {
    const got = cells('Number', ['.', '-', '-.', 'e5', '1e', '1e+', '1.2.3', 'abc', '+1']);
    expect(got.lines).toEqual(Array(9).fill('{"v":null}'));
    expect(got.notes).toEqual(invalid('Number', 9, '.'));
  });
});

describe('Boolean cells: true/false/1/0, any case', () => {
  it('reads the four forms in any case', () => {
    expect(cells('Boolean', ['true', 'false', '1', '0', 'TRUE', 'False', 'tRuE', 'FALSE']).lines).toEqual([
      '{"v":true}',
      '{"v":false}',
      '{"v":true}',
      '{"v":false}',
      '{"v":true}',
      '{"v":false}',
      '{"v":true}',
      '{"v":false}',
    ]);
  });

  it('refuses anything else (yes, t, 2, padded): null, noted', () => {
    const got = cells('Boolean', ['yes', 't', '2', ' true']);
    expect(got.lines).toEqual(['{"v":null}', '{"v":null}', '{"v":null}', '{"v":null}']);
    expect(got.notes).toEqual(invalid('Boolean', 4, 'yes'));
  });
});

describe('Date cells: a real day, with or without a time, as the date alone', () => {
  it('accepts the first and last day of the year and of a month', () => {
    expect(cells('Date', ['2024-01-01', '2024-12-31', '2024-02-29', '2023-02-28', '2024-04-30']).lines).toEqual([
      '{"v":"2024-01-01"}',
      '{"v":"2024-12-31"}',
      '{"v":"2024-02-29"}',
      '{"v":"2023-02-28"}',
      '{"v":"2024-04-30"}',
    ]);
  });

  it('drops a time, with or without a fraction of any length', () => {
    expect(cells('Date', ['2024-01-15 10:00:00', '2024-01-15T10:00:00.5', '2024-01-15 10:00:00.123', '2024-01-15T23:59:59.123456']).lines).toEqual([
      '{"v":"2024-01-15"}',
      '{"v":"2024-01-15"}',
      '{"v":"2024-01-15"}',
      '{"v":"2024-01-15"}',
    ]);
  });

  it('refuses day 00, month 00, month 13 and a day past the month: null, noted', () => {
    const got = cells('Date', ['2024-01-00', '2024-00-10', '2024-13-01', '2024-02-30', '2023-02-29', '2024-06-31']);
    expect(got.lines).toEqual(Array(6).fill('{"v":null}'));
    expect(got.notes).toEqual(invalid('Date', 6, '2024-01-00'));
  });

  it('refuses text before or after the date, and a time cut short', () => {
    const got = cells('Date', ['x2024-01-15', ' 2024-01-15', '2024-01-15x', '2024-01-15 10:00', '2024-01-15 10:00:00.', '12024-01-15']);
    expect(got.lines).toEqual(Array(6).fill('{"v":null}'));
    expect(got.notes).toEqual(invalid('Date', 6, 'x2024-01-15'));
  });

  it('the zero date is "no date": null, counted as a zero date, also in fail mode', () => {
    const got = cells('Date', ['0000-00-00', '0000-00-00 00:00:00']);
    expect(got.lines).toEqual(['{"v":null}', '{"v":null}']);
    expect(got.notes).toEqual({ zeroDates: { v: 2 } });
    expect(one('Date', { invalidValues: 'fail' })(['0000-00-00'], 3, null)).toBe('{"v":null}');
  });
});

describe('Multi cells: a JSON array of strings, or values joined by the separator', () => {
  it('splits on the separator, dropping empty pieces; reads a JSON array as it is', () => {
    expect(cells('Multi', ['a;b', 'one', ';a;;b;', '["x","y;z"]', 'a b; c']).lines).toEqual([
      '{"v":["a","b"]}',
      '{"v":["one"]}',
      '{"v":["a","b"]}',
      '{"v":["x","y;z"]}',
      '{"v":["a b"," c"]}',
    ]);
  });

  it('a cell holding no value (only separators, an empty JSON array) is null, and not a bad value', () => {
    const got = cells('Multi', [';', ';;', '[]']);
    expect(got.lines).toEqual(['{"v":null}', '{"v":null}', '{"v":null}']);
    expect(got.notes).toEqual({});
  });
});

describe('the row: keys in header order, constants after the columns', () => {
  it('a header holding none of the requested columns gives the constants alone, inside the frame', () => {
    const enc = compileRowEncoder([], ['id', 'x'], TZ, SRC, { multiValue: MV, constants: { isDeleted: true } });
    expect(enc(['1', 'y'], 2, null)).toBe('{"isDeleted":true}');
    const framed = compileRowEncoder([], ['id'], TZ, SRC, { multiValue: MV, constants: { isDeleted: true, n: 2 }, frame: { head: '<', tail: '>\n' } });
    expect(framed(['1'], 2, null)).toBe('<{"isDeleted":true,"n":2}>\n');
    const bare = compileRowEncoder([], ['id'], TZ, SRC, { multiValue: MV });
    expect(bare(['1'], 2, null)).toBe('{}');
  });

  it('one column of each type, converted in one row, constants last', () => {
    const fields: FieldDef[] = [
      { name: 'i', type: 'Integer' },
      { name: 'n', type: 'Number' },
      { name: 'b', type: 'Boolean' },
      { name: 'd', type: 'Date' },
      { name: 't', type: 'DateTime' },
      { name: 'm', type: 'Multi' },
      { name: 's', type: 'String' },
    ];
    const enc = compileRowEncoder(fields, ['s', 'i', 'n', 'b', 'd', 't', 'm'], TZ, SRC, { multiValue: MV, constants: { isDeleted: true } });
    expect(enc(['q"x', '-007', '-0.50', 'TRUE', '2024-07-01 08:30:00', '2024-07-01 08:30:00', 'a;b'], 2, null)).toBe(
      '{"s":"q\\"x","i":-7,"n":-0.50,"b":true,"d":"2024-07-01","t":"2024-07-01T08:30:00-04:00","m":["a","b"],"isDeleted":true}',
    );
  });
});

/**
 * 01:30 on 2024-11-03 in America/New_York happens twice: 05:30Z (EDT, -04:00, the earlier) and
 * 06:30Z (EST, -05:00). The window is half-open [start, end).
 */
describe('the fall-back hour of the cursor column, at the edges of the window', () => {
  const EDT = '"2024-11-03T01:30:00-04:00"';
  const EST = '"2024-11-03T01:30:00-05:00"';
  const WALL = '2024-11-03 01:30:00';
  const A = Date.UTC(2024, 10, 3, 5, 30); // the EDT reading
  const B = Date.UTC(2024, 10, 3, 6, 30); // the EST reading

  /** The cursor column `u` alone, read with the window [start, end): its line and whether it was noted. */
  function cursor(start: number, end: number): { line: string; notes: object } {
    const window: ExtractWindow = { start, end, cursorField: 'u' };
    const enc = compileRowEncoder([{ name: 'u', type: 'DateTime' }], ['u'], TZ, SRC, { multiValue: MV, window });
    const notes = new BatchNotes();
    const line = enc([WALL], 2, notes);
    return { line, notes: notes.attach({}) };
  }
  const noted = { ambiguous: { count: 1, field: 'u', example: WALL } };

  it('a window starting exactly at the earlier reading holds both: the earlier, noted', () => {
    expect(cursor(A, Date.UTC(2024, 10, 10))).toEqual({ line: `{"u":${EDT}}`, notes: noted });
  });

  it('a window starting exactly at the later reading holds only it: the later, not noted', () => {
    expect(cursor(B, Date.UTC(2024, 10, 10))).toEqual({ line: `{"u":${EST}}`, notes: {} });
  });

  it('a window ending exactly at the earlier reading holds neither: the earlier, noted', () => {
    expect(cursor(Date.UTC(2024, 10, 1), A)).toEqual({ line: `{"u":${EDT}}`, notes: noted });
  });

  it('a window ending exactly at the later reading holds only the earlier: the earlier, not noted', () => {
    expect(cursor(Date.UTC(2024, 10, 1), B)).toEqual({ line: `{"u":${EDT}}`, notes: {} });
  });

  it('a window of that day from 00:00Z holds both: the earlier, noted', () => {
    expect(cursor(Date.UTC(2024, 10, 3), Date.UTC(2024, 10, 4))).toEqual({ line: `{"u":${EDT}}`, notes: noted });
  });

  it('only the column named by cursorField is the cursor, not the first DateTime column', () => {
    const window: ExtractWindow = { start: B, end: Date.UTC(2024, 10, 10), cursorField: 'updatedAt' };
    const fields: FieldDef[] = [
      { name: 'createdAt', type: 'DateTime' },
      { name: 'updatedAt', type: 'DateTime' },
    ];
    const enc = compileRowEncoder(fields, ['createdAt', 'updatedAt'], TZ, SRC, { multiValue: MV, window });
    const notes = new BatchNotes();
    expect(enc([WALL, WALL], 2, notes)).toBe(`{"createdAt":${EDT},"updatedAt":${EST}}`);
    expect(notes.attach({})).toEqual({ ambiguous: { count: 1, field: 'createdAt', example: WALL } });
  });
});
