// The export procedures per object, their arguments, and validation of a create
// request, per the wire contract's table (../../shared/pardot/wire-contract.md).

import { exportableFields, fieldDef, isObjectName, VISITOR_ACTIVITY_TYPES, type ObjectName } from './fields.js';
import { parseDateArgument } from './time.js';

export type ArgKind = 'after' | 'before' | 'deleted' | 'prospectOnly' | 'type';

export interface ProcedureDef {
  /** Row field whose value the after/before window applies to. */
  readonly dateField: 'updatedAt' | 'createdAt' | 'activityDate';
  /** Argument name -> role. The `after` argument is required. */
  readonly args: Readonly<Record<string, ArgKind>>;
  /** No deleted argument: deleted rows are left out. */
}

const upd = (extra: Record<string, ArgKind> = {}): ProcedureDef => ({
  dateField: 'updatedAt',
  args: { updated_after: 'after', updated_before: 'before', ...extra },
});
const cre = (extra: Record<string, ArgKind> = {}): ProcedureDef => ({
  dateField: 'createdAt',
  args: { created_after: 'after', created_before: 'before', ...extra },
});
const prospectUpd = (): ProcedureDef => ({
  // The fake measures the row's own updatedAt/isDeleted for the prospect_* procedures.
  dateField: 'updatedAt',
  args: { prospect_updated_after: 'after', prospect_updated_before: 'before', prospect_deleted: 'deleted' },
});

export const PROCEDURES: Readonly<Record<ObjectName, Readonly<Record<string, ProcedureDef>>>> = {
  prospect: {
    filter_by_updated_at: upd(),
    filter_by_created_at: cre({ deleted: 'deleted' }),
  },
  visitor: {
    filter_by_updated_at: upd({ deleted: 'deleted' }),
    filter_by_prospect_updated_at: prospectUpd(),
  },
  visitorActivity: {
    filter_by_updated_at: upd({ type: 'type', prospectOnly: 'prospectOnly' }),
    filter_by_created_at: cre({ type: 'type', prospect_only: 'prospectOnly' }),
  },
  listMembership: {
    filter_by_updated_at: upd({ deleted: 'deleted' }),
    filter_by_created_at: cre({ deleted: 'deleted' }),
  },
  prospectAccount: {
    filter_by_updated_at: upd({ deleted: 'deleted' }),
    filter_by_prospect_updated_at: prospectUpd(),
  },
  externalActivity: {
    filter_by_created_at: cre(),
    filter_by_activity_date: {
      dateField: 'activityDate',
      args: { activity_after: 'after', activity_before: 'before' },
    },
  },
};

export const MAX_FIELDS = 150;
/** The seed says the range "cannot exceed 1 year"; the fake counts a year as 365 days. */
export const MAX_SPAN_MS = 365 * 86_400_000;

export type DeletedMode = 'false' | 'true' | 'all';

/** A validated create request: what the fake needs to build the result. */
export interface ExportQuery {
  object: ObjectName;
  procedureName: string;
  procedure: ProcedureDef;
  /** Requested names (null: the request named none, so every exportable field). */
  requestedFields: string[] | null;
  /** CSV columns in order. */
  columns: string[];
  /** Whole seconds, epoch ms. */
  afterMs: number;
  beforeMs: number | null;
  deleted: DeletedMode;
  prospectOnly: boolean;
  types: number[] | null;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** Error codes (wire contract "Errors"). */
export const CODES = {
  concurrent: 66,
  noAbility: 46,
  accessDenied: 49,
  dailyLimit: 122,
  unknownProcedure: 174,
  unknownArgument: 175,
  missingArgument: 176,
  invalidArgument: 177,
  stateForbids: 178,
  invalidField: 180,
  businessUnitMissing: 181,
  businessUnitInvalid: 182,
  tokenInvalid: 184,
  businessUnitUnknown: 201,
  /**
   * The fake's choice for "more than 150 fields" (Pardot documents the limit, not its code):
   * HTTP 400 with code 177, "bad argument value", and a message naming the limit.
   */
  tooManyFields: 177,
  /** Not a Pardot code: unknown route or export id (HTTP 404). */
  notFound: 404,
} as const;

const truncSec = (ms: number): number => Math.floor(ms / 1000) * 1000;

function asBoolArg(v: unknown): boolean | undefined {
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  return undefined;
}

function parseTypes(name: string, v: unknown): number[] {
  const raw: unknown[] = Array.isArray(v) ? v : typeof v === 'string' ? v.split(',') : [v];
  const out: number[] = [];
  for (const r of raw) {
    const n = typeof r === 'number' ? r : typeof r === 'string' && /^\s*\d+\s*$/.test(r) ? Number(r) : NaN;
    if (!Number.isInteger(n) || VISITOR_ACTIVITY_TYPES[n] === undefined)
      throw new ApiError(400, CODES.invalidArgument, `Invalid value for argument ${name}: ${JSON.stringify(r)} is not a visitor activity type`);
    out.push(n);
  }
  return out;
}

/**
 * Validates a create body; throws ApiError with the contract's code for the first problem found.
 * `isCustomField(object, name)`: the business unit has a custom field of that API name (valid in
 * `fields` like a standard one; counted toward the 150-field maximum).
 */
export function validateCreate(
  body: unknown,
  timeZone: string,
  nowMs: number,
  isCustomField: (object: ObjectName, name: string) => boolean = () => false,
): ExportQuery {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new ApiError(400, CODES.invalidArgument, 'Request body must be a JSON object');
  const b = body as Record<string, unknown>;
  const object = b.object;
  if (!isObjectName(object))
    throw new ApiError(400, CODES.unknownProcedure, `Invalid procedure: object ${JSON.stringify(object)} is not exportable`);

  const procIn = b.procedure;
  if (typeof procIn !== 'object' || procIn === null || Array.isArray(procIn))
    throw new ApiError(400, CODES.unknownProcedure, 'Invalid procedure: "procedure" must be an object with a name');
  const p = procIn as Record<string, unknown>;
  const procedureName = p.name;
  const procedure = typeof procedureName === 'string' ? PROCEDURES[object][procedureName] : undefined;
  if (typeof procedureName !== 'string' || procedure === undefined)
    throw new ApiError(400, CODES.unknownProcedure, `Invalid procedure: ${JSON.stringify(procedureName)} for object ${object}`);

  const argsIn = p.arguments ?? {};
  if (typeof argsIn !== 'object' || argsIn === null || Array.isArray(argsIn))
    throw new ApiError(400, CODES.invalidArgument, 'Invalid procedure arguments: "arguments" must be an object');
  const args = argsIn as Record<string, unknown>;
  for (const name of Object.keys(args)) {
    if (!(name in procedure.args))
      throw new ApiError(400, CODES.unknownArgument, `Invalid procedure argument: ${name} is not an argument of ${object}.${procedureName}`);
  }
  const argName = (kind: ArgKind): string | undefined => Object.keys(procedure.args).find((k) => procedure.args[k] === kind);
  const afterName = argName('after')!;
  const beforeName = argName('before')!;
  if (args[afterName] === undefined || args[afterName] === null || args[afterName] === '')
    throw new ApiError(400, CODES.missingArgument, `Missing required procedure argument: ${afterName}`);

  const after = parseDateArgument(args[afterName], timeZone, nowMs);
  if (after === undefined)
    throw new ApiError(400, CODES.invalidArgument, `Invalid value for argument ${afterName}: ${JSON.stringify(args[afterName])}`);
  let before: number | null = null;
  if (args[beforeName] !== undefined && args[beforeName] !== null) {
    const v = parseDateArgument(args[beforeName], timeZone, nowMs);
    if (v === undefined)
      throw new ApiError(400, CODES.invalidArgument, `Invalid value for argument ${beforeName}: ${JSON.stringify(args[beforeName])}`);
    before = v;
  }
  const afterMs = truncSec(after);
  const beforeMs = before === null ? null : truncSec(before);
  if (beforeMs !== null && beforeMs <= afterMs)
    throw new ApiError(400, CODES.invalidArgument, `Invalid value for argument ${beforeName}: must be after ${afterName}`);
  if ((beforeMs ?? nowMs) - afterMs > MAX_SPAN_MS)
    throw new ApiError(
      400,
      CODES.invalidArgument,
      `Invalid argument range: the range between ${afterName} and ${beforeName} cannot exceed 1 year` +
        (beforeMs === null ? ' (measured to the current date)' : ''),
    );

  let deleted: DeletedMode = 'false';
  const deletedName = argName('deleted');
  if (deletedName !== undefined && args[deletedName] !== undefined) {
    const v = args[deletedName];
    const s = typeof v === 'boolean' ? String(v) : v;
    if (s !== 'true' && s !== 'false' && s !== 'all')
      throw new ApiError(400, CODES.invalidArgument, `Invalid value for argument ${deletedName}: expected true, false or all`);
    deleted = s;
  }
  let prospectOnly = false;
  const poName = argName('prospectOnly');
  if (poName !== undefined && args[poName] !== undefined) {
    const v = asBoolArg(args[poName]);
    if (v === undefined) throw new ApiError(400, CODES.invalidArgument, `Invalid value for argument ${poName}: expected true or false`);
    prospectOnly = v;
  }
  let types: number[] | null = null;
  const typeName = argName('type');
  if (typeName !== undefined && args[typeName] !== undefined) types = parseTypes(typeName, args[typeName]);

  let requestedFields: string[] | null = null;
  if (b.fields !== undefined && b.fields !== null) {
    if (!Array.isArray(b.fields) || b.fields.length === 0 || !b.fields.every((x): x is string => typeof x === 'string'))
      throw new ApiError(400, CODES.invalidArgument, '"fields" must be a non-empty array of field names');
    if (b.fields.length > MAX_FIELDS)
      throw new ApiError(400, CODES.tooManyFields, `Too many fields: ${b.fields.length} requested, the maximum is ${MAX_FIELDS}`);
    for (const name of b.fields) {
      const def = fieldDef(object, name);
      if ((def === undefined || !def.exportable) && !(def === undefined && isCustomField(object, name)))
        throw new ApiError(400, CODES.invalidField, `Invalid field: ${name} is not a valid field for ${object}`);
    }
    requestedFields = [...b.fields];
  }
  return {
    object,
    procedureName,
    procedure,
    requestedFields,
    columns: requestedFields ?? exportableFields(object),
    afterMs,
    beforeMs,
    deleted,
    prospectOnly,
    types,
  };
}
