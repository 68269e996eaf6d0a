/**
 * Custom fields by their v5 name (custom-fields `apiFieldId`: `fieldId` plus `__c`; a real answer:
 * {"id":20212,"apiFieldId":"UniqueId__c","fieldId":"UniqueId","name":"UniqueId"}): how Pardot's
 * list, the custom_fields setting and a saved catalog name a field, which CSV headers are the
 * field, how drift and a refused field compare, and what becomes of a catalog an earlier version
 * saved. Every expected name is written out by hand.
 */
import { describe, expect, it } from 'vitest';
import {
  customFieldOfProperty,
  customFieldProperty,
  customFieldsOfRecords,
  customFieldsOfSetting,
  v5CustomFieldName,
  withCatalogCustomFields,
  withCustomFields,
} from '../src/custom-fields.js';
import type { Config } from '../src/config.js';
import { ConnectorError } from '../src/errors.js';
import { extractCsv, type ExtractOptions } from '../src/extract/index.js';
import type { ObjectQueryPage, PardotApi, QueryNext, QueryRequest } from '../src/pardot/types.js';
import { parseAirbyteCatalog } from '../src/protocol/catalog.js';
import { buildSingerCatalog, parseSingerCatalog } from '../src/protocol/singer-catalog.js';
import { EXPORT_STREAMS, type ExportStreamDef, type FieldDef } from '../src/streams.js';
import { discoverStreams, dropRemovedCustomFields, readCustomFields } from '../src/sync/custom-fields.js';
import { droppableField } from '../src/sync/export-plan.js';

const prospects = EXPORT_STREAMS.find((s) => s.name === 'prospects') as ExportStreamDef;

describe('the v5 name of a custom field', () => {
  it.each([
    ['Partner_Level', 'Partner_Level__c'],
    ['Partner_Level__c', 'Partner_Level__c'],
    ['UniqueId', 'UniqueId__c'],
    ['Legacy__C', 'Legacy__C'],
    ['a_c', 'a_c__c'],
  ])('%s -> %s', (given, v5) => {
    expect(v5CustomFieldName(given)).toBe(v5);
  });

  it("Pardot's list: apiFieldId, else fieldId plus __c (not doubled); a record with neither is skipped", () => {
    const fields = customFieldsOfRecords([
      { id: 20212, apiFieldId: 'UniqueId__c', fieldId: 'UniqueId', name: 'UniqueId', type: 'Text' },
      { id: 2, apiFieldId: '', fieldId: 'Partner_Level', name: 'Partner Level', type: 'Number' },
      { id: 3, fieldId: 'Region', name: 'Region', type: 'Dropdown' },
      { id: 4, fieldId: 'Already__c', name: 'Already', type: 'Text' },
      { id: 5, apiFieldId: 'Only_Api__c', name: 'Only API', type: 'Text' },
      { id: 6, apiFieldId: '', fieldId: '', name: 'Nameless' },
    ]);
    expect(fields.map((f) => [f.name, f.fieldId, f.label])).toEqual([
      ['UniqueId__c', 'UniqueId', 'UniqueId'],
      ['Partner_Level__c', 'Partner_Level', 'Partner Level'],
      ['Region__c', 'Region', 'Region'],
      ['Already__c', 'Already__c', 'Already'],
      ['Only_Api__c', 'Only_Api', 'Only API'],
    ]);
  });

  it('the custom_fields setting: Partner_Level and Partner_Level__c both mean Partner_Level__c', () => {
    const fields = customFieldsOfSetting([{ name: 'Partner_Level', type: 'Number' }, { name: 'Partner_Level__c', type: 'Number' }, { name: 'Size', object: 'prospect_account' }]);
    expect(fields.map((f) => [f.object, f.name, f.fieldId])).toEqual([
      ['prospect', 'Partner_Level__c', 'Partner_Level'],
      ['prospect', 'Partner_Level__c', 'Partner_Level'],
      ['prospectAccount', 'Size__c', 'Size'],
    ]);
  });

  it("discover's schema and fields: the v5 name, with the fieldId and display name as the CSV headers it may also come under", () => {
    const [level] = customFieldsOfRecords([{ id: 2, fieldId: 'Partner_Level', apiFieldId: 'Partner_Level__c', name: 'Partner Level', type: 'Number' }]);
    const ext = withCustomFields(prospects, [level!]);
    expect(ext.fields.at(-1)).toEqual({ name: 'Partner_Level__c', type: 'Number', custom: true, aliases: ['Partner_Level', 'Partner Level'] });
    expect((ext.jsonSchema.properties as Record<string, unknown>)['Partner_Level__c']).toEqual({
      type: ['null', 'number'],
      title: 'Partner Level',
      'x-pardot-type': 'Number',
      'x-pardot-custom': true,
      'x-pardot-field-id': 'Partner_Level',
    });
    // A catalog built from it gives the read the same field back, under the same name.
    expect(withCatalogCustomFields(prospects, ext.jsonSchema.properties as Record<string, unknown>).fields.at(-1)).toEqual(ext.fields.at(-1));
  });
});

describe('CSV headers of a custom column', () => {
  const fields: FieldDef[] = [
    { name: 'id', type: 'Integer' },
    { name: 'Partner_Level__c', type: 'Number', custom: true, aliases: ['Partner_Level', 'Partner Level'] },
  ];
  const opts: ExtractOptions = { stream: 'prospects', exportId: '7', file: 'f1', fields, timezone: 'UTC', multiValue: { separator: ';', jsonArray: true } };
  it.each([['Partner_Level__c'], ['Partner_Level'], ['Partner Level']])('a column headed %j is the field, keyed by its v5 name', async (header) => {
    const lines: string[] = [];
    async function* one() {
      yield `id,${header}\n1,3\n`;
    }
    for await (const b of extractCsv(one(), opts)) lines.push(...b.lines);
    expect(lines.map((l) => JSON.parse(l))).toEqual([{ id: 1, Partner_Level__c: 3 }]);
  });
});

describe('a catalog saved by an earlier version (custom fields named by fieldId)', () => {
  // What discover wrote before: the property under the fieldId, no x-pardot-field-id.
  const legacyProperty = { type: ['null', 'number'], title: 'Partner Level', 'x-pardot-type': 'Number', 'x-pardot-custom': true };

  it('its property is the __c field, selected by the old name', () => {
    expect(customFieldOfProperty('Partner_Level', legacyProperty)).toEqual({
      name: 'Partner_Level__c',
      type: 'Number',
      custom: true,
      aliases: ['Partner_Level', 'Partner Level'],
      legacyName: 'Partner_Level',
    });
    // A name that already had the suffix is the same name in both versions.
    expect(customFieldOfProperty('Region__c', { type: ['null', 'string'], 'x-pardot-custom': true })).toEqual({ name: 'Region__c', type: 'String', custom: true, aliases: ['Region'] });
  });

  it('Airbyte: the configured stream requests and emits Partner_Level__c', () => {
    const [cs] = parseAirbyteCatalog({
      streams: [
        {
          stream: { name: 'prospects', json_schema: { properties: { id: {}, updatedAt: {}, email: {}, Partner_Level: legacyProperty } }, supported_sync_modes: ['incremental'] },
          sync_mode: 'incremental',
          destination_sync_mode: 'append',
        },
      ],
    });
    expect(cs!.fields.map((f) => f.name)).toContain('Partner_Level__c');
    expect(cs!.fields.map((f) => f.name)).not.toContain('Partner_Level');
    expect(Object.keys((cs!.stream.jsonSchema as { properties: object }).properties)).toContain('Partner_Level__c');
  });

  it('Singer: a field selected in metadata by its old name is selected', () => {
    const singer = {
      streams: [
        {
          tap_stream_id: 'prospects',
          schema: { type: 'object', properties: { id: {}, updatedAt: {}, Partner_Level: legacyProperty, Other: { ...legacyProperty, title: 'Other' } } },
          metadata: [
            { breadcrumb: [], metadata: { selected: true, 'replication-method': 'INCREMENTAL' } },
            { breadcrumb: ['properties', 'Partner_Level'], metadata: { selected: true } },
            { breadcrumb: ['properties', 'Other'], metadata: { selected: false } },
          ],
        },
      ],
    };
    const [cs] = parseSingerCatalog(singer);
    expect(cs!.fields.map((f) => f.name)).toEqual(['id', 'updatedAt', 'Partner_Level__c']);
  });

  it('a read WARNs once per stream, naming old and new names and how to refresh the catalog', async () => {
    const [cs] = parseAirbyteCatalog({
      streams: [{ stream: { name: 'prospects', json_schema: { properties: { id: {}, Partner_Level: legacyProperty } }, supported_sync_modes: ['incremental'] }, sync_mode: 'incremental', destination_sync_mode: 'append' }],
    });
    const logs: string[] = [];
    const api = listingApi([{ id: 1, fieldId: 'Partner_Level', apiFieldId: 'Partner_Level__c', name: 'Partner Level', type: 'Number' }]);
    await dropRemovedCustomFields([cs!], api, noSetting, (l, m) => logs.push(`${l} ${m}`));
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/^WARN prospects: the catalog names custom field\(s\) Partner_Level \(now Partner_Level__c\) as an earlier version .*Refresh the catalog \(source-pardot-export catalog, or discover\)/);
    // Still listed by Pardot under its v5 name: kept.
    expect(cs!.fields.map((f) => f.name)).toContain('Partner_Level__c');
  });
});

const noSetting = { customFields: [] } as unknown as Config;

/** A PardotApi whose custom-fields object lists `records` (one page); queryPage calls are recorded. */
function listingApi(records: Record<string, unknown>[], fail?: (req: QueryRequest | QueryNext, n: number) => ConnectorError | null): PardotApi & { asked: Array<QueryRequest | QueryNext> } {
  const asked: Array<QueryRequest | QueryNext> = [];
  const api = {
    asked,
    async queryPage(req: QueryRequest | QueryNext): Promise<ObjectQueryPage> {
      asked.push(req);
      const e = fail?.(req, asked.length);
      if (e) throw e;
      return { values: records, nextPageToken: null, capped: false, warnings: [] };
    },
  };
  return api as unknown as PardotApi & { asked: Array<QueryRequest | QueryNext> };
}

describe('reading the list and comparing by the v5 name', () => {
  it('asks for apiFieldId; where Pardot refuses it as a field, asks again without it and names each fieldId__c', async () => {
    const refused = new ConnectorError('PARDOT_INVALID_FIELD', 'Pardot refused a field', { failureType: 'config_error', context: { field: 'apiFieldId' } });
    const api = listingApi([{ id: 1, fieldId: 'Partner_Level', name: 'Partner Level', type: 'Number' }], (_r, n) => (n === 1 ? refused : null));
    const list = await readCustomFields(api);
    expect(list).toMatchObject({ readable: true, fields: [{ name: 'Partner_Level__c', fieldId: 'Partner_Level' }] });
    expect(api.asked.map((r) => r.fields.includes('apiFieldId'))).toEqual([true, false]);
  });

  it('a page that timed out is asked again from the start with half the limit', async () => {
    const timeout = new ConnectorError('PARDOT_QUERY_TIMEOUT', 'timed out', { failureType: 'transient_error' });
    const api = listingApi([{ id: 1, fieldId: 'A', apiFieldId: 'A__c', type: 'Text' }], (_r, n) => (n <= 2 ? timeout : null));
    expect(await readCustomFields(api)).toMatchObject({ readable: true, fields: [{ name: 'A__c' }] });
    expect(api.asked.map((r) => ('limit' in r ? r.limit : null))).toEqual([1000, 500, 250]);
  });

  it('drift: a selected field Pardot lists only by fieldId is kept; one it no longer lists is dropped with a WARN', async () => {
    const ext = withCustomFields(prospects, customFieldsOfSetting([{ name: 'Partner_Level' }, { name: 'Gone' }]));
    const [cs] = parseAirbyteCatalog({
      streams: [{ stream: { name: 'prospects', json_schema: ext.jsonSchema, supported_sync_modes: ['incremental'] }, sync_mode: 'incremental', destination_sync_mode: 'append' }],
    });
    const logs: string[] = [];
    await dropRemovedCustomFields([cs!], listingApi([{ id: 1, fieldId: 'Partner_Level', name: 'Partner Level', type: 'Text' }]), noSetting, (l, m) => logs.push(`${l} ${m}`));
    const custom = cs!.fields.filter((f) => f.name.endsWith('__c')).map((f) => f.name);
    expect(custom).toEqual(['Partner_Level__c']);
    expect(logs).toEqual([expect.stringMatching(/^WARN prospects: custom field\(s\) Gone__c selected in the catalog are no longer in Pardot's custom field list/)]);
  });

  it('discover emits Pardot\'s fields and the setting\'s under their v5 names, one field for both spellings', async () => {
    const api = listingApi([{ id: 1, fieldId: 'Partner_Level', apiFieldId: 'Partner_Level__c', name: 'Partner Level', type: 'Number' }]);
    const config = { customFields: customFieldsOfSetting([{ name: 'Partner_Level__c', type: 'Text' }, { name: 'Extra' }]) } as unknown as Config;
    const streams = await discoverStreams(api, config, () => {});
    const p = streams.find((s) => s.name === 'prospects')!;
    const custom = Object.entries((p.jsonSchema as { properties: Record<string, Record<string, unknown>> }).properties).filter(([, v]) => v['x-pardot-custom'] === true);
    expect(custom.map(([k, v]) => [k, v['x-pardot-type']])).toEqual([
      ['Partner_Level__c', 'Number'],
      ['Extra__c', 'Text'],
    ]);
    // The Singer catalog's metadata names them so too.
    const singer = buildSingerCatalog([p]).streams[0] as { metadata: Array<{ breadcrumb: string[] }> };
    expect(singer.metadata.map((m) => m.breadcrumb.join('.'))).toEqual(expect.arrayContaining(['properties.Partner_Level__c', 'properties.Extra__c']));
  });

  it('a custom field Pardot refuses in an export is droppable under its v5 name', () => {
    const fields: FieldDef[] = [
      { name: 'id', type: 'Integer' },
      { name: 'updatedAt', type: 'DateTime' },
      { name: 'Partner_Level__c', type: 'Number', custom: true },
    ];
    const refused = (field: string) => new ConnectorError('PARDOT_INVALID_FIELD', 'refused', { failureType: 'config_error', context: { field } });
    expect(droppableField(refused('Partner_Level__c'), prospects, fields)).toBe('Partner_Level__c');
    expect(droppableField(refused('id'), prospects, fields)).toBeNull();
  });

  it("customFieldProperty writes the field's fieldId, the mark of a catalog that names fields by their v5 name", () => {
    const [cf] = customFieldsOfSetting([{ name: 'Region' }]);
    expect(customFieldProperty(cf!)).toEqual({ type: ['null', 'string'], 'x-pardot-type': 'Text', 'x-pardot-custom': true, 'x-pardot-field-id': 'Region' });
  });
});
