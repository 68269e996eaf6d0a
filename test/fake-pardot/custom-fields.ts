// Custom fields of the fake business unit (issue 11): what the v5 `custom-fields` object lists,
// and how an export writes their columns. A v5 request names a custom field by its `apiFieldId`,
// the `fieldId` plus `__c` (a real custom-fields answer: {"id":20212,"apiFieldId":"UniqueId__c",
// "fieldId":"UniqueId","name":"UniqueId"}, pardot/api-docs issue 235; Pardot's own provider adds
// `__c` "to disambiguate from standard fields"). Salesforce does not document how an export heads
// a custom column nor how it writes a multi-value cell, so the fake can show each plausible form
// (`customFieldCsv`); see README.md.

import type { Column, Row } from './csv.js';
import { fieldDef, type FieldType, type ObjectName } from './fields.js';

/** The `type` values of Pardot's custom field object (custom-field-v5 reference page). */
export type FakeCustomFieldType =
  | 'Text'
  | 'Textarea'
  | 'Number'
  | 'Date'
  | 'CRM User'
  | 'Dropdown'
  | 'Radio Button'
  | 'Checkbox'
  | 'Multi-Select'
  | 'Hidden';

export const CUSTOM_FIELD_TYPES: readonly FakeCustomFieldType[] = [
  'Text',
  'Textarea',
  'Number',
  'Date',
  'CRM User',
  'Dropdown',
  'Radio Button',
  'Checkbox',
  'Multi-Select',
  'Hidden',
];

export interface FakeCustomField {
  id: number;
  /** Display name, e.g. `Region 17`. */
  name: string;
  /** Field id, e.g. `Cf_017_Region` (no `__c`): NOT what a v5 request names (see `apiFieldId`). */
  fieldId: string;
  /**
   * The name a v5 request (an export's `fields`) uses and the key of the value in a row. Leave it
   * out: it is `fieldId` + `__c`, Pardot's rule (`apiFieldIdOf`).
   */
  apiFieldId?: string;
  type: FakeCustomFieldType;
  /** "Record multiple responses" on a text field: the prospect holds a list of values. */
  isRecordMultipleResponses?: boolean;
  createdAt?: Date;
  updatedAt?: Date;
}

/** How an export writes custom columns (each form is an assumption: the docs are silent). */
export interface CustomFieldCsv {
  /**
   * Header of a custom column: the name requested (`apiFieldId`, default, e.g. `UniqueId__c`), the
   * bare `fieldId` (`UniqueId`) or the display `name`.
   */
  header?: 'apiFieldId' | 'fieldId' | 'name';
  /** A multi-value cell: values joined by `;` (default) or a JSON array text (`["a","b, c"]`). */
  multiValue?: 'semicolon' | 'json';
}

/** The name a v5 request uses for the field: `apiFieldId`, by default `fieldId` + `__c`. */
export function apiFieldIdOf(f: FakeCustomField): string {
  return f.apiFieldId ?? f.fieldId + '__c';
}

/** Multi-valued: Checkbox, Multi-Select, or a field that records multiple responses. */
export function isMultiValued(f: FakeCustomField): boolean {
  return f.type === 'Checkbox' || f.type === 'Multi-Select' || f.isRecordMultipleResponses === true;
}

/** The CSV column of a custom field (see csv.ts `rowRenderer`): the row's value under `apiFieldId`. */
export function customColumn(f: FakeCustomField, csv: CustomFieldCsv = {}): Column {
  const kind = isMultiValued(f)
    ? csv.multiValue === 'json'
      ? 'multiJson'
      : 'multiSemicolon'
    : f.type === 'Date'
      ? 'day'
      : 'plain';
  return { name: apiFieldIdOf(f), type: undefined, kind };
}

/** The header cell text of a custom column. */
export function customHeader(f: FakeCustomField, csv: CustomFieldCsv = {}): string {
  return csv.header === 'name' ? f.name : csv.header === 'fieldId' ? f.fieldId : apiFieldIdOf(f);
}

/** How the standard columns' cells are written where the pages leave a choice. */
export interface StandardCsv {
  /** externalActivity.activityDate: `YYYY-MM-DD HH:mm:ss` ('dateTime', default) or the day alone ('date'). */
  activityDateCells?: 'dateTime' | 'date';
}

/**
 * The CSV columns (how each cell is written) and header cells of an export of `object` naming
 * `names` (already valid): what the fake serves, and what the benchmark renders static files with.
 * A name that is not a standard field is looked up among `customFields` by `apiFieldId`.
 */
export function exportColumns(
  object: ObjectName,
  names: readonly string[],
  customFields: readonly FakeCustomField[] | undefined,
  csv: CustomFieldCsv = {},
  standard: StandardCsv = {},
): { columns: Column[]; header: string[] } {
  const columns: Column[] = [];
  const header: string[] = [];
  for (const name of names) {
    const def = fieldDef(object, name);
    const custom = def === undefined ? customFields?.find((f) => apiFieldIdOf(f) === name) : undefined;
    const dateOnly = object === 'externalActivity' && name === 'activityDate' && standard.activityDateCells === 'date';
    columns.push(custom ? customColumn(custom, csv) : { name, type: def?.type, ...(dateOnly ? { kind: 'date' as const } : {}) });
    header.push(custom ? customHeader(custom, csv) : name);
  }
  return { columns, header };
}

// ---------------------------------------------------------------- the v5 custom-fields object

/**
 * Fields of the v5 `custom-fields` object, as the connector's object table lists them
 * (src/v5-objects.json `custom_fields`; test/fake-custom-fields.test.ts checks they agree).
 */
export const CUSTOM_FIELD_OBJECT_FIELDS: Readonly<Record<string, FieldType | string>> = {
  id: 'Integer',
  name: 'String',
  fieldId: 'String',
  apiFieldId: 'String',
  type: 'String',
  isRecordMultipleResponses: 'Boolean',
  salesforceId: 'String',
  isUseValues: 'Boolean',
  isRequired: 'Boolean',
  isAnalyticsSynced: 'Boolean',
  createdAt: 'DateTime',
  updatedAt: 'DateTime',
  createdById: 'Integer',
  updatedById: 'Integer',
};

/** Filters the fake accepts on `custom-fields` (the table has updatedAt >=/<= and idGreaterThan). */
export const CUSTOM_FIELD_OBJECT_FILTERS: readonly string[] = [
  'idGreaterThan',
  'idGreaterThanOrEqualTo',
  'idLessThan',
  'idLessThanOrEqualTo',
  'updatedAtAfter',
  'updatedAtAfterOrEqualTo',
  'updatedAtBefore',
  'updatedAtBeforeOrEqualTo',
];
export const CUSTOM_FIELD_OBJECT_SORTABLE: readonly string[] = ['id', 'createdAt', 'updatedAt'];

/** One custom field as a record of the v5 `custom-fields` object (fields the fake does not model: null / false). */
export function customFieldRecord(f: FakeCustomField): Row {
  return {
    id: f.id,
    name: f.name,
    fieldId: f.fieldId,
    apiFieldId: apiFieldIdOf(f),
    type: f.type,
    isRecordMultipleResponses: f.isRecordMultipleResponses ?? false,
    salesforceId: null,
    isUseValues: false,
    isRequired: false,
    isAnalyticsSynced: false,
    createdAt: f.createdAt ?? null,
    updatedAt: f.updatedAt ?? null,
    createdById: null,
    updatedById: null,
  };
}
