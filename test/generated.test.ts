import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STREAM_SCHEMAS } from '../src/generated/schemas.js';
import { SPEC } from '../src/generated/spec.js';
import { EXPORT_STREAMS as STREAMS, QUERY_STREAMS } from '../src/streams.js';
import { QUERY_OBJECTS } from '../src/generated/query-objects.js';

const root = join(import.meta.dirname, '..');
const fieldsPath = join(root, '..', 'shared', 'pardot', 'fields.json');

describe('generated modules stay in sync with their sources (npm run gen:schemas)', () => {
  it('src/generated/spec.ts equals spec.json', () => {
    expect(SPEC).toEqual(JSON.parse(readFileSync(join(root, 'spec.json'), 'utf8')));
  });

  it('src/generated/schemas.ts equals schemas/*.json', () => {
    for (const name of Object.keys(STREAM_SCHEMAS)) {
      expect(STREAM_SCHEMAS[name as keyof typeof STREAM_SCHEMAS]).toEqual(JSON.parse(readFileSync(join(root, 'schemas', `${name}.json`), 'utf8')));
    }
  });

  it.runIf(existsSync(fieldsPath))('schemas hold exactly the exportable fields of the shared field tables, with their types', () => {
    const fields = JSON.parse(readFileSync(fieldsPath, 'utf8')) as {
      objects: Record<string, { fields: Array<{ name: string; type: string; exportable?: boolean }> }>;
    };
    // Deletion captures carry a subset of their object's fields (STREAM_FIELD_SUBSETS in gen-schemas.mjs).
    const subsets: Record<string, string[]> = { deleted_prospects: ['id', 'createdAt', 'updatedAt', 'isDeleted'], deleted_visitors: ['id', 'createdAt', 'updatedAt', 'prospectId'] };
    for (const s of STREAMS) {
      const want = fields.objects[s.object]!.fields
        .filter((f) => f.exportable !== false && (!subsets[s.name] || subsets[s.name]!.includes(f.name)))
        // Every field keeps the field table's type (activityDate too: DateTime, as the table says).
        .map((f) => ({ name: f.name, type: f.type }));
      expect(s.fields).toEqual(want);
    }
  });

  it('query stream schemas hold exactly the v5 table fields (related records aside), and QUERY_OBJECTS its filters, ability, role and cursor', () => {
    const table = JSON.parse(readFileSync(join(root, 'src', 'v5-objects.json'), 'utf8')) as {
      streams: Record<string, { object: string; ability: string; role: string; cursor: string | null; filters: string[]; fields: Array<{ name: string; type: string }> }>;
    };
    expect(QUERY_STREAMS.map((s) => s.name).sort()).toEqual(Object.keys(table.streams).sort());
    for (const s of QUERY_STREAMS) {
      const e = table.streams[s.name]!;
      expect(s.fields).toEqual(e.fields.filter((f) => f.type !== 'Relation').map((f) => ({ name: f.name, type: f.type })));
      expect(s.query.role).toBe(e.role);
      expect(s.cursorField).toBe(e.cursor);
      const q = QUERY_OBJECTS[s.name as keyof typeof QUERY_OBJECTS];
      expect(q.object).toBe(e.object);
      expect(q.ability).toBe(e.ability);
      for (const f of e.filters) expect(q.filters).toContain(f);
      // The cursor has both date filters, or neither (the reader then bounds it, in id order, not by the (cursor, id) keyset).
      if (s.cursorField !== null) {
        const bounds = [`${s.cursorField}AfterOrEqualTo`, `${s.cursorField}BeforeOrEqualTo`].filter((f) => (q.filters as readonly string[]).includes(f));
        expect([s.name, bounds.length]).toEqual([s.name, bounds.length === 0 ? 0 : 2]);
        if (bounds.length === 0) expect([s.name, q.cursorSortable]).toEqual([s.name, false]);
      }
    }
  });

  it('the spec marks every secret airbyte_secret and uses no anyOf/allOf', () => {
    const props = SPEC.connectionSpecification.properties as Record<string, { airbyte_secret?: boolean }>;
    for (const k of ['client_secret', 'refresh_token']) expect(props[k]!.airbyte_secret).toBe(true);
    expect(JSON.stringify(SPEC)).not.toMatch(/"(anyOf|allOf)"/);
    expect(SPEC.connectionSpecification.additionalProperties).toBe(true);
  });
});
