/**
 * Fake data for every queryable object of the fake's own v5 table (test/fake-pardot/v5-objects.ts):
 * what the fake's query endpoint serves in the reader, CLI and demo tests. Field names and types
 * come from that table only, never from the product's src/ tables. Timestamps fall on few distinct
 * seconds so that many records share a cursor value (the (cursor, id) continuation must handle ties).
 */
import { prng, TRICKY_STRINGS, V5_OBJECTS, type CellValue, type FakeQueryObject, type Row, type V5FieldType } from '../fake-pardot/index.js';

export interface QueryDataOptions {
  seed?: number;
  start: Date;
  end: Date;
  /** Records per object (default 12). */
  count?: number;
  /** Records per object by URL name (e.g. `{ lists: 40 }`), over `count`. */
  counts?: Partial<Record<string, number>>;
  /** Distinct seconds the cursor values fall on (default 5: many ties). */
  seconds?: number;
}

/**
 * Children that point at a parent's ids (dynamic-content-variation.html: a variation belongs to
 * one dynamic content, named by dynamicContentId).
 */
const PARENTS: Readonly<Record<string, { object: string; field: string }>> = {
  'dynamic-content-variations': { object: 'dynamic-contents', field: 'dynamicContentId' },
};

/** Custom field types a generated `custom-fields` row takes (ones the export side accepts too). */
const CUSTOM_TYPES = ['Text', 'Number', 'Date', 'Checkbox', 'Dropdown', 'Multi-Select', 'Textarea'];

/** A value of one field of the table's type (objects and arrays as JSON values). */
function valueOf(type: V5FieldType, rnd: () => number, slots: number[], enumValues: readonly string[] | undefined): unknown {
  switch (type) {
    case 'DateTime':
      return new Date(slots[Math.floor(rnd() * slots.length)]!);
    case 'Integer':
      return rnd() < 0.2 ? null : Math.floor(rnd() * 100_000);
    case 'Boolean':
      return rnd() < 0.5;
    case 'Float':
      return Math.round(rnd() * 1e6) / 100;
    case 'Date':
      return new Date(slots[0]!).toISOString().slice(0, 10);
    case 'Array':
      return rnd() < 0.5 ? [] : [Math.floor(rnd() * 1000), Math.floor(rnd() * 1000)];
    case 'Object':
      return rnd() < 0.2 ? null : { days: ['monday', 'friday'], start: '09:00', note: 'a, "b"' };
    case 'Enum':
      if (enumValues && enumValues.length > 0) return enumValues[Math.floor(rnd() * enumValues.length)]!;
      return TRICKY_STRINGS[Math.floor(rnd() * TRICKY_STRINGS.length)]!;
    default:
      return rnd() < 0.2 ? null : TRICKY_STRINGS[Math.floor(rnd() * TRICKY_STRINGS.length)]!;
  }
}

/** Rows of one object of the table (URL name), ids increasing with gaps. */
export function queryRows(object: string, o: QueryDataOptions, parentIds: number[] = []): Row[] {
  const def = V5_OBJECTS[object];
  if (!def) throw new Error(`queryRows: ${object} is not in the fake's v5 table`);
  const rnd = prng((o.seed ?? 1) * 7919 + object.length * 131 + object.charCodeAt(0));
  const count = o.counts?.[object] ?? o.count ?? 12;
  const span = o.end.getTime() - o.start.getTime();
  const slots = Array.from({ length: o.seconds ?? 5 }, () => Math.floor((o.start.getTime() + rnd() * span) / 1000) * 1000);
  const rows: Row[] = [];
  let id = 1000 + Math.floor(rnd() * 100);
  for (let i = 0; i < count; i++) {
    id += 1 + Math.floor(rnd() * 3);
    const row: Record<string, unknown> = {};
    for (const [name, type] of Object.entries(def.fields)) {
      if (name === 'id') row.id = id;
      else if (name === 'isDeleted') row.isDeleted = rnd() < 0.15;
      else row[name] = valueOf(type, rnd, slots, def.enums?.[name]);
    }
    // An `…Id` sub-field holds an id (a number), as every id field of the table; others text.
    const subValue = (s: string): unknown => (s === 'type' ? 'general_user' : s.endsWith('Id') ? (rnd() < 0.5 ? null : 7000 + id) : `${s} ${id}, "x"`);
    for (const [name, subs] of Object.entries(def.collections ?? {})) row[name] = rnd() < 0.3 ? [] : [Object.fromEntries(subs.map((s) => [s, subValue(s)]))];
    // createdAt never after updatedAt.
    if (row.createdAt instanceof Date && row.updatedAt instanceof Date && row.createdAt > row.updatedAt) {
      [row.createdAt, row.updatedAt] = [row.updatedAt, row.createdAt];
    }
    if (object === 'custom-fields') {
      // Usable custom field definitions (an API name, one of Pardot's types): the fake then accepts
      // them in exports, as the business unit's list (see the fake's README).
      // Pardot's field id, and the v5 name an export request uses: the id plus __c (a real answer:
      // {"apiFieldId":"UniqueId__c","fieldId":"UniqueId"}, wire-contract.md).
      row.fieldId = `Query_field_${id}`;
      row.apiFieldId = `Query_field_${id}__c`;
      row.name = `Query field ${id}`;
      row.type = CUSTOM_TYPES[i % CUSTOM_TYPES.length]!;
      row.isRecordMultipleResponses = i % 5 === 4;
    }
    const parent = PARENTS[object];
    if (parent && parentIds.length > 0) row[parent.field] = parentIds[Math.floor(rnd() * parentIds.length)]!;
    // Rows hold JSON values (objects, arrays of objects) beyond CSV cells: the query side serves them as they are.
    rows.push(row as Record<string, CellValue>);
  }
  return rows;
}

/** Rows for every queryable object of the fake's v5 table (the account is the fake's account route). */
export function fakeQueryObjects(o: QueryDataOptions): Record<string, FakeQueryObject> {
  const out: Record<string, FakeQueryObject> = {};
  // Parents first, so children can point at their ids.
  const objects = Object.values(V5_OBJECTS)
    .filter((d) => !d.singleton)
    .map((d) => d.object)
    .sort((a, b) => Number(a in PARENTS) - Number(b in PARENTS));
  for (const object of objects) {
    const parent = PARENTS[object];
    const parentIds = parent ? ((out[parent.object]?.rows ?? []) as Row[]).map((r) => r.id as number) : [];
    out[object] = { rows: queryRows(object, o, parentIds) };
  }
  return out;
}
