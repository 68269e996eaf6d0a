/**
 * The six streams as DATA. One generic reader serves them all; a stream's quirks are fields
 * of its entry. Field names and types come from schemas/*.json (generated from the field
 * tables), so the schema is the single source of what a stream exports and how it is typed.
 */
import { STREAM_SCHEMAS } from './generated/schemas.js';
import { PROCEDURES, type PardotObject } from './pardot/wire.js';

export type PardotType = 'Integer' | 'String' | 'Boolean' | 'DateTime';

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
  primaryKey: string[][];
  fields: FieldDef[];
  jsonSchema: Record<string, unknown>;
}

function fieldsOf(schema: { properties: Record<string, { 'x-pardot-type': string }> }): FieldDef[] {
  return Object.entries(schema.properties).map(([name, p]) => ({ name, type: p['x-pardot-type'] as PardotType }));
}

function defineStream(name: StreamName, object: PardotObject, cursorField: StreamDef['cursorField']): StreamDef {
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
  return {
    name,
    object,
    cursorField,
    procedure,
    afterArg: proc.after,
    beforeArg: proc.before,
    deletedArg: proc.deleted ?? null,
    primaryKey: [['id']],
    fields: fieldsOf(schema as never),
    jsonSchema: { ...schema, properties },
  };
}

export const STREAMS: readonly StreamDef[] = [
  defineStream('prospects', 'prospect', 'updatedAt'),
  defineStream('visitors', 'visitor', 'updatedAt'),
  defineStream('visitor_activities', 'visitorActivity', 'updatedAt'),
  defineStream('list_memberships', 'listMembership', 'updatedAt'),
  defineStream('prospect_accounts', 'prospectAccount', 'updatedAt'),
  defineStream('external_activities', 'externalActivity', 'createdAt'),
];

export function findStream(name: string): StreamDef | undefined {
  return STREAMS.find((s) => s.name === name);
}
