/**
 * Fake data for every v5 query stream of the object table (src/v5-objects.json, through the
 * generated QUERY_OBJECTS and schemas): what the fake's query endpoint serves in the reader,
 * CLI and demo tests. Timestamps fall on few distinct seconds so that many records share a
 * cursor value (the (cursor, id) continuation must handle ties).
 */
import { QUERY_OBJECTS } from '../../src/generated/query-objects.js';
import { STREAM_SCHEMAS } from '../../src/generated/schemas.js';
import { prng, TRICKY_STRINGS, type FakeQueryObject, type Row } from '../fake-pardot/index.js';

export interface QueryDataOptions {
  seed?: number;
  start: Date;
  end: Date;
  /** Records per object (default 12). */
  count?: number;
  counts?: Partial<Record<keyof typeof QUERY_OBJECTS, number>>;
  /** Distinct seconds the cursor values fall on (default 5: many ties). */
  seconds?: number;
}

type Props = Record<string, { 'x-pardot-type': string; properties?: Record<string, unknown>; items?: { properties?: Record<string, unknown> } }>;

export function queryRows(stream: keyof typeof QUERY_OBJECTS, o: QueryDataOptions, parentIds: number[] = []): Row[] {
  const rnd = prng((o.seed ?? 1) * 7919 + stream.length * 131 + stream.charCodeAt(0));
  const props = (STREAM_SCHEMAS[stream] as unknown as { properties: Props }).properties;
  const count = o.counts?.[stream] ?? o.count ?? 12;
  const span = o.end.getTime() - o.start.getTime();
  const slots = Array.from({ length: o.seconds ?? 5 }, () => Math.floor((o.start.getTime() + rnd() * span) / 1000) * 1000);
  const rows: Row[] = [];
  let id = 1000 + Math.floor(rnd() * 100);
  for (let i = 0; i < count; i++) {
    id += 1 + Math.floor(rnd() * 3);
    const row: Row = {};
    for (const [name, p] of Object.entries(props)) {
      const t = p['x-pardot-type'];
      if (name === 'id') row.id = id;
      else if (t === 'DateTime') row[name] = new Date(slots[Math.floor(rnd() * slots.length)]!);
      else if (name === 'isDeleted') row.isDeleted = rnd() < 0.15;
      else if (t === 'Integer') row[name] = rnd() < 0.2 ? null : Math.floor(rnd() * 100_000);
      else if (t === 'Boolean') row[name] = rnd() < 0.5;
      else if (t === 'Float') row[name] = Math.round(rnd() * 1e6) / 100;
      else if (t === 'Date') row[name] = new Date(slots[0]!).toISOString().slice(0, 10);
      // A collection of objects (sender options ...) holds objects, other arrays strings; an Object field is an object.
      else if (t === 'Array' && p.items?.properties) row[name] = (rnd() < 0.5 ? [] : [{ type: 'general_user', address: 'a, "b"' }, { type: 'ü' }]) as unknown as string;
      else if (t === 'Array') row[name] = (rnd() < 0.5 ? [] : ['a, "b"', 'ü']) as unknown as string;
      else if (t === 'Object') row[name] = (rnd() < 0.2 ? null : { note: 'a, "b"', n: 1 }) as unknown as string;
      else row[name] = rnd() < 0.2 ? null : TRICKY_STRINGS[Math.floor(rnd() * TRICKY_STRINGS.length)]!;
    }
    // createdAt never after updatedAt.
    if (row.createdAt instanceof Date && row.updatedAt instanceof Date && row.createdAt > row.updatedAt) {
      [row.createdAt, row.updatedAt] = [row.updatedAt, row.createdAt];
    }
    if (stream === 'custom_fields') {
      // Usable custom field definitions (an API name, one of Pardot's types): the fake then accepts
      // them in exports, as the business unit's list (see the fake's README).
      const types = ['Text', 'Number', 'Date', 'Checkbox', 'Dropdown', 'Multi-Select', 'Textarea'];
      row.fieldId = `Query_field_${id}__c`;
      row.name = `Query field ${id}`;
      row.type = types[i % types.length]!;
      row.isRecordMultipleResponses = i % 5 === 4;
    }
    const parent = QUERY_OBJECTS[stream].parent;
    if (parent && parentIds.length > 0) row[parent.filter] = parentIds[Math.floor(rnd() * parentIds.length)]!;
    rows.push(row);
  }
  return rows;
}

/** One fake query object per query stream (the account is the fake's account route). */
export function fakeQueryObjects(o: QueryDataOptions): Record<string, FakeQueryObject> {
  const out: Record<string, FakeQueryObject> = {};
  const rowsOf = new Map<string, Row[]>();
  const streams = Object.keys(QUERY_OBJECTS) as (keyof typeof QUERY_OBJECTS)[];
  // Parents first, so children can point at their ids.
  streams.sort((a, b) => Number(QUERY_OBJECTS[a].parent !== null) - Number(QUERY_OBJECTS[b].parent !== null));
  for (const stream of streams) {
    const q = QUERY_OBJECTS[stream];
    if (q.singleton) continue;
    const parentIds = q.parent ? (rowsOf.get(q.parent.stream) ?? []).map((r) => r.id as number) : [];
    const rows = queryRows(stream, o, parentIds);
    rowsOf.set(stream, rows);
    const props = (STREAM_SCHEMAS[stream] as unknown as { properties: Props }).properties;
    out[q.object] = {
      fields: Object.fromEntries(Object.entries(props).map(([n, p]) => [n, p['x-pardot-type']])),
      filters: [...q.filters],
      sortable: [...q.sortable],
      deleted: q.deleted,
      rows,
    };
  }
  return out;
}
