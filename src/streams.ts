/**
 * The six streams as DATA. One generic reader serves them all; a stream's quirks are fields
 * of its entry. Field names and types come from schemas/*.json (generated from the field
 * tables), so the schema is the single source of what a stream exports and how it is typed.
 */
import { STREAM_SCHEMAS } from './generated/schemas.js';
import { PROCEDURES, type PardotObject } from './pardot/wire.js';

/**
 * Which rows a stream asks for, where its procedure takes a deleted filter:
 * - 'config': all rows (live and deleted) when include_deleted is on, else Pardot's default (live);
 *   only for objects whose rows carry `isDeleted`, which is then always requested and emitted.
 * - 'live': never sent (Pardot's default: live rows), for objects without an isDeleted column.
 * - 'only': deleted rows only (the deletion captures).
 */
export type DeletedMode = 'config' | 'live' | 'only';

/** 'Date': a calendar date with no time or zone (external activities' activityDate). */
export type PardotType = 'Integer' | 'String' | 'Boolean' | 'DateTime' | 'Date';

export interface FieldDef {
  name: string;
  type: PardotType;
}

export type StreamName = keyof typeof STREAM_SCHEMAS;

export interface StreamDef {
  name: StreamName;
  object: PardotObject;
  /** Field the incremental cursor follows; also what the export procedure filters on. */
  cursorField: 'updatedAt' | 'createdAt';
  procedure: string;
  /** Argument names of the procedure's window bounds and (where it has one) deleted filter. */
  afterArg: string;
  beforeArg: string;
  deletedArg: string | null;
  deleted: DeletedMode;
  /** Sync modes the stream offers (a deletion capture by creation date is full refresh only). */
  syncModes: ReadonlyArray<'full_refresh' | 'incremental'>;
  /** Fields requested and emitted whatever the catalog selects (the key, the cursor, isDeleted). */
  automaticFields: readonly string[];
  /** What the stream is, for the README and discover descriptions. */
  description?: string;
  primaryKey: string[][];
  fields: FieldDef[];
  jsonSchema: Record<string, unknown>;
}

function fieldsOf(schema: { properties: Record<string, { 'x-pardot-type': string }> }): FieldDef[] {
  return Object.entries(schema.properties).map(([name, p]) => ({ name, type: p['x-pardot-type'] as PardotType }));
}

interface StreamOptions {
  deleted?: DeletedMode;
  syncModes?: StreamDef['syncModes'];
  description?: string;
}

function defineStream(name: StreamName, object: PardotObject, cursorField: StreamDef['cursorField'], o: StreamOptions = {}): StreamDef {
  const procedure = cursorField === 'updatedAt' ? 'filter_by_updated_at' : 'filter_by_created_at';
  const proc = PROCEDURES[object][procedure];
  if (!proc) throw new Error(`wire table has no ${object}.${procedure}`);
  const schema = STREAM_SCHEMAS[name];
  // Ship the schema without our private x-pardot-type keyword.
  const properties = Object.fromEntries(
    Object.entries(schema.properties).map(([k, v]) => {
      const { 'x-pardot-type': _t, ...rest } = v as Record<string, unknown>;
      return [k, rest];
    }),
  );
  const fields = fieldsOf(schema as never);
  const deletedArg = proc.deleted ?? null;
  const deleted: DeletedMode = o.deleted ?? (deletedArg && fields.some((f) => f.name === 'isDeleted') ? 'config' : 'live');
  if (deleted !== 'live' && !deletedArg) throw new Error(`${object}.${procedure} takes no deleted argument`);
  const automaticFields = ['id', cursorField, ...(deleted !== 'live' && fields.some((f) => f.name === 'isDeleted') ? ['isDeleted'] : [])];
  return {
    name,
    object,
    cursorField,
    procedure,
    afterArg: proc.after,
    beforeArg: proc.before,
    deletedArg,
    deleted,
    syncModes: o.syncModes ?? ['full_refresh', 'incremental'],
    automaticFields,
    description: o.description,
    primaryKey: [['id']],
    fields,
    jsonSchema: { ...schema, ...(o.description ? { description: o.description } : {}), properties },
  };
}

export const STREAMS: readonly StreamDef[] = [
  defineStream('prospects', 'prospect', 'updatedAt'),
  defineStream('visitors', 'visitor', 'updatedAt'),
  defineStream('visitor_activities', 'visitorActivity', 'updatedAt'),
  defineStream('list_memberships', 'listMembership', 'updatedAt'),
  defineStream('prospect_accounts', 'prospectAccount', 'updatedAt'),
  defineStream('external_activities', 'externalActivity', 'createdAt'),
  // Prospects' updated_at procedure has no deleted filter, so deletions come by creation date:
  // every run re-reads every deleted prospect from start_date (full refresh, one export per window).
  defineStream('deleted_prospects', 'prospect', 'createdAt', {
    deleted: 'only',
    syncModes: ['full_refresh'],
    description: 'Prospects in the recycle bin (deleted): id, isDeleted, createdAt, updatedAt. Full refresh of every deleted prospect created since start_date.',
  }),
  // Visitors have no isDeleted column: the visitors stream carries live visitors only, and the
  // deleted ones come here (deleted=true, by updatedAt).
  defineStream('deleted_visitors', 'visitor', 'updatedAt', {
    deleted: 'only',
    description: 'Deleted visitors (the visitors stream carries live ones only; visitors have no isDeleted field): id, createdAt, updatedAt, prospectId.',
  }),
];

export function findStream(name: string): StreamDef | undefined {
  return STREAMS.find((s) => s.name === name);
}
