/**
 * Custom fields as data (src/custom-fields.ts) and their cells through both CSV paths: typing from
 * Pardot's types, the schema property discover writes and a read takes back, multi-valued cells in
 * both plausible forms, Number cells, a column under the field's display name, and the split of a
 * field list over several exports.
 */
import { describe, expect, it } from 'vitest';
import {
  customFieldOfProperty,
  customFieldProperty,
  customFieldsOfRecords,
  customFieldsOfSetting,
  customKind,
  withCatalogCustomFields,
  withCustomFields,
  type CustomField,
} from '../src/custom-fields.js';
import { ConnectorError } from '../src/errors.js';
import { extractCsv, extractCsvBytes, type ExtractOptions } from '../src/extract/index.js';
import { parseMultiValueCell } from '../src/extract/multi.js';
import { EXPORT_STREAMS, type ExportStreamDef, type FieldDef } from '../src/streams.js';
import { splitFields } from '../src/sync/export-plan.js';

const prospects = EXPORT_STREAMS.find((s) => s.name === 'prospects') as ExportStreamDef;
/** A prospect custom field by its v5 name; its fieldId is the name without `__c` unless given. */
const cf = (name: string, pardotType: string, multiple = false, label: string | null = null, fieldId = name.replace(/__c$/, '')): CustomField => ({
  object: 'prospect',
  name,
  fieldId,
  label,
  pardotType,
  multiple,
});

describe('typing a custom field', () => {
  it.each([
    ['Text', false, 'String'],
    ['Textarea', false, 'String'],
    ['Dropdown', false, 'String'],
    ['Radio Button', false, 'String'],
    ['Hidden', false, 'String'],
    ['CRM User', false, 'String'],
    ['Number', false, 'Number'],
    ['Date', false, 'Date'],
    ['Checkbox', false, 'Multi'],
    ['Multi-Select', false, 'Multi'],
    ['Text', true, 'Multi'],
    ['Number', true, 'Multi'],
    ['Something New', false, 'String'],
  ])('%s (multiple responses %s) reads as %s', (type, multiple, kind) => {
    expect(customKind({ pardotType: type as string, multiple: multiple as boolean })).toBe(kind);
  });

  it('the schema property is nullable, says where it came from, and a catalog carrying it types the field the same way', () => {
    const cases: Array<[CustomField, Record<string, unknown>, FieldDef['type']]> = [
      [cf('Level__c', 'Number', false, 'Partner Level'), { type: ['null', 'number'], title: 'Partner Level' }, 'Number'],
      [cf('Since__c', 'Date'), { type: ['null', 'string'], format: 'date' }, 'Date'],
      [cf('Tags__c', 'Checkbox'), { type: ['null', 'array'], items: { type: 'string' } }, 'Multi'],
      [cf('Notes__c', 'Text', true), { type: ['null', 'array'], 'x-pardot-multiple': true }, 'Multi'],
      [cf('Region__c', 'Dropdown'), { type: ['null', 'string'] }, 'String'],
    ];
    for (const [field, shape, kind] of cases) {
      const p = customFieldProperty(field);
      expect(p).toMatchObject({ ...shape, 'x-pardot-type': field.pardotType, 'x-pardot-custom': true });
      expect(customFieldOfProperty(field.name, p)).toMatchObject({ name: field.name, type: kind, custom: true });
    }
    expect(customFieldOfProperty('email', { type: ['null', 'string'] })).toBeNull();
  });

  it("Pardot's records and the custom_fields setting become the same model; a bad type in the setting is a config error naming it", () => {
    expect(
      customFieldsOfRecords([
        { id: 1, name: 'Partner Level', fieldId: 'Level', apiFieldId: 'Level__c', type: 'Number', isRecordMultipleResponses: false },
        { id: 2, name: 'x', fieldId: null },
      ]),
    ).toEqual([cf('Level__c', 'Number', false, 'Partner Level')]);
    expect(customFieldsOfSetting([{ name: 'Level__c', type: 'Number', label: 'Partner Level' }, { name: 'Size__c', object: 'prospect_account' }])).toEqual([
      cf('Level__c', 'Number', false, 'Partner Level'),
      { object: 'prospectAccount', name: 'Size__c', fieldId: 'Size', label: null, pardotType: 'Text', multiple: false },
    ]);
    expect(() => customFieldsOfSetting([{ name: 'X__c', type: 'Float' }])).toThrow(/custom_fields.*'X__c' has type 'Float'.*Number/);
  });

  it('extends prospects (fields and schema) but skips a name a standard field has; prospect accounts take their own', () => {
    const skipped: string[] = [];
    const ext = withCustomFields(prospects, [cf('Level__c', 'Number'), cf('email', 'Text'), { ...cf('Size__c', 'Text'), object: 'prospectAccount' }], (c) => skipped.push(c.name));
    // Its CSV column may also come under its fieldId (CUSTOM_FIELD_HEADER_ALIASES).
    expect(ext.fields.slice(-1)).toEqual([{ name: 'Level__c', type: 'Number', custom: true, aliases: ['Level'] }]);
    expect(ext.fields.length).toBe(prospects.fields.length + 1);
    expect(skipped).toEqual(['email']);
    expect((ext.jsonSchema.properties as Record<string, unknown>).Level__c).toMatchObject({ 'x-pardot-custom': true });
    // A catalog built from that schema gives the read the same fields back.
    const back = withCatalogCustomFields(prospects, ext.jsonSchema.properties as Record<string, unknown>);
    expect(back.fields).toEqual(ext.fields);
    // The stream table itself is untouched.
    expect(prospects.fields.some((f) => f.custom)).toBe(false);
  });
});

/** The wire's rule (MULTI_VALUE_CELL's values), written here by hand. */
const MV = { separator: ';', jsonArray: true };

describe('multi-valued cells (MULTI_VALUE_CELL: both plausible forms, unverified)', () => {
  it.each([
    ['a;b;c', ['a', 'b', 'c']],
    ['one value', ['one value']],
    ['a, b;c "d"', ['a, b', 'c "d"']],
    [';a;;b;', ['a', 'b']],
    ['["a","b, c","ü 🚀"]', ['a', 'b, c', 'ü 🚀']],
    ['[]', []],
    ['[draft];final', ['[draft]', 'final']],
    ['[1,2]', ['[1,2]']],
  ])('%j → %j', (cell, values) => {
    expect(parseMultiValueCell(cell, MV)).toEqual(values);
  });

  it.each([
    // The rule is the caller's: another separator, no JSON form, a separator of two characters.
    ['a|b||c', { separator: '|', jsonArray: true }, ['a', 'b', 'c']],
    ['a;b', { separator: '|', jsonArray: true }, ['a;b']],
    ['["a","b"]', { separator: ';', jsonArray: false }, ['["a","b"]']],
    ['x::y::', { separator: '::', jsonArray: true }, ['x', 'y']],
  ])('%j with %j → %j', (cell, mv, values) => {
    expect(parseMultiValueCell(cell, mv)).toEqual(values);
  });
});

async function* once<T>(x: T): AsyncGenerator<T> {
  yield x;
}
function opts(fields: FieldDef[], extra: Partial<ExtractOptions> = {}): ExtractOptions {
  return { stream: 'prospects', exportId: '7', file: 'f1', fields, timezone: 'America/New_York', multiValue: MV, ...extra };
}
async function linesOf(csv: string, fields: FieldDef[]): Promise<{ bytes: string[]; strings: string[] }> {
  const bytes: string[] = [];
  for await (const b of extractCsvBytes(once(Buffer.from(csv)), opts(fields))) {
    let s = 0;
    for (const e of b.ends) {
      bytes.push(b.data.toString('utf8', s, e));
      s = e;
    }
  }
  const strings: string[] = [];
  for await (const b of extractCsv(once(csv), opts(fields))) strings.push(...b.lines);
  return { bytes, strings };
}

describe('custom field cells through the CSV paths (byte path and string reference agree)', () => {
  const fields: FieldDef[] = [
    { name: 'id', type: 'Integer' },
    { name: 'Level__c', type: 'Number', custom: true },
    { name: 'Tags__c', type: 'Multi', custom: true, aliases: ['Tags'] },
    { name: 'Since__c', type: 'Date', custom: true },
  ];

  it('Number, multi-valued (";" form and JSON-array form) and Date cells become typed JSON', async () => {
    const csv =
      'id,Level__c,Tags__c,Since__c\n' +
      '1,12.5,a;b,2024-02-29\n' +
      '2,-3,"[""x, y"",""z\\""""]",\n' +
      '3,007.50,,2024-01-01 00:00:00\n' +
      '4,0,"[]",\n' +
      '5,-0.0,"one, two",\n' +
      '6,.5,"a ""q"";b",\n' +
      '7,1e3,,\n';
    const { bytes, strings } = await linesOf(csv, fields);
    expect(bytes).toEqual(strings);
    expect(bytes.map((l) => JSON.parse(l))).toEqual([
      { id: 1, Level__c: 12.5, Tags__c: ['a', 'b'], Since__c: '2024-02-29' },
      { id: 2, Level__c: -3, Tags__c: ['x, y', 'z"'], Since__c: null },
      { id: 3, Level__c: 7.5, Tags__c: null, Since__c: '2024-01-01' },
      { id: 4, Level__c: 0, Tags__c: null, Since__c: null },
      { id: 5, Level__c: 0, Tags__c: ['one, two'], Since__c: null },
      { id: 6, Level__c: 0.5, Tags__c: ['a "q"', 'b'], Since__c: null },
      { id: 7, Level__c: 1000, Tags__c: null, Since__c: null },
    ]);
    // Exactly as written, not through a double: 007.50 keeps its trailing zero.
    expect(bytes[2]).toContain('"Level__c":7.50');
  });

  it.each(['1,2', 'abc', '1.2.3', '-', '.', '1e', '١٢'])('a Number cell %j is null, counted for the field (both paths)', async (v) => {
    const csv = `id,Level__c,Tags__c,Since__c\n1,"${v}",,\n2,3,,\n`;
    const bytes = [];
    for await (const b of extractCsvBytes(once(Buffer.from(csv)), opts(fields))) bytes.push(b);
    const strings = [];
    for await (const b of extractCsv(once(csv), opts(fields))) strings.push(b);
    for (const batches of [bytes, strings]) {
      expect(batches).toHaveLength(1);
      expect(batches[0]!.invalid).toEqual({ Level__c: { type: 'Number', count: 1, example: v } });
    }
    expect(JSON.parse(strings[0]!.lines[0]!)).toEqual({ id: 1, Level__c: null, Tags__c: null, Since__c: null });
    expect(JSON.parse(strings[0]!.lines[1]!)).toEqual({ id: 2, Level__c: 3, Tags__c: null, Since__c: null });
  });

  it.each(['1,2', 'abc', '1.2.3', '-', '.', '1e', '١٢'])("a Number cell %j is CSV_BAD_VALUE naming the field with invalidValues 'fail' (both paths)", async (v) => {
    const csv = `id,Level__c,Tags__c,Since__c\n1,"${v}",,\n`;
    for (const path of ['bytes', 'strings'] as const) {
      const run = async () => {
        if (path === 'bytes') for await (const _ of extractCsvBytes(once(Buffer.from(csv)), opts(fields, { invalidValues: 'fail' })));
        else for await (const _ of extractCsv(once(csv), opts(fields, { invalidValues: 'fail' })));
      };
      const err = await run().then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ConnectorError);
      expect((err as ConnectorError).code).toBe('CSV_BAD_VALUE');
      expect((err as ConnectorError).message).toMatch(/field Level__c \(Number\).*Expected a number/);
    }
  });

  it("a column under the field's display name (the other plausible header form) is read as the field, keyed by its API name", async () => {
    const { bytes, strings } = await linesOf('id,Level__c,Tags,Since__c\n1,2,a;b,\n', fields);
    expect(bytes).toEqual(strings);
    expect(JSON.parse(bytes[0]!)).toEqual({ id: 1, Level__c: 2, Tags__c: ['a', 'b'], Since__c: null });
  });
});

describe('splitting a field list over exports (Pardot takes at most 150 fields)', () => {
  const many = (n: number): FieldDef[] => [
    { name: 'id', type: 'Integer' },
    { name: 'updatedAt', type: 'DateTime' },
    ...Array.from({ length: n - 2 }, (_, i) => ({ name: `f${i}`, type: 'String' as const })),
  ];

  it.each([
    [150, 1],
    [151, 2],
    [240, 2],
    [298, 2],
    [299, 3],
    [250, 2],
    [450, 4],
  ])('%i fields make %i exports, each with id and the cursor, at most 150, every field once', (n, parts) => {
    const fields = many(n);
    const split = splitFields(fields, { cursorField: 'updatedAt', maxFields: 150 });
    expect(split.length).toBe(parts);
    for (const p of split) {
      expect(p.length).toBeLessThanOrEqual(150);
      expect(p.slice(0, 2).map((f) => f.name)).toEqual(['id', 'updatedAt']);
    }
    const rest = split.flatMap((p) => p.slice(2).map((f) => f.name));
    expect(rest).toEqual(fields.slice(2).map((f) => f.name));
  });
});

describe('multi-valued cells: the byte path agrees with the string reference on random cells', () => {
  it('random cells of ";", quotes, commas, line breaks, control characters, non-ASCII and emoji', async () => {
    const alphabet = [';', ';', '"', ',', '\n', '\r\n', '\t', '\u0001', '\\', 'a', 'b', ' ', 'ü', '東', '🚀', '[', ']'];
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const q = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
    const cells = Array.from({ length: 400 }, () => Array.from({ length: rnd(12) }, () => alphabet[rnd(alphabet.length)]).join(''));
    const csv = 'id,Tags__c\n' + cells.map((c, i) => `${i + 1},${q(c)}`).join('\n') + '\n';
    const fields: FieldDef[] = [{ name: 'id', type: 'Integer' }, { name: 'Tags__c', type: 'Multi', custom: true }];
    const { bytes, strings } = await linesOf(csv, fields);
    expect(bytes.length).toBe(400);
    expect(bytes).toEqual(strings);
    // And both are what a second, plain reading of the rule gives: a cell that is a JSON array of
    // strings is that array, any other is split on ';' with empty pieces dropped.
    const oracle = (cell: string): string[] => {
      if (cell.startsWith('[')) {
        try {
          const j: unknown = JSON.parse(cell);
          if (Array.isArray(j) && j.every((x) => typeof x === 'string')) return j as string[];
        } catch {
          // not JSON
        }
      }
      return cell.split(';').filter((x) => x !== '');
    };
    bytes.forEach((l, i) => {
      const want = oracle(cells[i]!);
      expect(JSON.parse(l).Tags__c).toEqual(want.length === 0 ? null : want);
    });
  });
});
