// Pins the fake Pardot's custom fields (issue 11): a request names a custom field by its
// `apiFieldId` (`fieldId` + `__c`), export columns in each header form and both multi-value forms, the field checks (180, the 150-field maximum counting custom fields), the v5
// `custom-fields` object, schema drift (setCustomFields), the onExportComplete hook (stragglers
// between the part exports of a window), the function form of staticResults, and the data helpers.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { parse } from 'csv-parse/sync';
import { afterEach, describe, expect, it } from 'vitest';

import { STREAM_SCHEMAS } from '../src/generated/schemas.js';
import {
  apiFieldIdOf,
  CODES,
  CUSTOM_FIELD_OBJECT_FIELDS,
  CUSTOM_FIELD_TYPES,
  exportableFields,
  exportColumns,
  formatWallTime,
  headerLine,
  generateData,
  isMultiValued,
  lazyProspects,
  MAX_FIELDS,
  MISSING_ABILITY,
  rowRenderer,
  startFakePardot,
  type FakeCustomField,
  type FakeExport,
  type FakePardot,
  type FakePardotOptions,
  type Row,
} from './fake-pardot/index.js';
import { tempDir } from './helpers/cli.js';
import { addCustomValues, customValue, expectedCustomValue, makeCustomFields, MULTI_VALUES, withCustomValues } from './helpers/custom-fields.js';

const BU = '0Uv000000000001AAA';
const TZ = 'America/Los_Angeles';
const NOW = new Date('2024-12-30T00:00:00Z');
const START = new Date('2024-01-01T00:00:00Z');
const END = new Date('2024-06-01T00:00:00Z');
const WINDOW = { updated_after: '2024-01-01T00:00:00+00:00', updated_before: '2024-06-30T00:00:00+00:00' };

type Json = Record<string, unknown>;
const fakes: FakePardot[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

interface Session {
  fake: FakePardot;
  get(path: string): Promise<Response>;
  create(fields: string[] | null, args?: Json): Promise<Response>;
  /** Creates, polls until Complete, downloads every file: the parsed rows with their header. */
  exportRows(fields: string[] | null, args?: Json): Promise<{ header: string[]; rows: string[][]; e: FakeExport }>;
}

async function start(opts: FakePardotOptions): Promise<Session> {
  const fake = await startFakePardot({ now: NOW, userTimezone: TZ, pollsUntilComplete: 1, ...opts });
  fakes.push(fake);
  const form = new URLSearchParams({
    grant_type: 'refresh_token',
    client_id: 'test-client-id',
    client_secret: 'test-client-secret',
    refresh_token: 'test-refresh-token',
  });
  const tok = (
    (await (
      await fetch(`${fake.url}/services/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
      })
    ).json()) as { access_token: string }
  ).access_token;
  const headers = { authorization: `Bearer ${tok}`, 'pardot-business-unit-id': BU };
  const get = (path: string): Promise<Response> => fetch(path.startsWith('http') ? path : fake.url + path, { headers });
  const create = (fields: string[] | null, args: Json = WINDOW): Promise<Response> =>
    fetch(`${fake.url}/api/v5/exports`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({
        object: 'prospect',
        procedure: { name: 'filter_by_updated_at', arguments: args },
        ...(fields ? { fields } : {}),
      }),
    });
  async function exportRows(fields: string[] | null, args: Json = WINDOW): Promise<{ header: string[]; rows: string[][]; e: FakeExport }> {
    const res = await create(fields, args);
    const made = (await res.json()) as Json;
    expect(res.status, JSON.stringify(made)).toBe(200);
    let r: Json = {};
    for (let i = 0; i < 20 && r.state !== 'Complete'; i++) r = (await (await get(`/api/v5/exports/${String(made.id)}`)).json()) as Json;
    expect(r.state).toBe('Complete');
    const refs = r.resultRefs === undefined ? [] : Array.isArray(r.resultRefs) ? (r.resultRefs as string[]) : [r.resultRefs as string];
    let header: string[] = [];
    const rows: string[][] = [];
    for (const url of refs) {
      const parsed = parse(await (await get(url)).text(), { relax_column_count: false }) as string[][];
      header = parsed[0]!;
      rows.push(...parsed.slice(1));
    }
    return { header, rows, e: fake.exports.find((x) => x.id === made.id)! };
  }
  return { fake, get, create, exportRows };
}

/** Reads a cell back as a connector would for each assumed form, to compare with expectedCustomValue. */
function cellValue(f: FakeCustomField, cell: string, multi: 'semicolon' | 'json'): unknown {
  if (cell === '') return null;
  if (isMultiValued(f)) return multi === 'json' ? (JSON.parse(cell) as string[]) : cell.split(';');
  if (f.type === 'Number') return Number(cell);
  return cell;
}

// Rows hold a custom value under the name a request uses: the fieldId plus __c.
const fieldsByHand: FakeCustomField[] = [
  { id: 1, name: 'Score, Band', fieldId: 'N', type: 'Number' },
  { id: 2, name: 'Renewal Day', fieldId: 'D', type: 'Date' },
  { id: 3, name: 'Products', fieldId: 'M', type: 'Multi-Select' },
  { id: 4, name: 'Note', fieldId: 'T', type: 'Text' },
  { id: 5, name: 'Opt-ins', fieldId: 'C', type: 'Checkbox' },
  { id: 6, name: 'Answers', fieldId: 'R', type: 'Text', isRecordMultipleResponses: true },
];
const API_NAMES = ['N__c', 'D__c', 'M__c', 'T__c', 'C__c', 'R__c'];
const rowsByHand = (): Row[] => [
  { id: 1, updatedAt: new Date('2024-02-01T00:00:00Z'), N__c: 12.5, D__c: '2024-02-29', M__c: ['a', 'b, c'], T__c: 'x,"y"', C__c: [], R__c: ['só'] },
  { id: 2, updatedAt: new Date('2024-02-02T00:00:00Z'), N__c: -3, D__c: new Date(Date.UTC(2024, 0, 5)), M__c: null, T__c: null, C__c: ['on'], R__c: [] },
  { id: 3, updatedAt: new Date('2024-02-03T00:00:00Z') },
];
const byId = (rows: string[][]): string[][] => [...rows].sort((a, b) => Number(a[0]) - Number(b[0]));

describe('fake Pardot custom field columns', () => {
  it('writes Number, Date, multi-valued and text cells exactly (header = apiFieldId, values joined by ;)', async () => {
    const s = await start({ data: { prospect: rowsByHand() }, customFields: { prospect: fieldsByHand } });
    const { header, rows, e } = await s.exportRows(['id', ...API_NAMES]);
    expect(header).toEqual(['id', 'N__c', 'D__c', 'M__c', 'T__c', 'C__c', 'R__c']);
    expect(e.header).toEqual(header);
    expect(byId(rows)).toEqual([
      ['1', '12.5', '2024-02-29', 'a;b, c', 'x,"y"', '', 'só'],
      ['2', '-3', '2024-01-05', '', '', 'on', ''],
      ['3', '', '', '', '', '', ''],
    ]);
  });

  it('writes display names as headers and JSON arrays as multi-value cells when asked', async () => {
    const s = await start({
      data: { prospect: rowsByHand() },
      customFields: { prospect: fieldsByHand },
      customFieldCsv: { header: 'name', multiValue: 'json' },
    });
    const { header, rows, e } = await s.exportRows(['id', ...API_NAMES]);
    expect(header).toEqual(['id', 'Score, Band', 'Renewal Day', 'Products', 'Note', 'Opt-ins', 'Answers']);
    expect(e.columns).toEqual(['id', 'N__c', 'D__c', 'M__c', 'T__c', 'C__c', 'R__c']);
    expect(byId(rows)).toEqual([
      ['1', '12.5', '2024-02-29', '["a","b, c"]', 'x,"y"', '', '["só"]'],
      ['2', '-3', '2024-01-05', '', '', '["on"]', ''],
      ['3', '', '', '', '', '', ''],
    ]);
  });

  it('heads custom columns with the bare fieldId when asked', async () => {
    const s = await start({ data: { prospect: rowsByHand() }, customFields: { prospect: fieldsByHand }, customFieldCsv: { header: 'fieldId' } });
    const { header, e } = await s.exportRows(['id', ...API_NAMES]);
    expect(header).toEqual(['id', 'N', 'D', 'M', 'T', 'C', 'R']);
    expect(e.columns).toEqual(['id', ...API_NAMES]);
  });

  for (const csv of [
    { header: 'apiFieldId', multiValue: 'semicolon' },
    { header: 'fieldId', multiValue: 'semicolon' },
    { header: 'name', multiValue: 'json' },
  ] as const) {
    it(`round-trips generated values of every type (${csv.header} headers, ${csv.multiValue} cells)`, async () => {
      const fields = makeCustomFields(24, { seed: 5 });
      const data = generateData({ seed: 3, start: START, end: END, counts: { prospect: 120 } });
      addCustomValues(data.prospect, fields, 9);
      const s = await start({ data, customFields: { prospect: fields }, customFieldCsv: csv, rowsPerFile: 50 });
      const requested = ['id', 'email', ...fields.map((f) => `${f.fieldId}__c`)];
      const { header, rows } = await s.exportRows(requested);
      const head = (f: FakeCustomField): string => (csv.header === 'name' ? f.name : csv.header === 'fieldId' ? f.fieldId : `${f.fieldId}__c`);
      expect(header).toEqual(['id', 'email', ...fields.map(head)]);
      const source = new Map(data.prospect.map((r) => [r.id as number, r]));
      expect(rows.length).toBeGreaterThan(50);
      let nonEmpty = 0;
      for (const cells of rows) {
        const row = source.get(Number(cells[0]))!;
        fields.forEach((f, k) => {
          const got = cellValue(f, cells[k + 2]!, csv.multiValue);
          expect(got, `${f.fieldId} (${f.type}) of ${String(row.id)}`).toEqual(expectedCustomValue(f, row[`${f.fieldId}__c`]));
          if (got !== null) nonEmpty++;
        });
      }
      expect(nonEmpty).toBeGreaterThan(rows.length * fields.length * 0.6);
    });
  }

  it('accepts custom fields only by their apiFieldId on their own object, and refuses the bare fieldId and unknown names with 180', async () => {
    const s = await start({
      data: { prospect: rowsByHand() },
      customFields: { prospect: fieldsByHand, prospectAccount: [{ id: 90, name: 'Acct', fieldId: 'Acct', type: 'Text' }] },
    });
    // 'N': the bare fieldId of N__c, refused like any unknown field (the fake's choice: 400, code 180).
    for (const bad of ['N', 'Nope__c', 'Score, Band', 'Acct__c', 'N__c__c']) {
      const res = await s.create(['id', 'N__c', bad]);
      expect(res.status).toBe(400);
      const body = (await res.json()) as Json;
      expect(body.code).toBe(CODES.invalidField);
      expect(String(body.message)).toContain(bad);
    }
  });

  it('counts custom fields toward the 150-field maximum; an export without fields has the standard columns only', async () => {
    const standard = exportableFields('prospect');
    const fields = makeCustomFields(MAX_FIELDS + 1 - standard.length);
    const s = await start({ data: { prospect: rowsByHand() }, customFields: { prospect: fields } });
    const all = [...standard, ...fields.map((f) => `${f.fieldId}__c`)];
    expect(all.length).toBe(MAX_FIELDS + 1);
    const res = await s.create(all);
    expect(res.status).toBe(400);
    const body = (await res.json()) as Json;
    expect(body.code).toBe(CODES.tooManyFields);
    expect(String(body.message)).toContain(String(MAX_FIELDS));
    expect((await s.create(all.slice(0, MAX_FIELDS))).status).toBe(200);
    const { header } = await s.exportRows(null);
    expect(header).toEqual(standard);
  });
});

describe('fake Pardot v5 custom-fields object', () => {
  interface Page {
    values: Json[];
    nextPageToken: string | null;
    nextPageUrl: string | null;
  }
  const ALL = 'id,name,fieldId,apiFieldId,type,isRecordMultipleResponses,createdAt,updatedAt';

  it("has the fields of the product's custom_fields stream (apiFieldId included: the name a v5 request uses)", () => {
    const props = Object.keys((STREAM_SCHEMAS.custom_fields as unknown as { properties: Json }).properties);
    expect(Object.keys(CUSTOM_FIELD_OBJECT_FIELDS).sort()).toEqual([...props].sort());
  });

  it('lists the prospect custom fields with the object table fields, paging and filtering like any object', async () => {
    const fields = makeCustomFields(12, { seed: 2, startId: 500 });
    const s = await start({ customFields: { prospect: fields } });

    const seen: Json[] = [];
    let res = await s.get(`/api/v5/objects/custom-fields?fields=${ALL}&limit=5&orderBy=${encodeURIComponent('updatedAt ASC,id ASC')}`);
    for (;;) {
      expect(res.status).toBe(200);
      const page = (await res.json()) as Page;
      seen.push(...page.values);
      if (!page.nextPageUrl) break;
      res = await s.get(page.nextPageUrl);
    }
    expect(seen.length).toBe(12);
    const sorted = [...fields].sort((a, b) => a.updatedAt!.getTime() - b.updatedAt!.getTime() || a.id - b.id);
    expect(seen.map((v) => v.id)).toEqual(sorted.map((f) => f.id));
    const first = seen.find((v) => v.id === fields[5]!.id)!;
    expect(first).toEqual({
      id: fields[5]!.id,
      name: fields[5]!.name,
      fieldId: fields[5]!.fieldId,
      apiFieldId: `${fields[5]!.fieldId}__c`,
      type: 'Text',
      isRecordMultipleResponses: true,
      createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}-0[78]:00$/),
      updatedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}-0[78]:00$/),
    });
    expect(Date.parse(first.updatedAt as string)).toBe(fields[5]!.updatedAt!.getTime());

    const other = (await (await s.get('/api/v5/objects/custom-fields?fields=id,salesforceId,isUseValues,isRequired&idGreaterThan=505')).json()) as Page;
    expect(other.values.map((v) => v.id)).toEqual([506, 507, 508, 509, 510, 511]);
    expect(other.values[0]).toEqual({ id: 506, salesforceId: null, isUseValues: false, isRequired: false });

    const cut = sorted[6]!.updatedAt!.toISOString().replace('.000Z', '+00:00');
    const after = (await (await s.get(`/api/v5/objects/custom-fields?fields=id&updatedAtAfterOrEqualTo=${encodeURIComponent(cut)}`)).json()) as Page;
    expect(after.values.map((v) => v.id).sort()).toEqual(sorted.slice(6).map((f) => f.id).sort());
  });

  it('answers the missing-ability error to a user without Configure Fields', async () => {
    const s = await start({ customFields: { prospect: makeCustomFields(3) }, queryNoAbility: ['custom-fields'] });
    const res = await s.get(`/api/v5/objects/custom-fields?fields=${ALL}`);
    expect(res.status).toBe(MISSING_ABILITY.status);
    expect(((await res.json()) as Json).code).toBe(MISSING_ABILITY.code);
  });

  it('follows setCustomFields (schema drift): a removed field leaves the list and is refused by a create (180)', async () => {
    const fields = makeCustomFields(4);
    const s = await start({ data: { prospect: rowsByHand() }, customFields: { prospect: fields } });
    // Created before the drift: keeps its columns.
    const before = await s.create(['id', apiFieldIdOf(fields[1]!)]);
    expect(before.status).toBe(200);
    const added: FakeCustomField = { id: 99, name: 'New One', fieldId: 'New_One', type: 'Number' };
    s.fake.setCustomFields('prospect', [fields[0]!, fields[2]!, fields[3]!, added]);
    const page = (await (await s.get('/api/v5/objects/custom-fields?fields=id,apiFieldId')).json()) as Page;
    expect(page.values.map((v) => v.apiFieldId)).toEqual([fields[0]!, fields[2]!, fields[3]!].map((f) => `${f.fieldId}__c`).concat('New_One__c'));
    const res = await s.create(['id', apiFieldIdOf(fields[1]!)]);
    expect(res.status).toBe(400);
    expect(((await res.json()) as Json).code).toBe(CODES.invalidField);
    expect((await s.create(['id', 'New_One__c'])).status).toBe(200);
    const { header } = await s.exportRows(['id', 'New_One__c']);
    expect(header).toEqual(['id', 'New_One__c']);
    expect(s.fake.exports[0]!.header).toEqual(['id', `${fields[1]!.fieldId}__c`]);
  });
});

describe('fake Pardot onExportComplete and the function form of staticResults', () => {
  it('runs once per completed export; a change made in it shows in the next export of the window, not in this one', async () => {
    const data = generateData({ seed: 4, start: START, end: END, counts: { prospect: 40 } });
    const moved = data.prospect[7]!;
    const movedId = moved.id as number;
    const oldUpdated = formatWallTime((moved.updatedAt as Date).getTime(), TZ);
    const deleted = data.prospect[8]!.id as number;
    const calls: number[] = [];
    const s = await start({
      data,
      onExportComplete: (e) => {
        calls.push(e.id);
        if (calls.length === 1) {
          // A straggler: updated after the first part, so outside the window; another one removed.
          moved.updatedAt = new Date('2024-12-01T00:00:00Z');
          data.prospect.splice(8, 1);
        }
      },
    });
    const one = await s.exportRows(['id', 'updatedAt']);
    const two = await s.exportRows(['id', 'email']);
    // Reading a completed export again does not run the hook again.
    await s.get(`/api/v5/exports/${one.e.id}`);
    expect(calls).toEqual([one.e.id, two.e.id]);
    const ids1 = one.rows.map((r) => Number(r[0]));
    const ids2 = two.rows.map((r) => Number(r[0]));
    expect(ids1).toContain(movedId);
    expect(ids1).toContain(deleted);
    // The first export's files show the row as it was when that export completed.
    expect(one.rows.find((r) => Number(r[0]) === movedId)![1]).toBe(oldUpdated);
    expect(ids2).not.toContain(movedId);
    expect(ids2).not.toContain(deleted);
    expect(ids2.length).toBe(ids1.length - 2);
  });

  it('serves the static files chosen for the requested fields (a part of a split export)', async () => {
    const dir = tempDir();
    const write = (name: string, text: string): string => {
      const p = join(dir, name);
      writeFileSync(p, text);
      return p;
    };
    const partA = write('a.csv', 'id,email\n1,a@x.com\n2,b@x.com\n');
    const partB = write('b.csv', 'id,Cf_001__c\n1,x\n2,"y, z"\n');
    const asked: (string[] | null)[] = [];
    const data = generateData({ seed: 4, start: START, end: END, counts: { prospect: 5 } });
    const s = await start({
      data,
      customFields: { prospect: [{ id: 1, name: 'Cf 1', fieldId: 'Cf_001', type: 'Text' }] },
      staticResults: {
        prospect: (fields) => {
          asked.push(fields);
          if (fields?.includes('email')) return { files: [partA], rowCount: 2 };
          if (fields?.includes('Cf_001__c')) return { files: [partB], rowCount: 2 };
          return undefined;
        },
      },
    });
    const a = await s.exportRows(['id', 'email']);
    const b = await s.exportRows(['id', 'Cf_001__c']);
    const fromData = await s.exportRows(['id', 'updatedAt']);
    expect(asked).toEqual([
      ['id', 'email'],
      ['id', 'Cf_001__c'],
      ['id', 'updatedAt'],
    ]);
    expect([a.header, a.rows]).toEqual([['id', 'email'], [['1', 'a@x.com'], ['2', 'b@x.com']]]);
    expect([b.header, b.rows, b.e.rowCount]).toEqual([['id', 'Cf_001__c'], [['1', 'x'], ['2', 'y, z']], 2]);
    // The window's `updated_after` is exclusive: a row at exactly START is out of it.
    const inWindow = data.prospect.filter((r) => r.isDeleted !== true && (r.updatedAt as Date).getTime() > START.getTime());
    expect(fromData.rows.length).toBeGreaterThan(0);
    expect(fromData.rows.map((r) => Number(r[0])).sort()).toEqual(inWindow.map((r) => r.id as number).sort());
  });
});

describe('static files rendered with exportColumns', () => {
  it('match, cell for cell, what the fake serves from data for the same fields (both parts of a split export)', async () => {
    const fields = makeCustomFields(20, { seed: 7 });
    const data = generateData({ seed: 6, start: START, end: END, counts: { prospect: 80 } });
    addCustomValues(data.prospect, fields, 2);
    const csv = { header: 'name', multiValue: 'json' } as const;
    const parts = [
      ['id', 'updatedAt', 'email', ...fields.slice(0, 10).map(apiFieldIdOf)],
      ['id', 'updatedAt', ...fields.slice(10).map(apiFieldIdOf)],
    ];
    const matching = data.prospect.filter((r) => r.isDeleted !== true && (r.updatedAt as Date).getTime() > START.getTime());
    const dir = tempDir();
    const files = parts.map((names, k) => {
      const { columns, header } = exportColumns('prospect', names, fields, csv);
      const render = rowRenderer(columns, TZ, '\n');
      const p = join(dir, `part${k}.csv`);
      writeFileSync(p, headerLine(header, '\n') + matching.map(render).join(''));
      return p;
    });
    const fromFiles = await start({
      customFields: { prospect: fields },
      customFieldCsv: csv,
      staticResults: { prospect: (requested) => ({ files: [files[parts.findIndex((p) => p.join() === requested?.join())]!], rowCount: matching.length }) },
    });
    const fromData = await start({ data, customFields: { prospect: fields }, customFieldCsv: csv });
    for (const names of parts) {
      const a = await fromFiles.exportRows(names);
      const b = await fromData.exportRows(names);
      expect(a.header).toEqual(b.header);
      expect(a.rows.length).toBe(matching.length);
      expect(byId(a.rows)).toEqual(byId(b.rows));
    }
  });
});

describe('custom field test data helpers', () => {
  it('makeCustomFields: every type, the documented mix, unique API and display names', () => {
    const fields = makeCustomFields(40, { seed: 3 });
    expect(new Set(fields.slice(0, 11).map((f) => f.type))).toEqual(new Set(CUSTOM_FIELD_TYPES));
    expect(fields.slice(0, 11).some((f) => f.isRecordMultipleResponses)).toBe(true);
    const share = (p: (f: FakeCustomField) => boolean): number => fields.filter(p).length / fields.length;
    expect(share((f) => f.type === 'Number')).toBe(0.15);
    expect(share((f) => f.type === 'Date')).toBe(0.1);
    expect(share((f) => f.type === 'Checkbox' || f.type === 'Multi-Select')).toBe(0.15);
    expect(share((f) => f.isRecordMultipleResponses === true)).toBe(0.1);
    expect(new Set(fields.map((f) => f.fieldId)).size).toBe(40);
    expect(new Set(fields.map((f) => f.name)).size).toBe(40);
    // A field id has no __c (Pardot adds it for the name a request uses).
    for (const f of fields) expect(f.fieldId).toMatch(/^Cf_\d{3}_[A-Za-z0-9]+$/);
    expect(fields[16]!.fieldId).toMatch(/^Cf_017_/);
    expect(fields[16]!.name).toMatch(/ 17$/);
    expect(fields.some((f) => f.name.includes(','))).toBe(true);
    expect(makeCustomFields(40, { seed: 3 })).toEqual(fields);
    expect(makeCustomFields(2, { startId: 300 }).map((f) => f.id)).toEqual([300, 301]);
  });

  it('addCustomValues: deterministic, ~20% null, multi values safe for the ; form, numbers and days as documented', () => {
    const fields = makeCustomFields(40, { seed: 3 });
    const rows: Row[] = Array.from({ length: 200 }, (_, i) => ({ id: 1000 + i }));
    addCustomValues(rows, fields, 8);
    const again: Row[] = Array.from({ length: 200 }, (_, i) => ({ id: 1000 + i }));
    addCustomValues(again, fields, 8);
    expect(again).toEqual(rows);
    let nulls = 0;
    let cells = 0;
    const numbers: number[] = [];
    for (const row of rows)
      for (const f of fields) {
        const v = row[`${f.fieldId}__c`];
        cells++;
        if (v === null) {
          nulls++;
          continue;
        }
        if (isMultiValued(f)) {
          expect(Array.isArray(v)).toBe(true);
          const list = v as string[];
          expect(list.length).toBeLessThanOrEqual(3);
          expect(new Set(list).size).toBe(list.length);
          for (const x of list) {
            expect(x).not.toBe('');
            expect(x).not.toContain(';');
            expect(x.startsWith('[')).toBe(false);
          }
        } else if (f.type === 'Number') numbers.push(v as number);
        else if (f.type === 'Date') expect(v).toMatch(/^\d{4}-\d{2}-\d{2}$/);
        else {
          expect(typeof v).toBe('string');
          expect(v).not.toBe('');
        }
      }
    expect(nulls / cells).toBeGreaterThan(0.15);
    expect(nulls / cells).toBeLessThan(0.25);
    expect(numbers.some((n) => !Number.isInteger(n))).toBe(true);
    expect(numbers.some((n) => n < 0)).toBe(true);
    expect(numbers).toContain(0);
    for (const v of MULTI_VALUES) expect(v.trim()).toBe(v);
    const multi = rows.flatMap((r) => fields.filter(isMultiValued).map((f) => r[`${f.fieldId}__c`] as string[] | null));
    expect(multi.some((l) => l !== null && l.length === 0)).toBe(true);
    expect(multi.some((l) => l !== null && l.some((x) => x.includes(',')))).toBe(true);
  });

  it('expectedCustomValue: the JSON value a connector emits; withCustomValues gives lazy rows the same values', () => {
    const [text, num, day, checkbox] = [
      { id: 1, name: 't', fieldId: 't', type: 'Text' },
      { id: 2, name: 'n', fieldId: 'n', type: 'Number' },
      { id: 3, name: 'd', fieldId: 'd', type: 'Date' },
      { id: 4, name: 'c', fieldId: 'c', type: 'Checkbox' },
    ] as FakeCustomField[];
    expect(expectedCustomValue(text!, 'a, "b"')).toBe('a, "b"');
    expect(expectedCustomValue(text!, '')).toBeNull();
    expect(expectedCustomValue(num!, -12.5)).toBe(-12.5);
    expect(expectedCustomValue(day!, '2024-02-29')).toBe('2024-02-29');
    expect(expectedCustomValue(checkbox!, [])).toBeNull();
    expect(expectedCustomValue(checkbox!, ['x', 'y, z'])).toEqual(['x', 'y, z']);
    expect(expectedCustomValue(checkbox!, null)).toBeNull();

    const fields = makeCustomFields(10);
    const base = lazyProspects(50, { seed: 1, start: START, end: END });
    const lazy = withCustomValues(base, fields, 6);
    lazy.row(3);
    const row = lazy.row(17);
    expect(Object.keys(row).length).toBe(Object.keys(base.row(17)).length + fields.length);
    for (const [k, v] of Object.entries(base.row(17))) expect(row[k], k).toEqual(v);
    for (const f of fields) expect(row[`${f.fieldId}__c`]).toEqual(customValue(f, row.id as number, 6));
    expect(lazy.timeOf?.(17, 'updatedAt')).toBe((row.updatedAt as Date).getTime());
  });
});
