#!/usr/bin/env node
// Generates the stream schemas and the TypeScript modules derived from them.
//   schemas/<stream>.json      one JSON Schema per stream, from ../shared/pardot/fields.json
//                              (exportable fields only); committed, so a clone needs no shared/.
//   src/generated/schemas.ts   the same schemas as data, so the code reads no files at run time
//   src/generated/spec.ts      spec.json as data
//   src/generated/types.ts     record and config types (json-schema-to-typescript)
//   schemas/<stream>.json      also one per v5 query stream, from src/v5-objects.json (the v5
//                              object table: fields, filters, sortable fields, deleted, ability,
//                              role, cursor, and the Salesforce page each came from)
//   src/generated/query-objects.ts  what each query stream may ask Pardot, derived from that table
//                              (checked: a cursor has both date filters or neither; an object with
//                              updatedAt follows updatedAt or is full refresh)
// Run: npm run gen:schemas   (test/generated.test.ts fails when these drift from their sources)
import { readFileSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { compile } from 'json-schema-to-typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const fieldsPath = process.env.PARDOT_FIELDS ?? join(root, '..', 'shared', 'pardot', 'fields.json');

export const STREAM_OBJECTS = {
  prospects: 'prospect',
  visitors: 'visitor',
  visitor_activities: 'visitorActivity',
  list_memberships: 'listMembership',
  prospect_accounts: 'prospectAccount',
  external_activities: 'externalActivity',
  deleted_prospects: 'prospect',
  deleted_visitors: 'visitor',
};

/**
 * Streams that carry only some of their object's fields (deletion captures): their schema is
 * these fields, in the field table's order.
 */
export const STREAM_FIELD_SUBSETS = {
  deleted_prospects: ['id', 'createdAt', 'updatedAt', 'isDeleted'],
  deleted_visitors: ['id', 'createdAt', 'updatedAt', 'prospectId'],
};

/**
 * Fields a stream emits that its object does not have: the connector sets them (schema keyword
 * `x-connector-value`), they are never requested from Pardot. Visitors have no isDeleted column
 * (field table), yet every stream of deleted rows declares isDeleted (always true) so that a
 * warehouse applies prospect and visitor deletions with one rule.
 */
export const CONNECTOR_FIELDS = {
  deleted_visitors: [
    {
      name: 'isDeleted',
      type: 'Boolean',
      value: true,
      description: 'Always true: every row of this stream is a deleted visitor (set by the connector; visitors have no isDeleted field in Pardot).',
    },
  ],
};

const TYPE_MAP = {
  Integer: { type: ['null', 'integer'] },
  String: { type: ['null', 'string'] },
  Boolean: { type: ['null', 'boolean'] },
  DateTime: { type: ['null', 'string'], format: 'date-time', airbyte_type: 'timestamp_with_timezone' },
  // v5 JSON types of the query objects:
  Float: { type: ['null', 'number'] },
  Date: { type: ['null', 'string'], format: 'date' },
  Enum: { type: ['null', 'string'] },
  Array: { type: ['null', 'array'] },
};

const queryTablePath = join(root, 'src', 'v5-objects.json');
const ROLES = ['dimension', 'event'];

/**
 * What a query stream may ask Pardot, derived from its table entry (src/v5-objects.json). The
 * cursor is the entry's own `cursor` (its evidence is in verification.cursor), checked here:
 * it has both `...AfterOrEqualTo`/`...BeforeOrEqualTo` filters or neither (then the reader reads
 * in id order and bounds the range itself), and an object with updatedAt follows updatedAt or
 * nothing (an editable object read by createdAt would miss every edit).
 */
export function queryDef(stream, e, assumedFilters) {
  const filters = [...new Set([...e.filters, ...(e.singleton || e.parent ? [] : assumedFilters)])];
  const columns = e.fields.filter((f) => f.type !== 'Relation');
  const names = new Set(columns.map((f) => f.name));
  const cursorField = e.cursor;
  if (cursorField === undefined) throw new Error(`v5-objects.json: ${stream} has no cursor entry (a field name, or null for full refresh)`);
  if (cursorField !== null) {
    if (!names.has(cursorField)) throw new Error(`v5-objects.json: ${stream}'s cursor ${cursorField} is not one of its fields`);
    // Both date filters (Pardot bounds the range), or neither (the reader bounds it, reading in id order).
    const bounds = [`${cursorField}AfterOrEqualTo`, `${cursorField}BeforeOrEqualTo`];
    const missing = bounds.filter((f) => !filters.includes(f));
    if (missing.length === 1) throw new Error(`v5-objects.json: ${stream}'s cursor ${cursorField} has no ${missing[0]} filter (give both date filters, or neither)`);
    if (names.has('updatedAt') && cursorField !== 'updatedAt') {
      throw new Error(`v5-objects.json: ${stream} has updatedAt, so its cursor is updatedAt or null (full refresh), not ${cursorField}`);
    }
  }
  if (!ROLES.includes(e.role)) throw new Error(`v5-objects.json: ${stream}'s role must be one of ${ROLES.join(', ')}`);
  const subFields = {};
  for (const f of columns) {
    if (f.requestBy === 'subFields') subFields[f.name] = f.properties.map((p) => `${f.name}.${p.name}`);
  }
  return {
    object: e.object,
    doc: e.doc,
    ability: e.ability,
    role: e.role,
    cursorField,
    // The (cursor, id) keyset applies: Pardot sorts on the cursor and filters on it.
    cursorSortable: cursorField !== null && e.sortable.includes(cursorField) && filters.includes(`${cursorField}AfterOrEqualTo`),
    idFilter: filters.includes('idGreaterThan'),
    sortable: e.sortable,
    filters,
    deleted: e.deleted === true,
    singleton: e.singleton === true,
    parent: e.parent ?? null,
    subFields,
    thirdPartyFields: columns.filter((f) => f.evidence !== undefined).map((f) => f.name),
  };
}

/** The JSON Schema of one field's value (nullable): sub-objects and collections with their properties. */
function valueSchema(where, f) {
  if (f.type === 'Object') {
    // An object value (e.g. an engagement studio program's schedule): emitted as Pardot sends it.
    return { type: ['null', 'object'], additionalProperties: true, ...(f.properties ? { properties: propertiesOf(where, f.properties) } : {}) };
  }
  const t = TYPE_MAP[f.type];
  if (!t) throw new Error(`unknown Pardot type ${f.type} for ${where}.${f.name}`);
  if (f.type === 'Array' && f.properties) {
    return { ...t, items: { type: ['null', 'object'], additionalProperties: true, properties: propertiesOf(where, f.properties) } };
  }
  return { ...t };
}

/**
 * Sub-field schemas. No airbyte_type inside: destinations store a sub-object as JSON, and the
 * Singer catalog drops airbyte_type from the top-level properties only.
 */
function propertiesOf(where, props) {
  return Object.fromEntries(
    props.map((p) => {
      const { airbyte_type: _a, ...t } = valueSchema(`${where}.${p.name}`, p);
      return [p.name, t];
    }),
  );
}

function schemaFor(stream, fields) {
  const properties = {};
  for (const f of fields) {
    if (f.exportable === false) continue;
    if (f.type === 'Relation') continue; // a related record (createdBy, campaign ...): its *Id column and its own stream carry it
    const t = valueSchema(stream, f);
    // Pardot publishes no nullability; every field but the primary key may be empty.
    const prop = f.name === 'id' ? { ...t, type: t.type[1] } : t;
    properties[f.name] = {
      ...prop,
      ...(f.description !== undefined ? { description: f.description } : {}),
      'x-pardot-type': f.type,
      ...('value' in f ? { 'x-connector-value': f.value } : {}),
    };
  }
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: stream,
    type: 'object',
    additionalProperties: true,
    required: ['id'],
    properties,
  };
}

const header = '// Generated by scripts/gen-schemas.mjs from schemas/*.json and spec.json. Do not edit.\n';

async function main() {
  mkdirSync(join(root, 'schemas'), { recursive: true });
  mkdirSync(join(root, 'src', 'generated'), { recursive: true });
  if (existsSync(fieldsPath)) {
    const fields = JSON.parse(readFileSync(fieldsPath, 'utf8'));
    for (const [stream, object] of Object.entries(STREAM_OBJECTS)) {
      const def = fields.objects[object];
      if (!def) throw new Error(`fields.json has no object ${object}`);
      const subset = STREAM_FIELD_SUBSETS[stream];
      const list = [...(subset ? def.fields.filter((f) => subset.includes(f.name)) : def.fields), ...(CONNECTOR_FIELDS[stream] ?? [])];
      writeFileSync(join(root, 'schemas', `${stream}.json`), JSON.stringify(schemaFor(stream, list), null, 2) + '\n');
    }
  } else {
    console.error(`note: ${fieldsPath} not found; keeping the committed schemas/*.json`);
  }
  const table = JSON.parse(readFileSync(queryTablePath, 'utf8'));
  const assumed = table.assumptions?.idFilters?.filters ?? [];
  const queryObjects = {};
  for (const [stream, e] of Object.entries(table.streams)) {
    if (stream in STREAM_OBJECTS) throw new Error(`v5-objects.json stream ${stream} clashes with an export stream`);
    writeFileSync(join(root, 'schemas', `${stream}.json`), JSON.stringify(schemaFor(stream, e.fields), null, 2) + '\n');
    queryObjects[stream] = queryDef(stream, e, assumed);
  }
  const schemas = {};
  for (const stream of [...Object.keys(STREAM_OBJECTS), ...Object.keys(table.streams)]) {
    schemas[stream] = JSON.parse(readFileSync(join(root, 'schemas', `${stream}.json`), 'utf8'));
  }
  writeFileSync(
    join(root, 'src', 'generated', 'query-objects.ts'),
    '// Generated by scripts/gen-schemas.mjs from src/v5-objects.json. Do not edit.\n' +
      `export const QUERY_OBJECTS = ${JSON.stringify(queryObjects, null, 2)} as const;\n`,
  );
  const spec = JSON.parse(readFileSync(join(root, 'spec.json'), 'utf8'));
  writeFileSync(
    join(root, 'src', 'generated', 'schemas.ts'),
    header +
      '// Each schema is JSON text, parsed on first use (JSON.parse is quicker than evaluating an object\n' +
      '// literal, and most runs touch a few streams): start-up, bench/README.md.\n' +
      'const TEXT = {\n' +
      Object.entries(schemas).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(JSON.stringify(v))},\n`).join('') +
      '};\n' +
      'export type StreamSchemaName = keyof typeof TEXT;\n' +
      'export interface StreamSchemaJson {\n  properties: Record<string, Record<string, unknown>>;\n  [key: string]: unknown;\n}\n' +
      '/** Every stream\'s JSON Schema (with the private x-pardot-type keyword), parsed when first read. */\n' +
      'export const STREAM_SCHEMAS = {} as { readonly [K in StreamSchemaName]: StreamSchemaJson };\n' +
      'for (const name of Object.keys(TEXT) as StreamSchemaName[]) {\n' +
      '  let parsed: StreamSchemaJson | undefined;\n' +
      '  Object.defineProperty(STREAM_SCHEMAS, name, { enumerable: true, get: () => (parsed ??= JSON.parse(TEXT[name]) as StreamSchemaJson) });\n' +
      '}\n',
  );
  writeFileSync(join(root, 'src', 'generated', 'spec.ts'), header + `export const SPEC = ${JSON.stringify(spec, null, 2)} as const;\n`);
  const opts = { bannerComment: '', additionalProperties: false, strictIndexSignatures: true, format: false };
  let types = header;
  for (const [stream, schema] of Object.entries(schemas)) {
    const name = stream.replace(/(^|_)(\w)/g, (_, __, c) => c.toUpperCase()) + 'Record';
    const s = { ...schema, title: name, additionalProperties: false };
    for (const p of Object.values(s.properties)) {
      delete p['x-pardot-type'];
      delete p['x-connector-value'];
    }
    types += (await compile(s, name, opts)) + '\n';
  }
  types += (await compile({ ...spec.connectionSpecification, title: 'PardotExportConfig' }, 'PardotExportConfig', { ...opts, additionalProperties: true })) + '\n';
  writeFileSync(join(root, 'src', 'generated', 'types.ts'), types);
}

// Run as a script (npm run gen:schemas); imported (tests), it only provides its functions.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
