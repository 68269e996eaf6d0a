/**
 * Every wire detail of the Pardot Export API in one place. Items the wire contract marks
 * UNVERIFIED (not checked against a live business unit) are each one named constant or table
 * entry here, so a correction is a one-line change. The README lists them.
 */

export const HOSTS = {
  production: { api: 'https://pi.pardot.com', auth: 'https://login.salesforce.com' },
  sandbox: { api: 'https://pi.demo.pardot.com', auth: 'https://test.salesforce.com' },
} as const;

export const TOKEN_PATH = '/services/oauth2/token';
export const EXPORTS_PATH = '/api/v5/exports';
export const ACCOUNT_PATH = '/api/v5/objects/account?fields=id,maximumDailyApiCalls,apiCallsUsed';
/** UNVERIFIED: v5 names actions `/do/NAME`; the cancel path is inferred from that. */
export const CANCEL_PATH = (id: string | number) => `${EXPORTS_PATH}/${encodeURIComponent(String(id))}/do/cancel`;
export const READ_PATH = (id: string | number) => `${EXPORTS_PATH}/${encodeURIComponent(String(id))}`;
/** UNVERIFIED for v5: the create body names the object under the key `object` (the seed's and v3/v4's shape). */
export const CREATE_OBJECT_KEY = 'object';
/** UNVERIFIED: `X-Return-Api-Usage: 1` makes responses carry `x-api-usage`. */
export const API_USAGE_REQUEST_HEADER = ['X-Return-Api-Usage', '1'] as const;
export const API_USAGE_RESPONSE_HEADER = 'x-api-usage';
export const BUSINESS_UNIT_HEADER = 'Pardot-Business-Unit-Id';

export const MAX_FIELDS_PER_EXPORT = 150;

// ---- v5 object queries (GET /api/v5/objects/{object}), wire contract "Beyond the Export API"
/** A v5 object collection, by its URL name (e.g. `campaigns`, `visitor-page-views`). */
export const QUERY_PATH = (object: string) => `/api/v5/objects/${encodeURIComponent(object)}`;
/** Records per page: v5 allows at most 1000 (default 200). */
export const QUERY_MAX_LIMIT = 1000;
/** A nextPageToken sequence stops after this many records (documented; the reader does not rely on the number). */
export const QUERY_TOKEN_CAP = 100_000;
/** The answer header that carries warnings, and the code of "record count for the token sequence exceeded". */
export const QUERY_WARNING_HEADER = 'pardot-warning';
/**
 * UNVERIFIED: the cap warning's code and text. 203 is a third-party transcription of Salesforce's
 * overview (the header `Pardot-Warning: 203;Record count ...`); Pardot's own warning list numbers
 * it 101 (wire contract: "Beyond the Export API"). Either code, or the text, is the cap warning.
 */
export const QUERY_CAP_WARNING_CODES: readonly number[] = [203, 101];
export const QUERY_CAP_WARNING_TEXT = /record count for nextpagetoken sequence has been exceeded/i;
/**
 * The HTTP status of a v5 query that ran out of time at Pardot's gateway, answered with or
 * without code 214: the reader asks again with a smaller `limit` instead of the client retrying.
 */
export const QUERY_TIMEOUT_STATUS = 504;
/**
 * UNVERIFIED: v5 date-times (and so its date filters) have one-second resolution, like the
 * Export API's; a continuation that must exclude a second already read asks from the next second
 * when the object has no strict `...After` filter.
 */
export const QUERY_TIME_RESOLUTION_MS = 1000;
/**
 * (unverified) A v5 query sent without orderBy returns its records in ascending id order. Pardot's
 * pages do not say; the query reader relies on it only for objects that take no orderBy (their
 * tables list no sortable id), and checks every page: an id out of order fails the stream
 * (QUERY_UNORDERED) rather than skip records. If it proves false, set it to false: those streams
 * then fail at once with that message.
 */
export const QUERY_DEFAULT_ORDER_IS_ID = true;
/** Pardot refuses a span over "1 year" between after and before; 365 days is within any reading of it. */
export const MAX_EXPORT_SPAN_MS = 365 * 24 * 3600 * 1000;
/** Results expire 7 days after completion (seed: Expiration). */
export const RESULT_TTL_MS = 7 * 24 * 3600 * 1000;
export const MAX_CONCURRENT_REQUESTS = 5;

/** UNVERIFIED for v5: object names in camelCase (the v3/v4 convention). */
export const OBJECT_NAMES = {
  prospect: 'prospect',
  visitor: 'visitor',
  visitorActivity: 'visitorActivity',
  listMembership: 'listMembership',
  prospectAccount: 'prospectAccount',
  externalActivity: 'externalActivity',
} as const;
export type PardotObject = keyof typeof OBJECT_NAMES;

export interface ProcedureArgs {
  after: string;
  before: string;
  deleted?: string;
}

/** Procedures and their argument names, from the seed. Send each procedure's own spelling. */
export const PROCEDURES: Record<PardotObject, Record<string, ProcedureArgs>> = {
  prospect: {
    filter_by_updated_at: { after: 'updated_after', before: 'updated_before' },
    filter_by_created_at: { after: 'created_after', before: 'created_before', deleted: 'deleted' },
  },
  visitor: {
    filter_by_updated_at: { after: 'updated_after', before: 'updated_before', deleted: 'deleted' },
    filter_by_prospect_updated_at: { after: 'prospect_updated_after', before: 'prospect_updated_before', deleted: 'prospect_deleted' },
  },
  visitorActivity: {
    filter_by_updated_at: { after: 'updated_after', before: 'updated_before' },
    filter_by_created_at: { after: 'created_after', before: 'created_before' },
  },
  listMembership: {
    filter_by_updated_at: { after: 'updated_after', before: 'updated_before', deleted: 'deleted' },
    filter_by_created_at: { after: 'created_after', before: 'created_before', deleted: 'deleted' },
  },
  prospectAccount: {
    filter_by_updated_at: { after: 'updated_after', before: 'updated_before', deleted: 'deleted' },
    filter_by_prospect_updated_at: { after: 'prospect_updated_after', before: 'prospect_updated_before', deleted: 'prospect_deleted' },
  },
  externalActivity: {
    filter_by_created_at: { after: 'created_after', before: 'created_before' },
    filter_by_activity_date: { after: 'activity_after', before: 'activity_before' },
  },
};

/** Value sent for the deleted argument when include_deleted is on. */
export const DELETED_ALL = 'all';

/** Export states (seed: Export State). Anything else is a contract violation, never "keep waiting". */
export const EXPORT_STATES = ['Waiting', 'Processing', 'Complete', 'Failed', 'Canceled'] as const;
export type ExportState = (typeof EXPORT_STATES)[number];

/** Pardot error codes the client acts on (wire contract: Errors). */
export const PARDOT_CODES = {
  concurrency: 66,
  dailyLimit: 122,
  tokenInvalid: 184,
  buMissing: 181,
  buInvalid: 182,
  buUnknown: 201,
  noAbility: 46,
  accessDenied: 49,
  unknownProcedure: 174,
  unknownArgument: 175,
  missingArgument: 176,
  badArgument: 177,
  exportStateConflict: 178,
  invalidField: 180,
  invalidField2: 224,
  internal: 183,
  /** Request timed out: retried for exports; on a v5 query page, PARDOT_QUERY_TIMEOUT (ask a smaller page). */
  timeout: 214,
  minuteLimit: 202,
  // v5 object queries (wire contract: "Query error codes seen"):
  /** "Invalid parameter: fields. It contains an invalid or unknown field: X" (any parameter: its name follows the colon). */
  invalidParameter: 51,
  /** Too many filtered fields in one query. */
  queryTooManyFilters: 209,
  /** The nextPageToken expired (a token lives 4 hours). */
  queryTokenExpired: 210,
  /** The nextPageToken is not valid. */
  queryTokenInvalid: 211,
} as const;

/**
 * UNVERIFIED: when Pardot's daily API call budget (code 122) resets. Salesforce's help says the
 * allowance is per day; the reset moment is taken to be midnight in the account's timezone.
 * Used only to phrase the error and set its `retryAt`.
 */
export const DAILY_LIMIT_RESET = { hour: 0, minute: 0, zone: 'account' } as const;

/**
 * v5 object query paths per export object (GET /api/v5/objects/{path}?fields=...), used by `check`
 * (one `fields=id&limit=1` probe per exported object) and by the timezone evidence. Salesforce's
 * v5 pages name them in kebab-case plural. UNVERIFIED for external-activities (query may not exist).
 */
export const V5_OBJECT_PATHS: Record<PardotObject, string> = {
  prospect: 'prospects',
  visitor: 'visitors',
  visitorActivity: 'visitor-activities',
  listMembership: 'list-memberships',
  prospectAccount: 'prospect-accounts',
  externalActivity: 'external-activities',
};
export const V5_QUERY_PATH = (object: PardotObject) => `/api/v5/objects/${V5_OBJECT_PATHS[object]}`;
/** v5 query page size limits (wire contract: default 200, at most 1000). */
export const V5_QUERY_MAX_LIMIT = 1000;

/**
 * The abilities the seed names for creating (and viewing) an export of each object: what to grant
 * an export user whose request got code 46/49.
 */
export const OBJECT_ABILITIES: Record<PardotObject, string> = {
  prospect: 'Prospects > Prospects > View',
  visitor: 'Prospects > Visitors > View',
  visitorActivity: 'Prospects > Visitors > View',
  listMembership: 'Marketing > Segmentation > Lists > View and Prospects > Visitors > View',
  prospectAccount: 'Prospects > Prospect Accounts > View',
  externalActivity: 'Prospect > External Activity > View',
};

/** The wire object name (OBJECT_NAMES value) back to its key. */
export function objectKeyOf(wireName: string | undefined): PardotObject | undefined {
  if (wireName === undefined) return undefined;
  return (Object.keys(OBJECT_NAMES) as PardotObject[]).find((k) => OBJECT_NAMES[k] === wireName);
}

/**
 * Visitor activity arguments beyond the window (seed: `type`, `prospectOnly` / `prospect_only`,
 * each procedure's own spelling). How the values are written is UNVERIFIED: booleans as the
 * strings "true"/"false" (like `deleted`), types as a JSON array of integers.
 */
export const VISITOR_ACTIVITY_ARGS: Record<string, { prospectOnly: string; type: string }> = {
  filter_by_updated_at: { prospectOnly: 'prospectOnly', type: 'type' },
  filter_by_created_at: { prospectOnly: 'prospect_only', type: 'type' },
};
export const boolArg = (v: boolean): string => (v ? 'true' : 'false');
export const typesArg = (types: readonly number[]): number[] => [...types];

/** Value sent for the deleted argument to ask for deleted rows only. */
export const DELETED_ONLY = 'true';
/** Value sent for the deleted argument to ask for live rows only (the seed's default). */
export const DELETED_NONE = 'false';

/**
 * The longest after..before span the connector sends: 364 days, a day short of Pardot's "1 year",
 * so that however Pardot measures the year (a DST day of 25 hours, a leap year) the span is within it.
 */
export const MAX_WINDOW_DAYS = 364;

/**
 * UNVERIFIED: Pardot's answers carry an HTTP `Date` header with its clock (RFC 7231; 1 s
 * resolution). It is read to end windows at Pardot's "now" when the local clock runs ahead.
 */
export const SERVER_DATE_HEADER = 'date';

/**
 * UNVERIFIED (Salesforce documents neither): how an export writes a multi-valued custom field
 * (Checkbox, Multi-Select, or "record multiple responses") in one CSV cell. Both plausible forms
 * are read: a cell that is a JSON array of strings (`["a","b"]`) is that array; any other cell is
 * its values joined by `separator` (Salesforce's multi-select picklist convention). Values are
 * kept exactly (no trimming). See parseMultiValueCell in src/extract/multi.ts (the CSV extraction
 * takes this constant as ExtractOptions.multiValue).
 */
export const MULTI_VALUE_CELL = { separator: ';', jsonArray: true } as const;

/**
 * A custom field's v5 name: custom-fields `apiFieldId`, which is `fieldId` plus this suffix (a real
 * answer: {"id":20212,"apiFieldId":"UniqueId__c","fieldId":"UniqueId","name":"UniqueId"},
 * pardot/api-docs issue 235; Pardot adds it "to disambiguate from standard fields"). A v5 request
 * names a custom field so; an unknown name is refused with code 51.
 */
export const CUSTOM_FIELD_SUFFIX = '__c';

/**
 * UNVERIFIED: the CSV column a custom field comes under. The connector requests a custom field by
 * its v5 name (custom-fields `apiFieldId`); a header cell equal to that name is that field, and
 * failing that a header cell equal to its `fieldId` or its display `name` (the other plausible forms).
 */
export const CUSTOM_FIELD_HEADER_ALIASES = ['fieldId', 'name'] as const;

/**
 * Pardot custom field types (v5 custom-fields `type`) and how their values are typed. Multi-
 * valued whatever the type: isRecordMultipleResponses. Source: custom-field-v5 reference page.
 */
export const CUSTOM_FIELD_TYPES: Readonly<Record<string, 'String' | 'Number' | 'Date' | 'Multi'>> = {
  Text: 'String',
  Textarea: 'String',
  TextArea: 'String',
  Dropdown: 'String',
  'Radio Button': 'String',
  Hidden: 'String',
  'CRM User': 'String',
  CRMUser: 'String',
  Number: 'Number',
  Date: 'Date',
  Checkbox: 'Multi',
  'Multi-Select': 'Multi',
};

/** The custom-fields object of the v5 API (prospect custom fields) and its ability. */
export const CUSTOM_FIELDS_OBJECT = { object: 'custom-fields', ability: 'Prospect > Prospects > Configure Fields' } as const;
