/**
 * Cell by cell, the value each field type makes of a CSV cell, on every CSV path (the byte path
 * Pardot's exports take, the line path and the string reference path): the JSON text written, and
 * whether the cell was bad (null, counted in `invalid`) or a zero date (null, counted in
 * `zeroDates`). One row per case, so a check the parser skips for one position shows as that
 * case. Expected values are written by hand from the rules in docs/timezone.md and the field
 * types: America/New_York is -04:00 in July and -05:00 in January and December.
 */
import { describe, expect, it } from 'vitest';
import type { ExtractOptions } from '../src/extract/index.js';
import type { FieldDef } from '../src/streams.js';
import { chunksOf, CSV_PATHS, extractVia, type CsvPath } from './helpers/encoded.js';

const BASE = { stream: 'prospects', exportId: 'exp-1', file: 'file-1', timezone: 'America/New_York', multiValue: { separator: ';', jsonArray: true } };
const PATHS = CSV_PATHS;

type Kind = 'ok' | 'bad' | 'zero';
type Case = readonly [cell: string, json: string, kind?: Kind];

/** The one row's `v` as JSON text, and what the batch noted of it. */
async function convert(path: CsvPath, type: FieldDef['type'], cell: string, over: Partial<ExtractOptions> = {}): Promise<{ json: string; kind: Kind }> {
  const o: ExtractOptions = { ...BASE, fields: [{ name: 'v', type }], ...over };
  const quoted = /[",\n\r]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell;
  const body = chunksOf(`v\n${quoted}\n`, 5);
  let kind: Kind = 'ok';
  const lines = await extractVia(path, body, o, (b) => {
    if (b.invalid?.['v']) kind = 'bad';
    if (b.zeroDates?.['v']) kind = 'zero';
  });
  expect(lines).toHaveLength(1);
  const m = /^\{"v":(.*)\}$/.exec(lines[0]!);
  expect(m, lines[0]).not.toBeNull();
  return { json: m![1]!, kind };
}

function table(type: FieldDef['type'], cases: readonly Case[], over: Partial<ExtractOptions> = {}, title: string = type): void {
  describe(title, () => {
    it.each(PATHS)('%s path: each cell makes the value written by hand, bad cells null and counted', async (path) => {
      const got: string[] = [];
      const want: string[] = [];
      for (const [cell, json, kind] of cases) {
        const r = await convert(path, type, cell, over);
        got.push(`${JSON.stringify(cell)} -> ${r.json} (${r.kind})`);
        want.push(`${JSON.stringify(cell)} -> ${json} (${kind ?? (json === 'null' ? 'bad' : 'ok')})`);
      }
      expect(got).toEqual(want);
    });
  });
}

table('DateTime', [
  ['2024-07-01 08:30:00', '"2024-07-01T08:30:00-04:00"'],
  ['1999-09-19 19:39:59', '"1999-09-19T19:39:59-04:00"'],
  ['2024-07-01T08:30:00', '"2024-07-01T08:30:00-04:00"'],
  ['2024-07-01', '"2024-07-01T00:00:00-04:00"'],
  ['2024-12-31 23:59:59', '"2024-12-31T23:59:59-05:00"'],
  ['2024-01-01 00:00:00', '"2024-01-01T00:00:00-05:00"'],
  ['2024-07-01 08:30:00.0', '"2024-07-01T08:30:00.0-04:00"'],
  ['2024-07-01 08:30:00.9', '"2024-07-01T08:30:00.9-04:00"'],
  ['2024-07-01 08:30:00.123', '"2024-07-01T08:30:00.123-04:00"'],
  ['0000-00-00 00:00:00', 'null', 'zero'],
  ['0000-00-00', 'null', 'zero'],
  ['0000-00-00T00:00:00', 'null', 'zero'],
  ['0000-00-00 00:00:00.000', 'null', 'zero'],
  ['0000-00-00 00:00:00.0', 'null', 'zero'],
  ['0000-00-00 00:00:01', 'null'],
  ['0000-00-00x00:00:00', 'null'],
  ['0000-00-00 00:00:00.001', 'null'],
  ['0000-00-00 00:00:00x000', 'null'],
  ['2024x07-01 08:30:00', 'null'],
  ['2024-07x01 08:30:00', 'null'],
  ['202a-07-01 08:30:00', 'null'],
  ['2024-00-01 08:30:00', 'null'],
  ['2024-13-01 08:30:00', 'null'],
  ['2024-12-00 08:30:00', 'null'],
  ['2024-12-32 08:30:00', 'null'],
  ['2024-07-01x08:30:00', 'null'],
  ['2024-07-01 08x30:00', 'null'],
  ['2024-07-01 08:30x00', 'null'],
  ['2024-07-01 0/:30:00', 'null'],
  ['2024-07-01 0::30:00', 'null'],
  ['2024-07-01 08:/0:00', 'null'],
  ['2024-07-01 08:30:/0', 'null'],
  ['2024-07-01 24:00:00', 'null'],
  ['2024-07-01 23:60:00', 'null'],
  ['2024-07-01 23:59:60', 'null'],
  ['2024-07-01 08:30:00x123', 'null'],
  ['2024-07-01 08:30:00.12a', 'null'],
  ['2024-07-01 08:30:00./', 'null'],
  ['2024-07-01 08:30:00.:', 'null'],
  ['2024-07-01 08:30:00.', 'null'],
  ['2024-07-01 08:30:0', 'null'],
  ['2024-07-1', 'null'],
]);

table('Date', [
  ['2024-02-29', '"2024-02-29"'],
  ['1999-09-19', '"1999-09-19"'],
  ['0024-01-01', '"0024-01-01"'],
  ['2400-01-01', '"2400-01-01"'],
  ['2024-01-01 10:00:00.0', '"2024-01-01"'],
  ['2024-01-01 10:00:00.9', '"2024-01-01"'],
  ['2024-01-01 10:00:00./', 'null'],
  ['2024-01-01 10:00:00.:', 'null'],
  ['20x4-01-01', 'null'],
  [':024-01-01', 'null'],
  ['/024-01-01', 'null'],
  ['2:24-01-01', 'null'],
  ['2/24-01-01', 'null'],
  ['20:4-01-01', 'null'],
  ['202:-01-01', 'null'],
  ['202/-01-01', 'null'],
  ['2024-12-31', '"2024-12-31"'],
  ['2024-01-01 10:00:00', '"2024-01-01"'],
  ['2024-01-01T10:00:00', '"2024-01-01"'],
  ['2024-01-01 10:00:00.5', '"2024-01-01"'],
  ['0000-00-00', 'null', 'zero'],
  ['2023-02-29', 'null'],
  ['2024-02-30', 'null'],
  ['2024-04-31', 'null'],
  ['2024-13-01', 'null'],
  ['2024-00-10', 'null'],
  ['2024-01-00', 'null'],
  ['2024x01-01', 'null'],
  ['2024-01x01', 'null'],
  ['2024-01-01x10:00:00', 'null'],
  ['2024-01-01 10x00:00', 'null'],
  ['2024-01-01 10:00x00', 'null'],
  ['2024-01-01 1a:00:00', 'null'],
  ['2024-01-01 10:0a:00', 'null'],
  ['2024-01-01 10:00:0a', 'null'],
  ['2024-01-01 10:00:00x5', 'null'],
  ['2024-01-01 10:00:00.a', 'null'],
  ['2024-01-01 10:00:00.', 'null'],
]);

table('Boolean', [
  ['true', 'true'],
  ['TRUE', 'true'],
  ['True', 'true'],
  ['1', 'true'],
  ['false', 'false'],
  ['FALSE', 'false'],
  ['False', 'false'],
  ['0', 'false'],
  ['xrue', 'null'],
  ['txue', 'null'],
  ['trxe', 'null'],
  ['trux', 'null'],
  ['xalse', 'null'],
  ['fxlse', 'null'],
  ['faxse', 'null'],
  ['falxe', 'null'],
  ['falsx', 'null'],
  ['2', 'null'],
  ['tru', 'null'],
  ['yes', 'null'],
  ['falsey', 'null'],
]);

table('Integer', [
  ['0', '0'],
  ['-0', '0'],
  ['007', '7'],
  ['-007', '-7'],
  ['-120', '-120'],
  ['9', '9'],
  ['-', 'null'],
  ['1-2', 'null'],
  ['12a', 'null'],
  ['1.0', 'null'],
  ['/1', 'null'],
  [':1', 'null'],
]);

table('Number', [
  ['1.5', '1.5'],
  ['.5', '0.5'],
  ['-.5', '-0.5'],
  ['5.', '5'],
  ['00012.50', '12.50'],
  ['-0.0', '0.0'],
  ['-0', '0'],
  ['-0.01', '-0.01'],
  ['9.9', '9.9'],
  ['-.0', '0.0'],
  ['1e0', '1e0'],
  ['1e9', '1e9'],
  ['1e/', 'null'],
  ['1e:', 'null'],
  ['1e+/', 'null'],
  ['1e5', '1e5'],
  ['1E+5', '1E+5'],
  ['2.5e-3', '2.5e-3'],
  ['1e', 'null'],
  ['1e+', 'null'],
  ['e5', 'null'],
  ['.', 'null'],
  ['-', 'null'],
  ['1.2.3', 'null'],
  ['12a', 'null'],
  ['1e5x', 'null'],
]);

table('String', [
  ['plain', '"plain"'],
  ['a\bb', '"a\\bb"'],
  ['a\fb', '"a\\fb"'],
  ['a\tb', '"a\\tb"'],
  ['a\nb', '"a\\nb"'],
  ['a\rb', '"a\\rb"'],
  ['a\u0001b', '"a\\u0001b"'],
  ['a\u001fb', '"a\\u001fb"'],
  ['say "hi"', '"say \\"hi\\""'],
  ['back\\slash', '"back\\\\slash"'],
  ['é ü', '"é ü"'],
]);

table('Multi', [
  ['a;b', '["a","b"]'],
  ['a', '["a"]'],
  [';a;;b;', '["a","b"]'],
  [';;', 'null', 'ok'], // no value at all: null, not a bad cell
  ['say "hi";b', '["say \\"hi\\"","b"]'],
  ['a\tb;c', '["a\\tb","c"]'],
  ['["x","y"]', '["x","y"]'],
]);

table(
  'Multi',
  [
    ['a||b', '["a","b"]'],
    ['a|b', '["a|b"]'],
    ['||', 'null', 'ok'],
  ],
  { multiValue: { separator: '||', jsonArray: false } },
  'Multi with a two-character separator',
);

table('Multi', [['[a;b', '["[a","b"]']], { multiValue: { separator: ';', jsonArray: false } }, 'Multi not read as a JSON array');

describe("invalidValues 'fail'", () => {
  it.each(PATHS)('%s path: a bad Date fails with CSV_BAD_VALUE naming the column, the value and the form a Date takes', async (path) => {
    const o: ExtractOptions = { ...BASE, fields: [{ name: 'v', type: 'Date' }], invalidValues: 'fail' };
    const run = (): Promise<string[]> => extractVia(path, chunksOf('v\n2023-02-29\n', 5), o);
    const err = await run().then(
      () => null,
      (e: unknown) => e as { code: string; message: string },
    );
    expect(err?.code).toBe('CSV_BAD_VALUE');
    expect(err?.message).toContain('line 2, field v (Date)');
    expect(err?.message).toContain('2023-02-29');
    expect(err?.message).toContain("Expected a real calendar date 'YYYY-MM-DD', optionally followed by a time 'HH:MM:SS' (which is dropped)");
  });
});
