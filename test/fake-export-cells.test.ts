// Pins what the fake Pardot's export files hold cell by cell where a live business unit differs
// from a tidy table: the External Activity table as the seed gives it (activityDate is DateTime,
// written with a time of day, or date-only on request), and odd cells (oddCells) with their ledger.

import { afterEach, describe, expect, it } from 'vitest';

import {
  FIELDS,
  generateData,
  lazyProspects,
  OBJECT_NAMES,
  RawCell,
  startFakePardot,
  type FakePardot,
  type FakePardotOptions,
  type ObjectName,
  type OddCell,
  type Row,
} from './fake-pardot/index.js';
import { openSession, type Json } from './helpers/fake-session.js';

const TZ = 'America/Los_Angeles';
const NOW = new Date('2024-12-30T00:00:00Z');
const fakes: FakePardot[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

async function start(opts: FakePardotOptions): Promise<FakePardot> {
  const fake = await startFakePardot({ now: NOW, userTimezone: TZ, pollsUntilComplete: 0, rowsPerFile: 40, ...opts });
  fakes.push(fake);
  return fake;
}

describe('the fake\'s External Activity table (seed "External Activity" > "Fields")', () => {
  it('lists the seed table: ten fields in its order, activityDate typed DateTime', () => {
    // Written by hand from the seed's table (its repeated `value` row once).
    expect(FIELDS.externalActivity.map((f) => [f.name, f.type])).toEqual([
      ['id', 'Integer'],
      ['extension', 'String'],
      ['extensionSalesforceId', 'String'],
      ['type', 'String'],
      ['typeSalesforceId', 'String'],
      ['prospectId', 'Integer'],
      ['value', 'String'],
      ['activityDate', 'DateTime'],
      ['createdAt', 'DateTime'],
      ['createdById', 'Integer'],
    ]);
  });

  const rows = (): Row[] => [
    { id: 1, activityDate: new Date('2024-03-05T17:45:12Z'), createdAt: new Date('2024-03-05T17:45:12Z') },
    { id: 2, activityDate: new Date('2024-03-06T07:59:59Z'), createdAt: new Date('2024-03-06T08:00:00Z') },
  ];
  const body = {
    object: 'externalActivity',
    fields: ['id', 'activityDate'],
    procedure: { name: 'filter_by_activity_date', arguments: { activity_after: '2024-03-01T00:00:00Z', activity_before: '2024-04-01T00:00:00Z' } },
  };

  it('writes activityDate as YYYY-MM-DD HH:mm:ss wall time in the user zone by default', async () => {
    const s = await openSession(await start({ data: { externalActivity: rows() } }));
    const { rows: got } = await s.exportAll(body);
    // 17:45:12Z is 09:45:12 PST; 07:59:59Z is 23:59:59 PST of the day before.
    expect(got.sort()).toEqual([
      ['1', '2024-03-05 09:45:12'],
      ['2', '2024-03-05 23:59:59'],
    ]);
  });

  it("writes the day alone with activityDateCells: 'date'", async () => {
    const s = await openSession(await start({ data: { externalActivity: rows() }, activityDateCells: 'date' }));
    const { rows: got } = await s.exportAll(body);
    expect(got.sort()).toEqual([
      ['1', '2024-03-05'],
      ['2', '2024-03-05'],
    ]);
  });
});

describe('odd cells (oddCells) and their ledger', () => {
  const data = () => generateData({ seed: 7, start: new Date('2024-01-01T00:00:00Z'), end: new Date('2024-06-01T00:00:00Z') });

  /** An export of every row of the object (deleted ones too where the procedure takes `deleted`). */
  function everything(object: ObjectName): Json {
    const created = ['visitorActivity', 'externalActivity'].includes(object);
    const args: Json = created
      ? { created_after: '2023-12-01T00:00:00Z', created_before: '2024-07-01T00:00:00Z' }
      : { updated_after: '2023-12-01T00:00:00Z', updated_before: '2024-07-01T00:00:00Z' };
    if (['visitor', 'listMembership', 'prospectAccount'].includes(object)) args.deleted = 'all';
    return { object, procedure: { name: created ? 'filter_by_created_at' : 'filter_by_updated_at', arguments: args } };
  }

  it('chooses the same cells for the same seed, other cells for another, N rows of every object', async () => {
    const a = await start({ data: data(), oddCells: { rows: 12, seed: 3 } });
    const b = await start({ data: data(), oddCells: { rows: 12, seed: 3 } });
    const c = await start({ data: data(), oddCells: { rows: 12, seed: 4 } });
    expect(a.oddCells()).toEqual(b.oddCells());
    expect(a.oddCells()).not.toEqual(c.oddCells());
    for (const object of OBJECT_NAMES) {
      const cells = a.oddCells(object);
      expect(cells.length, object).toBe(12);
      expect(new Set(cells.map((x) => x.id)).size, object).toBe(12);
      for (const x of cells) expect(x.object).toBe(object);
    }
    // Enough rows show every value named in the task, each in a column of its type.
    const byType = new Map<string, Set<string>>();
    for (const x of a.oddCells()) {
      const type = FIELDS[x.object].find((f) => f.name === x.field)!.type;
      byType.set(type, (byType.get(type) ?? new Set()).add(x.raw));
    }
    expect([...byType.get('DateTime')!].sort()).toEqual(['0000-00-00', '0000-00-00 00:00:00', 'N/A']);
    expect([...byType.get('Integer')!].sort()).toEqual([' 7', '1.5', '12abc', 'N/A']);
    expect([...byType.get('Boolean')!].sort()).toEqual(['N/A', 'maybe']);
    // Never the key nor a field the fake selects rows on.
    for (const x of a.oddCells()) expect(['id', 'createdAt', 'updatedAt', 'activityDate', 'isDeleted']).not.toContain(x.field);
  });

  it('writes exactly the ledger cells raw; every other cell is what the fake writes without oddCells', async () => {
    const odd = await start({ data: data(), oddCells: { rows: 12, seed: 3 } });
    const plain = await start({ data: data() });
    const [so, sp] = [await openSession(odd), await openSession(plain)];
    let seen = 0;
    for (const object of OBJECT_NAMES) {
      const got = await so.exportAll(everything(object));
      const want = await sp.exportAll(everything(object));
      expect(got.header).toEqual(want.header);
      const wantById = new Map(want.rows.map((r) => [r[0], r]));
      const ledger = new Map<string, OddCell>(odd.oddCells(object).map((x) => [`${x.id}/${x.field}`, x]));
      expect(got.rows.length).toBe(want.rows.length);
      for (const row of got.rows) {
        const other = wantById.get(row[0])!;
        got.header.forEach((name, k) => {
          const cell = ledger.get(`${row[0]}/${name}`);
          if (cell) seen++;
          expect(row[k], `${object} ${row[0]} ${name}`).toBe(cell ? cell.raw : other[k]);
        });
      }
    }
    // Every ledger row was exported (deleted ones of prospects aside: their procedure has no `deleted`).
    const exportable = odd.oddCells().filter((x) => !(x.object === 'prospect' && odd.rows('prospect').find((r) => r.id === x.id)!.isDeleted));
    expect(seen).toBe(exportable.length);
    // The data is left as it was: the raw text lives in the export's copy only.
    for (const x of odd.oddCells()) expect(odd.rows(x.object).find((r) => r.id === x.id)![x.field]).not.toBeInstanceOf(RawCell);
  });

  it('puts the ledger cells into files served from a lazy source', async () => {
    const src = lazyProspects(500, { seed: 2, start: new Date('2024-01-01T00:00:00Z'), end: new Date('2024-06-01T00:00:00Z') });
    const fake = await start({ data: { prospect: src }, oddCells: { rows: 9, seed: 1, objects: ['prospect'] } });
    expect(fake.oddCells('visitor')).toEqual([]);
    const ledger = fake.oddCells('prospect');
    expect(ledger.length).toBe(9);
    const s = await openSession(fake);
    const { header, rows } = await s.exportAll({
      object: 'prospect',
      procedure: { name: 'filter_by_updated_at', arguments: { updated_after: '2023-12-01T00:00:00Z', updated_before: '2024-07-01T00:00:00Z' } },
    });
    const byId = new Map(rows.map((r) => [Number(r[0]), r]));
    let seen = 0;
    for (const x of ledger) {
      const row = byId.get(x.id);
      if (!row) continue; // a deleted prospect is not exported
      expect(row[header.indexOf(x.field)]).toBe(x.raw);
      seen++;
    }
    expect(seen).toBeGreaterThan(5);
  });
});
