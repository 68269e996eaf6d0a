/**
 * The audited v5 object table (src/v5-objects.json) as the streams see it: each query stream's
 * cursor and role, how collections and object values are asked for and emitted, the fields the
 * pages omit, and the export schemas' deletion and date-time columns. Expected values are written
 * out here from the audit (the evidence for each is in the table's verification.cursor, roleWhy
 * and field `evidence`), not read from the code under test.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { QUERY_OBJECTS } from '../src/generated/query-objects.js';
import { findStream, QUERY_STREAMS, type ExportStreamDef, type QueryStreamDef } from '../src/streams.js';
import { queryDef } from '../scripts/gen-schemas.mjs';

const table = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'src', 'v5-objects.json'), 'utf8')) as {
  streams: Record<string, { roleWhy: string; verification: Record<string, string>; fields: Array<{ name: string; evidence?: string }> }>;
};

const query = (name: string) => findStream(name) as QueryStreamDef;
const exportStream = (name: string) => findStream(name) as ExportStreamDef;
type Props = Record<string, { type: unknown; format?: string; properties?: Record<string, unknown>; items?: { properties?: Record<string, unknown> } }>;
const props = (name: string) => (findStream(name)!.jsonSchema as { properties: Props }).properties;

// The audit's outcome: null = full refresh only.
const CURSORS: Record<string, string | null> = {
  account: null,
  campaigns: 'updatedAt',
  custom_fields: 'updatedAt',
  custom_redirects: null,
  dynamic_contents: 'updatedAt',
  dynamic_content_variations: null,
  emails: 'sentAt',
  email_templates: 'updatedAt',
  engagement_studio_programs: 'updatedAt',
  files: null,
  folders: null,
  folder_contents: 'updatedAt',
  forms: null,
  form_fields: 'updatedAt',
  form_handlers: null,
  form_handler_fields: null,
  landing_pages: 'updatedAt',
  layout_templates: null,
  lifecycle_histories: 'createdAt',
  lifecycle_stages: 'updatedAt',
  lists: 'updatedAt',
  list_emails: 'updatedAt',
  opportunities: 'updatedAt',
  tags: 'updatedAt',
  tagged_objects: null,
  tracker_domains: null,
  users: 'updatedAt',
  visits: 'updatedAt',
  visitor_page_views: 'createdAt',
};
const EVENTS = ['emails', 'lifecycle_histories', 'list_emails', 'visits', 'visitor_page_views'];

describe('query streams: cursor and role as audited', () => {
  it('every one of the 29 streams has the audited cursor, and full refresh only where it has none', () => {
    expect(QUERY_STREAMS.map((s) => s.name).sort()).toEqual(Object.keys(CURSORS).sort());
    for (const s of QUERY_STREAMS) {
      expect([s.name, s.cursorField]).toEqual([s.name, CURSORS[s.name]]);
      expect([s.name, s.syncModes]).toEqual([s.name, CURSORS[s.name] === null ? ['full_refresh'] : ['full_refresh', 'incremental']]);
    }
  });

  it('editable objects without updatedAt (form handlers, their fields) and tagged objects (untagging deletes rows) are full refresh', () => {
    for (const name of ['form_handlers', 'form_handler_fields', 'tagged_objects']) {
      expect(query(name).fields.map((f) => f.name)).not.toContain('updatedAt');
      expect(query(name).cursorField).toBeNull();
      expect(query(name).syncModes).toEqual(['full_refresh']);
    }
  });

  it('a stream whose object has updatedAt follows updatedAt or nothing', () => {
    for (const s of QUERY_STREAMS) {
      if (s.fields.some((f) => f.name === 'updatedAt')) expect([s.name, [null, 'updatedAt'].includes(s.cursorField)]).toEqual([s.name, true]);
    }
  });

  it('sends, visits, page views and stage changes are events; everything else is a dimension', () => {
    for (const s of QUERY_STREAMS) expect([s.name, s.query.role]).toEqual([s.name, EVENTS.includes(s.name) ? 'event' : 'dimension']);
  });

  it('each cursor and role decision says why, naming its source', () => {
    for (const [name, e] of Object.entries(table.streams)) {
      expect(e.roleWhy, name).toMatch(/\w{3,}/);
      expect(e.verification.cursor, name).toMatch(/\w{3,}/);
    }
    for (const name of ['form_handlers', 'form_handler_fields', 'tagged_objects']) {
      expect(table.streams[name]!.verification.cursor).toMatch(/was incremental on createdAt/);
    }
    expect(table.streams.form_handlers!.verification.cursor).toContain('https://developer.salesforce.com/docs/marketing/pardot/guide/form-handler-v5.html');
  });
});

describe('the generator checks the table (scripts/gen-schemas.mjs queryDef)', () => {
  const entry = (over: Record<string, unknown>) => ({
    object: 'things',
    doc: 'https://example.invalid/thing-v5.html',
    ability: 'View',
    role: 'dimension',
    cursor: 'updatedAt',
    fields: [
      { name: 'id', type: 'Integer' },
      { name: 'createdAt', type: 'DateTime' },
      { name: 'updatedAt', type: 'DateTime' },
      { name: 'createdBy', type: 'Relation', object: 'User' },
    ],
    sortable: ['id', 'updatedAt'],
    filters: ['updatedAtAfterOrEqualTo', 'updatedAtBeforeOrEqualTo', 'createdAtAfterOrEqualTo', 'createdAtBeforeOrEqualTo'],
    deleted: false,
    ...over,
  });

  it('takes a well-formed entry: its cursor, role, sub-fields and third-party fields', () => {
    const def = queryDef('things', entry({ fields: [...entry({}).fields, { name: 'opts', type: 'Array', requestBy: 'subFields', properties: [{ name: 'a', type: 'String' }], evidence: 'third-party: x' }] }), ['idGreaterThan']);
    expect(def).toMatchObject({ cursorField: 'updatedAt', cursorSortable: true, role: 'dimension', idFilter: true, subFields: { opts: ['opts.a'] }, thirdPartyFields: ['opts'] });
    expect(queryDef('things', entry({ cursor: null }), []).cursorField).toBeNull();
  });

  it('refuses a createdAt cursor on an object that has updatedAt', () => {
    expect(() => queryDef('things', entry({ cursor: 'createdAt' }), [])).toThrow(/things has updatedAt, so its cursor is updatedAt or null/);
  });

  it('takes a cursor without date filters (the reader bounds it in id order): not the (cursor, id) keyset, though the cursor is sortable', () => {
    const def = queryDef('things', entry({ filters: [] }), ['idGreaterThan']);
    expect(def).toMatchObject({ cursorField: 'updatedAt', cursorSortable: false, filters: ['idGreaterThan'] });
  });

  it('refuses a cursor with one date filter of two, a cursor that is not a field, a missing cursor entry and an unknown role', () => {
    expect(() => queryDef('things', entry({ filters: ['updatedAtAfterOrEqualTo'] }), [])).toThrow(/no updatedAtBeforeOrEqualTo filter/);
    expect(() => queryDef('things', entry({ cursor: 'sentAt' }), [])).toThrow(/sentAt is not one of its fields/);
    expect(() => queryDef('things', entry({ cursor: undefined }), [])).toThrow(/has no cursor entry/);
    expect(() => queryDef('things', entry({ role: 'fact' }), [])).toThrow(/role must be one of dimension, event/);
  });
});

describe('fields: collections, object values, gaps in the pages', () => {
  const SENDER = ['type', 'address', 'name', 'userId', 'prospectCustomFieldId', 'accountCustomFieldId'];
  const REPLY_TO = ['type', 'address', 'userId', 'prospectCustomFieldId', 'accountCustomFieldId'];

  it('sender and reply-to options are asked by sub-field (a whole collection is refused) and emitted as arrays of objects', () => {
    for (const name of ['emails', 'list_emails', 'email_templates'] as const) {
      expect(QUERY_OBJECTS[name].subFields).toEqual({
        senderOptions: SENDER.map((f) => `senderOptions.${f}`),
        replyToOptions: REPLY_TO.map((f) => `replyToOptions.${f}`),
      });
      const p = props(name);
      expect(p.senderOptions!.type).toEqual(['null', 'array']);
      expect(Object.keys(p.senderOptions!.items!.properties!)).toEqual(SENDER);
      expect(Object.keys(p.replyToOptions!.items!.properties!)).toEqual(REPLY_TO);
    }
  });

  it('no stream asks for a collection of objects whole', () => {
    for (const s of QUERY_STREAMS) {
      for (const [field, p] of Object.entries(props(s.name))) {
        if (p.items?.properties) expect([s.name, field, field in s.query.subFields]).toEqual([s.name, field, true]);
      }
    }
  });

  it('list emails read isOperational (the current page), not operationalEmail, and leave out the recipient and suppression list collections', () => {
    const names = query('list_emails').fields.map((f) => f.name);
    expect(names).toContain('isOperational');
    for (const gone of ['operationalEmail', 'recipientLists', 'suppressionLists', 'textMessage', 'htmlMessage']) expect(names).not.toContain(gone);
  });

  it('users carry lastName and custom fields apiFieldId, both marked as known from outside their pages', () => {
    expect(query('users').fields).toContainEqual({ name: 'lastName', type: 'String' });
    expect(query('users').query.thirdPartyFields).toEqual(['lastName']);
    expect(query('custom_fields').fields).toContainEqual({ name: 'apiFieldId', type: 'String' });
    expect(query('custom_fields').query.thirdPartyFields).toContain('apiFieldId');
    const evidence = (s: string, f: string) => table.streams[s]!.fields.find((x) => x.name === f)!.evidence;
    expect(evidence('users', 'lastName')).toMatch(/^third-party: /);
    expect(evidence('custom_fields', 'apiFieldId')).toMatch(/^third-party: /);
  });

  it("engagement studio programs' businessHours, schedule and prospectsMultipleEntry are emitted as objects", () => {
    const s = query('engagement_studio_programs');
    for (const f of ['businessHours', 'schedule', 'prospectsMultipleEntry']) expect(s.fields).toContainEqual({ name: f, type: 'Object' });
    const p = props('engagement_studio_programs');
    expect(p.businessHours).toMatchObject({ type: ['null', 'object'], additionalProperties: true });
    expect(Object.keys(p.businessHours!.properties!)).toEqual(['days', 'startTime', 'endTime', 'timezone']);
    expect(Object.keys(p.schedule!.properties!)).toEqual(['createdAt', 'startOn', 'stopOn']);
    expect(Object.keys(p.prospectsMultipleEntry!.properties!)).toEqual(['maximumEntries', 'minimumDurationInDays']);
  });

  it('related records (createdBy, campaign ...) are not columns: their id columns are', () => {
    expect(Object.keys(props('campaigns'))).not.toContain('createdBy');
    expect(Object.keys(props('campaigns'))).toContain('createdById');
    expect(Object.keys(props('lifecycle_histories'))).not.toContain('nextStage');
  });
});

describe('export stream schemas', () => {
  it("external activities' activityDate is a date-time, as the field table types it", () => {
    expect(props('external_activities').activityDate).toMatchObject({ type: ['null', 'string'], format: 'date-time' });
    expect(exportStream('external_activities').fields).toContainEqual({ name: 'activityDate', type: 'DateTime' });
  });

  it('both streams of deleted rows declare isDeleted; deleted visitors get it from the connector, never from Pardot', () => {
    for (const name of ['deleted_prospects', 'deleted_visitors']) expect(props(name).isDeleted).toMatchObject({ type: ['null', 'boolean'] });
    const dv = exportStream('deleted_visitors');
    // Visitors have no isDeleted column: asking the Export API for it would be refused.
    expect(dv.fields.map((f) => f.name)).toEqual(['id', 'createdAt', 'prospectId', 'updatedAt']);
    expect(dv.automaticFields).not.toContain('isDeleted');
    expect(dv.constants).toEqual({ isDeleted: true });
    expect(JSON.stringify(dv.jsonSchema)).not.toContain('x-connector-value');
    expect(exportStream('deleted_prospects').constants).toEqual({});
  });
});
