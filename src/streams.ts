/**
 * The streams as DATA. A stream is a row: its source kind (`export`: the bulk Export API's
 * windows; `query`: v5 object query pages) and what that kind needs to read it. One reader per
 * kind serves every stream of that kind. Field names and types come from schemas/*.json
 * (generated from the field tables: ../shared/pardot/fields.json for the export objects,
 * src/v5-objects.json for the v5 query objects), so the schema is the single source of what a
 * stream emits and how it is typed.
 *
 * The catalog model (ConfiguredStream) lives here too, below the sync core and the protocol
 * adapters, which both use it.
 */
import { QUERY_OBJECTS } from './generated/query-objects.js';
import { STREAM_SCHEMAS } from './generated/schemas.js';
import { MAX_FIELDS_PER_EXPORT, PROCEDURES, type PardotObject } from './pardot/wire.js';

/**
 * Which rows an export stream asks for, where its procedure takes a deleted filter:
 * - 'config': all rows (live and deleted) when include_deleted is on, else Pardot's default (live);
 *   only for objects whose rows carry `isDeleted`, which is then always requested and emitted.
 * - 'live': never sent (Pardot's default: live rows), for objects without an isDeleted column.
 * - 'only': deleted rows only (the deletion captures).
 */
export type DeletedMode = 'config' | 'live' | 'only';

/**
 * The Export API's CSV types (what the CSV extraction converts). 'Date': a calendar date with no
 * time or zone. Custom fields add 'Number' (a decimal number) and 'Multi' (a multi-valued cell,
 * emitted as an array of strings; see MULTI_VALUE_CELL in pardot/wire.ts).
 */
export type PardotType = 'Integer' | 'String' | 'Boolean' | 'DateTime' | 'Date' | 'Number' | 'Multi';
/**
 * Every field type of a stream: v5 query objects also have Float, Enum, Array and Object fields
 * (JSON values; an Object field, e.g. an engagement studio program's schedule, is emitted as the
 * JSON object Pardot sends).
 */
export type FieldType = PardotType | 'Float' | 'Enum' | 'Array' | 'Object';

export interface FieldDef {
  name: string;
  type: PardotType;
  /** A custom field (its name is the v5 name, custom-fields `apiFieldId`). */
  custom?: boolean;
  /** Other header texts the field's CSV column may come under (a custom field's `fieldId` and display name). */
  aliases?: readonly string[];
  /** The name a catalog saved by an earlier version selects this custom field by (its `fieldId`, no `__c`). */
  legacyName?: string;
}
export interface StreamField {
  name: string;
  type: FieldType;
}

export type StreamName = keyof typeof STREAM_SCHEMAS;
export type QueryStreamName = keyof typeof QUERY_OBJECTS;

export type SyncMode = 'full_refresh' | 'incremental';

interface StreamCommon {
  name: StreamName;
  /**
   * Fields the connector sets on every record, never requested from Pardot (schema keyword
   * x-connector-value): deleted_visitors' isDeleted (true). Not in `fields`; in the jsonSchema.
   */
  constants: Readonly<Record<string, unknown>>;
  primaryKey: string[][];
  /** Field the incremental cursor follows; null: the stream has no cursor (full refresh only). */
  cursorField: string | null;
  /** Sync modes the stream offers (full refresh only: no cursor, or a deletion capture by creation date). */
  syncModes: ReadonlyArray<SyncMode>;
  /** Fields requested and emitted whatever the catalog selects (the key, the cursor, isDeleted). */
  automaticFields: readonly string[];
  /** What the stream is, for the README and discover descriptions. */
  description?: string;
  /** Most fields one request may name (exports: 150; more are split over several exports per window); null: no limit. */
  maxFields: number | null;
  jsonSchema: Record<string, unknown>;
}

export interface ExportStreamDef extends StreamCommon {
  kind: 'export';
  object: PardotObject;
  cursorField: 'updatedAt' | 'createdAt';
  /** The export procedure (filters on the cursor). */
  procedure: string;
  /** Argument names of the procedure's window bounds and (where it has one) deleted filter. */
  afterArg: string;
  beforeArg: string;
  deletedArg: string | null;
  deleted: DeletedMode;
  fields: FieldDef[];
}

/** What a v5 query stream may ask Pardot (src/generated/query-objects.ts, from src/v5-objects.json). */
export interface QueryObjectDef {
  /** URL name: /api/v5/objects/{object}. */
  object: string;
  /** The Salesforce reference page the object's entry came from. */
  doc: string;
  /** The ability the page names (quoted when the user lacks it). */
  ability: string;
  /**
   * 'event': rows are things that happened (a send, a visit, a page view, a stage change):
   * start_date bounds them. 'dimension': rows are things that exist (campaigns, forms, users...):
   * read whole on a first read, whatever start_date says. Each entry's roleWhy says why.
   */
  role: 'dimension' | 'event';
  /** The cursor is one of the sortable fields: pages come in (cursor, id) order. */
  cursorSortable: boolean;
  /** `idGreaterThan` is accepted: how a sequence continues past the token cap in id order. */
  idFilter: boolean;
  sortable: readonly string[];
  filters: readonly string[];
  /** `deleted=all|true|false` applies. */
  deleted: boolean;
  /** One record, read with GET (no query, no pages): the account. */
  singleton: boolean;
  /** Records are queried per record of a parent stream, with the parent's id in `filter`. */
  parent: { stream: string; filter: string } | null;
  /**
   * Fields requested by their sub-fields (dot notation) in place of the whole field: a field
   * name -> the names to put in `fields` (e.g. senderOptions -> senderOptions.type, ...). Pardot
   * refuses a whole collection in a query; the answer carries the field as an array of objects.
   */
  subFields: Readonly<Record<string, readonly string[]>>;
  /**
   * Fields the object's Salesforce page does not list (known from other clients or Pardot's
   * object definitions; each one's evidence is in src/v5-objects.json): if Pardot refuses one,
   * dropping it and asking again is the expected way on.
   */
  thirdPartyFields: readonly string[];
}

export interface QueryStreamDef extends StreamCommon {
  kind: 'query';
  query: QueryObjectDef;
  fields: StreamField[];
}

export type StreamDef = ExportStreamDef | QueryStreamDef;

type SchemaProps = Record<string, Record<string, unknown> & { 'x-pardot-type': string; 'x-connector-value'?: unknown }>;

function schemaParts(name: StreamName): { fields: StreamField[]; jsonSchema: Record<string, unknown>; constants: Record<string, unknown> } {
  const schema = STREAM_SCHEMAS[name] as unknown as { properties: SchemaProps } & Record<string, unknown>;
  // Ship the schema without our private keywords.
  const properties = Object.fromEntries(
    Object.entries(schema.properties).map(([k, v]) => {
      const { 'x-pardot-type': _t, 'x-connector-value': _c, ...rest } = v;
      return [k, rest];
    }),
  );
  const entries = Object.entries(schema.properties);
  return {
    fields: entries.filter(([, p]) => !('x-connector-value' in p)).map(([n, p]) => ({ name: n, type: p['x-pardot-type'] as FieldType })),
    jsonSchema: { ...schema, properties },
    constants: Object.fromEntries(entries.filter(([, p]) => 'x-connector-value' in p).map(([n, p]) => [n, p['x-connector-value']])),
  };
}

/**
 * `base` with the properties `make` returns defined as read on first use (then kept): a stream's
 * fields and schema come from its JSON Schema, which is parsed only for the streams a run touches
 * (start-up: bench/README.md). They read like plain properties (spread, equality, JSON).
 */
function deferred<T extends object, K extends keyof T>(base: Omit<T, K>, keys: readonly K[], make: () => Pick<T, K>): T {
  let parts: Pick<T, K> | undefined;
  for (const k of keys) Object.defineProperty(base, k, { enumerable: true, get: () => (parts ??= make())[k] });
  return base as T;
}

interface ExportStreamOptions {
  deleted?: DeletedMode;
  syncModes?: ExportStreamDef['syncModes'];
  description?: string;
}

function exportStream(
  name: StreamName,
  object: PardotObject,
  cursorField: ExportStreamDef['cursorField'],
  o: ExportStreamOptions = {},
): ExportStreamDef {
  const procedure = cursorField === 'updatedAt' ? 'filter_by_updated_at' : 'filter_by_created_at';
  const proc = PROCEDURES[object][procedure];
  if (!proc) throw new Error(`wire table has no ${object}.${procedure}`);
  const deletedArg = proc.deleted ?? null;
  if (o.deleted !== undefined && o.deleted !== 'live' && !deletedArg) throw new Error(`${object}.${procedure} takes no deleted argument`);
  return deferred<ExportStreamDef, 'fields' | 'jsonSchema' | 'deleted' | 'automaticFields' | 'constants'>(
    {
      kind: 'export',
      name,
      object,
      cursorField,
      procedure,
      afterArg: proc.after,
      beforeArg: proc.before,
      deletedArg,
      syncModes: o.syncModes ?? ['full_refresh', 'incremental'],
      description: o.description,
      primaryKey: [['id']],
      maxFields: MAX_FIELDS_PER_EXPORT,
    },
    ['fields', 'jsonSchema', 'deleted', 'automaticFields', 'constants'],
    () => {
      const { fields, jsonSchema, constants } = schemaParts(name);
      const hasIsDeleted = fields.some((f) => f.name === 'isDeleted');
      const deleted: DeletedMode = o.deleted ?? (deletedArg && hasIsDeleted ? 'config' : 'live');
      return {
        fields: fields as FieldDef[],
        jsonSchema: { ...jsonSchema, ...(o.description ? { description: o.description } : {}) },
        deleted,
        automaticFields: ['id', cursorField, ...(deleted !== 'live' && hasIsDeleted ? ['isDeleted'] : [])],
        constants,
      };
    },
  );
}

function queryStream(name: QueryStreamName): QueryStreamDef {
  const q = QUERY_OBJECTS[name];
  const { cursorField, ...query } = q;
  // With deleted records read (include_deleted), isDeleted always comes along: the reader adds it.
  const automaticFields = ['id', ...(cursorField !== null ? [cursorField] : [])];
  return deferred<QueryStreamDef, 'fields' | 'jsonSchema' | 'constants'>(
    {
      kind: 'query',
      name,
      cursorField,
      syncModes: cursorField === null ? ['full_refresh'] : ['full_refresh', 'incremental'],
      automaticFields,
      primaryKey: [['id']],
      maxFields: null,
      query: query as QueryObjectDef,
    },
    ['fields', 'jsonSchema', 'constants'],
    () => schemaParts(name),
  );
}

export const EXPORT_STREAMS: readonly ExportStreamDef[] = [
  exportStream('prospects', 'prospect', 'updatedAt'),
  exportStream('visitors', 'visitor', 'updatedAt'),
  exportStream('visitor_activities', 'visitorActivity', 'updatedAt'),
  exportStream('list_memberships', 'listMembership', 'updatedAt'),
  exportStream('prospect_accounts', 'prospectAccount', 'updatedAt'),
  exportStream('external_activities', 'externalActivity', 'createdAt'),
  // Prospects' updated_at procedure has no deleted filter, so deletions come by creation date:
  // every run re-reads every deleted prospect from start_date (full refresh, one export per window).
  exportStream('deleted_prospects', 'prospect', 'createdAt', {
    deleted: 'only',
    syncModes: ['full_refresh'],
    description: 'Prospects in the recycle bin (deleted): id, isDeleted, createdAt, updatedAt. Full refresh of every deleted prospect created since start_date.',
  }),
  // Visitors have no isDeleted column: the visitors stream carries live visitors only, and the
  // deleted ones come here (deleted=true, by updatedAt).
  exportStream('deleted_visitors', 'visitor', 'updatedAt', {
    deleted: 'only',
    description: 'Deleted visitors (the visitors stream carries live ones only): id, createdAt, updatedAt, prospectId, and isDeleted, always true (visitors have no isDeleted field in Pardot: the connector sets it).',
  }),
];

export const QUERY_STREAMS: readonly QueryStreamDef[] = (Object.keys(QUERY_OBJECTS) as QueryStreamName[]).map(queryStream);

export const STREAMS: readonly StreamDef[] = [...EXPORT_STREAMS, ...QUERY_STREAMS];

export function findStream(name: string): StreamDef | undefined {
  return STREAMS.find((s) => s.name === name);
}

/** Sync modes a stream supports (its syncModes). */
export function syncModes(stream: StreamDef): SyncMode[] {
  return [...stream.syncModes];
}

// ---------------------------------------------------------------- the catalog model

export interface ConfiguredStream {
  stream: StreamDef;
  syncMode: SyncMode;
  /** Fields to request from Pardot and emit: the selected ones, plus the key and the cursor. */
  fields: StreamField[];
}

/**
 * The fields to request: those named in `selected` that the stream knows (all when selected is
 * undefined), always with the primary key and the cursor, in the stream's own order. An export
 * stream may select more than its maxFields: the export reader splits them over several exports.
 */
export function selectFields(stream: StreamDef, selected: Iterable<string> | undefined): StreamField[] {
  if (selected === undefined) return [...stream.fields];
  const want = new Set(selected);
  for (const f of stream.automaticFields) want.add(f);
  return stream.fields.filter((f) => want.has(catalogNameOf(f)));
}

/** The name a catalog selects a field by: its own, or the one an earlier version's catalog used. */
export function catalogNameOf(f: StreamField | FieldDef): string {
  return ('legacyName' in f && f.legacyName) || f.name;
}
