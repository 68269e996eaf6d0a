/**
 * Custom fields as DATA: what a business unit's custom field is (from the v5 custom-fields object,
 * or the `custom_fields` setting), how it types, and how it extends an export stream's fields and
 * JSON schema. Pure functions; reading them from Pardot is the sync core's (sync/custom-fields.ts).
 *
 * A custom field's schema property carries where it came from:
 *   { "type": ["null", "number"], "x-pardot-type": "Number", "x-pardot-custom": true, "title": "Partner Level" }
 * and a catalog built from discover carries those properties back, so a read knows each selected
 * custom field and its conversion from the catalog alone (the JSON type decides the conversion).
 */
import { configError } from './errors.js';
import { CUSTOM_FIELD_SUFFIX, CUSTOM_FIELD_TYPES, type PardotObject } from './pardot/wire.js';
import type { ExportStreamDef, FieldDef, PardotType } from './streams.js';

export interface CustomField {
  /** The export object whose rows carry it. */
  object: PardotObject;
  /**
   * Its v5 name (custom-fields `apiFieldId`, `fieldId` plus `__c`): the key it is requested and
   * emitted under.
   */
  name: string;
  /** custom-fields `fieldId` (the name without `__c`): a header its CSV column may come under. */
  fieldId: string;
  /** Display name (custom-fields `name`), when known. */
  label: string | null;
  /** Pardot's type as the custom-fields object names it (Text, Number, Date, Checkbox, Multi-Select, ...). */
  pardotType: string;
  /** isRecordMultipleResponses: the field keeps every response (multi-valued whatever its type). */
  multiple: boolean;
}

/** Export streams that carry an object's custom fields (deletion captures stay id-only). */
export const CUSTOM_FIELD_STREAMS: Readonly<Partial<Record<PardotObject, string>>> = {
  prospect: 'prospects',
  prospectAccount: 'prospect_accounts',
};

/**
 * A custom field's v5 name from a name given without or with the suffix: `Partner_Level` and
 * `Partner_Level__c` are both `Partner_Level__c` (a suffix in any case is not doubled).
 */
export function v5CustomFieldName(name: string): string {
  return hasSuffix(name) ? name : `${name}${CUSTOM_FIELD_SUFFIX}`;
}

/** The `fieldId` a v5 name stands for: the name without its suffix. */
export function fieldIdOf(v5Name: string): string {
  return hasSuffix(v5Name) && v5Name.length > CUSTOM_FIELD_SUFFIX.length ? v5Name.slice(0, -CUSTOM_FIELD_SUFFIX.length) : v5Name;
}

function hasSuffix(name: string): boolean {
  return name.toLowerCase().endsWith(CUSTOM_FIELD_SUFFIX);
}

/** Header texts other than its v5 name that a custom field's CSV column may come under (CUSTOM_FIELD_HEADER_ALIASES). */
function headerAliases(name: string, fieldId: string, label: string | null): string[] {
  return [...new Set([fieldId, label ?? ''])].filter((a) => a !== '' && a !== name);
}

/** The conversion of a custom field's cells. Unknown Pardot types read as text. */
export function customKind(cf: Pick<CustomField, 'pardotType' | 'multiple'>): Extract<PardotType, 'String' | 'Number' | 'Date' | 'Multi'> {
  if (cf.multiple) return 'Multi';
  return CUSTOM_FIELD_TYPES[cf.pardotType] ?? 'String';
}

/** The JSON schema property of a custom field (nullable; where it came from in x-pardot-*). */
export function customFieldProperty(cf: CustomField): Record<string, unknown> {
  const kind = customKind(cf);
  const type =
    kind === 'Multi'
      ? { type: ['null', 'array'], items: { type: 'string' } }
      : kind === 'Number'
        ? { type: ['null', 'number'] }
        : kind === 'Date'
          ? { type: ['null', 'string'], format: 'date' }
          : { type: ['null', 'string'] };
  return {
    ...type,
    ...(cf.label ? { title: cf.label } : {}),
    'x-pardot-type': cf.pardotType,
    ...(cf.multiple ? { 'x-pardot-multiple': true } : {}),
    'x-pardot-custom': true,
    // Written by versions that name custom fields by their v5 name: a catalog without it is older.
    'x-pardot-field-id': cf.fieldId,
  };
}

/**
 * A custom field's CSV conversion from its schema property (a catalog's), or null when not a custom
 * field's. A property an earlier version wrote (no `x-pardot-field-id`) named the field by its
 * `fieldId`: it is the v5-named field, with `legacyName` the name that catalog selects it by.
 */
export function customFieldOfProperty(name: string, p: unknown): FieldDef | null {
  if (typeof p !== 'object' || p === null || (p as Record<string, unknown>)['x-pardot-custom'] !== true) return null;
  const prop = p as Record<string, unknown>;
  const written = prop['x-pardot-field-id'];
  const fieldId = typeof written === 'string' && written !== '' ? written : fieldIdOf(name);
  const v5Name = typeof written === 'string' ? name : v5CustomFieldName(name);
  const types = Array.isArray(prop.type) ? prop.type : [prop.type];
  const type: PardotType = types.includes('array')
    ? 'Multi'
    : types.includes('number') || types.includes('integer')
      ? 'Number'
      : prop.format === 'date'
        ? 'Date'
        : 'String';
  const aliases = headerAliases(v5Name, fieldId, typeof prop.title === 'string' ? prop.title : null);
  return { name: v5Name, type, custom: true, ...(aliases.length > 0 ? { aliases } : {}), ...(v5Name !== name ? { legacyName: name } : {}) };
}

/**
 * Pardot's custom field records (v5 custom-fields) as CustomFields of `object`, named by
 * `apiFieldId`, or `fieldId` plus `__c` where it is absent or empty; records with neither are skipped.
 */
export function customFieldsOfRecords(records: readonly Record<string, unknown>[], object: PardotObject = 'prospect'): CustomField[] {
  const out: CustomField[] = [];
  for (const r of records) {
    const apiFieldId = typeof r.apiFieldId === 'string' ? r.apiFieldId : '';
    const fieldId = typeof r.fieldId === 'string' ? r.fieldId : '';
    const name = apiFieldId !== '' ? apiFieldId : fieldId !== '' ? v5CustomFieldName(fieldId) : '';
    if (name === '') continue;
    out.push({
      object,
      name,
      fieldId: fieldId !== '' ? fieldId : fieldIdOf(name),
      label: typeof r.name === 'string' && r.name !== '' ? r.name : null,
      pardotType: typeof r.type === 'string' ? r.type : 'Text',
      multiple: r.isRecordMultipleResponses === true,
    });
  }
  return out;
}

/** One entry of the `custom_fields` setting (validated by the config schema). */
export interface CustomFieldSetting {
  name: string;
  type?: string;
  object?: 'prospect' | 'prospect_account';
  multiple?: boolean;
  label?: string;
}

/**
 * The `custom_fields` setting as CustomFields (its `object` defaults to prospect). A `name` is the
 * field's v5 name with or without its suffix: `Partner_Level` and `Partner_Level__c` are one field.
 */
export function customFieldsOfSetting(entries: readonly CustomFieldSetting[] | undefined): CustomField[] {
  return (entries ?? []).map((e) => {
    const type = e.type ?? 'Text';
    if (!(type in CUSTOM_FIELD_TYPES)) {
      throw configError(
        'CONFIG_INVALID',
        `config 'custom_fields': field '${e.name}' has type '${type}'; use one of ${Object.keys(CUSTOM_FIELD_TYPES).join(', ')} (Pardot's custom field types).`,
        { field: 'custom_fields' },
      );
    }
    return {
      object: e.object === 'prospect_account' ? 'prospectAccount' : 'prospect',
      name: v5CustomFieldName(e.name),
      fieldId: fieldIdOf(e.name),
      label: e.label ?? null,
      pardotType: type,
      multiple: e.multiple === true,
    };
  });
}

/**
 * Merges custom field lists, the first naming a field winning (Pardot's list before the setting's).
 */
export function mergeCustomFields(...lists: readonly CustomField[][]): CustomField[] {
  const seen = new Set<string>();
  const out: CustomField[] = [];
  for (const list of lists) {
    for (const cf of list) {
      const key = `${cf.object}\u0000${cf.name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(cf);
    }
  }
  return out;
}

/**
 * The export stream with custom fields added (after its standard fields, in the given order) to
 * its fields and its JSON schema. A custom field named like a standard field is left out, through
 * `skipped` (the caller warns).
 */
export function withCustomFields(stream: ExportStreamDef, customs: readonly CustomField[], skipped?: (cf: CustomField) => void): ExportStreamDef {
  const mine = customs.filter((cf) => CUSTOM_FIELD_STREAMS[cf.object] === stream.name);
  if (mine.length === 0) return stream;
  const names = new Set(stream.fields.map((f) => f.name));
  const fields: FieldDef[] = [...stream.fields];
  const schema = stream.jsonSchema as { properties: Record<string, unknown> } & Record<string, unknown>;
  const properties: Record<string, unknown> = { ...schema.properties };
  for (const cf of mine) {
    if (names.has(cf.name)) {
      skipped?.(cf);
      continue;
    }
    names.add(cf.name);
    const aliases = headerAliases(cf.name, cf.fieldId, cf.label);
    fields.push({ name: cf.name, type: customKind(cf), custom: true, ...(aliases.length > 0 ? { aliases } : {}) });
    properties[cf.name] = customFieldProperty(cf);
  }
  return { ...stream, fields, jsonSchema: { ...schema, properties } };
}

/**
 * The export stream extended by the custom fields a catalog's schema declares (properties with
 * `x-pardot-custom: true`, as discover wrote them), so that a read converts each as discovered.
 */
export function withCatalogCustomFields(stream: ExportStreamDef, properties: Record<string, unknown> | undefined): ExportStreamDef {
  if (!properties || !CUSTOM_FIELD_STREAMS_BY_NAME.has(stream.name)) return stream;
  const names = new Set(stream.fields.map((f) => f.name));
  const extra: FieldDef[] = [];
  const props: Record<string, unknown> = {};
  for (const [name, p] of Object.entries(properties)) {
    const f = customFieldOfProperty(name, p);
    if (f === null || names.has(f.name)) continue;
    names.add(f.name);
    extra.push(f);
    props[f.name] = p;
  }
  if (extra.length === 0) return stream;
  const schema = stream.jsonSchema as { properties: Record<string, unknown> } & Record<string, unknown>;
  return { ...stream, fields: [...stream.fields, ...extra], jsonSchema: { ...schema, properties: { ...schema.properties, ...props } } };
}

const CUSTOM_FIELD_STREAMS_BY_NAME: ReadonlySet<string> = new Set(Object.values(CUSTOM_FIELD_STREAMS));

/** Whether an export stream can carry custom fields. */
export function takesCustomFields(streamName: string): boolean {
  return CUSTOM_FIELD_STREAMS_BY_NAME.has(streamName);
}
