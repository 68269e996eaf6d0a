// The v5 object query endpoint of the fake: GET /api/v5/objects/{object}?fields=... per
// Salesforce's "Version 5 Overview" (fields required, limit 200 by default and 1000 at most,
// orderBy, per-object filters, deleted=all|true|false, nextPageToken sequences capped at 100,000
// records with a `Pardot-Warning` header) and its error-codes page (51, 209, 210, 211, 214).
//
// What an object allows comes only from the fake's own table (v5-objects.ts, written from the
// object pages); the six export objects are queryable from the rows their exports serve, with
// what the wire contract says of them (EXPORT_OBJECT_QUERIES). A nextPageToken is a position in
// the live sorted result: rows that change, move or vanish between pages shift the rest.

import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';

import type { CellValue, Row } from './csv.js';
import type { DataSource } from './data.js';
import { hash32 } from './data.js';
import { FIELDS, type ObjectName } from './fields.js';
import { ApiError, CODES } from './procedures.js';
import { formatIsoWithOffset } from './time.js';
import { customFieldRecord, type FakeCustomField } from './custom-fields.js';
import { filterField, v5Object, type FilterSuffix, type V5FieldType } from './v5-objects.js';

/** Rows of one object of the fake's v5 table (what the object allows is the table's, not the test's). */
export interface FakeQueryObject {
  /** The records; a row's `isDeleted === true` marks it as in the recycle bin. */
  rows: DataSource;
}

/** What the page hook sees: the page just served. */
export interface QueryPageInfo {
  object: string;
  /** 1 for a sequence's first page. */
  pageNumber: number;
  values: Record<string, unknown>[];
  nextPageToken: string | null;
  /** The sequence stopped at the record cap on this page (the warning header was sent). */
  capped: boolean;
}

export interface FakeQueryOptions {
  /** Rows per object of the v5 table (URL name, e.g. `campaigns`, `tagged-objects`). */
  queryObjects?: Record<string, FakeQueryObject>;
  /** Records after which a nextPageToken sequence ends with the cap warning. Default 100,000. */
  queryTokenCap?: number;
  /** Code the cap warning header carries: 203 (default, the overview's transcription) or 101 (Pardot's warning list). */
  queryCapWarningCode?: 203 | 101;
  /** Objects (URL names) whose View ability the API user lacks: queries answer MISSING_ABILITY. */
  queryNoAbility?: readonly string[];
  /** Distinct fields a query may filter on (error 209 beyond). Default 3, as error 209's message says. */
  queryMaxFilterFields?: number;
  /**
   * A query whose page size (`limit`) is above `aboveLimit` times out: code 214 (HTTP 400, the
   * error page's "API request timed out") or a gateway's HTTP 504. A reader that halves its limit
   * gets through.
   */
  queryTimeout?: { aboveLimit: number; answer?: 'code214' | 'http504' };
  /**
   * The order of a query sent without orderBy: `id` (default; what the connector takes Pardot to
   * do, unverified) or `hash` (the fake's hash order: no order a reader could rest on).
   */
  queryDefaultOrder?: 'id' | 'hash';
  /** Runs after each query page is served, before the next request is read (change rows here). */
  onQueryPage?: (info: QueryPageInfo) => void;
}

/** Changes to v5 records at any moment (the fake's clock stamps updatedAt unless `at` is given). */
export interface FakeV5Records {
  /** The live rows of an object (created empty for a table object that had none). */
  rows(object: string): Row[];
  insert(object: string, row: Row, at?: Date): Row;
  update(object: string, id: number, patch: Row, at?: Date): Row;
  /** Recycle-bin objects (the table's `deleted`): isDeleted = true; others, or `hard`: the row goes. */
  delete(object: string, id: number, o?: { at?: Date; hard?: boolean }): void;
}

export const QUERY_DEFAULTS = {
  limit: 200,
  maxLimit: 1000,
  /** offset is deprecated and at most 2000 (version5overview). */
  maxOffset: 2000,
  tokenCap: 100_000,
  /** A nextPageToken lives 4 hours (error 210: "Tokens are valid for 4 hours"). */
  tokenTtlMs: 4 * 3600 * 1000,
  /** Error 209: "The max number of 3 distinct fields with filters was exceeded for this query." */
  maxFilterFields: 3,
} as const;

/** v5 error codes (Salesforce's error-codes page). */
export const V5_CODES = { invalidParameter: 51, tooManyFilteredFields: 209, tokenExpired: 210, tokenInvalid: 211, timedOut: 214 } as const;

/** The cap warning's text (api-evangelist transcription of version5overview; also Airbyte's match). */
export const CAP_WARNING_TEXT = 'Record count for nextPageToken sequence has been exceeded. No page token returned.';
/** The header a sequence's last page carries when it stopped at the cap (default code 203). */
export const CAP_WARNING = `203;${CAP_WARNING_TEXT}`;

/**
 * Code answered when the user lacks the object's View ability. The wire contract lists 46/49 for
 * "user lacks the ability / access denied"; the fake uses 46 with HTTP 403 (its choice).
 */
export const MISSING_ABILITY = { status: 403, code: 46 } as const;

const idFilters = ['idGreaterThan', 'idGreaterThanOrEqualTo', 'idLessThan', 'idLessThanOrEqualTo'];
const dateFilters = (field: string): string[] => ['After', 'AfterOrEqualTo', 'Before', 'BeforeOrEqualTo'].map((s) => field + s);

/** URL name -> export object, with what the fake's v5 query of it allows (wire contract, "Beyond the Export API"). */
export const EXPORT_OBJECT_QUERIES: Readonly<Record<string, { object: ObjectName; filters: string[]; sortable: string[]; deleted: boolean }>> = {
  prospects: { object: 'prospect', filters: [...idFilters, ...dateFilters('createdAt'), ...dateFilters('updatedAt')], sortable: ['id', 'createdAt', 'updatedAt'], deleted: true },
  visitors: { object: 'visitor', filters: [...idFilters, ...dateFilters('createdAt'), ...dateFilters('updatedAt')], sortable: ['id', 'createdAt', 'updatedAt'], deleted: true },
  'visitor-activities': { object: 'visitorActivity', filters: [...idFilters, ...dateFilters('createdAt'), ...dateFilters('updatedAt')], sortable: ['id', 'createdAt', 'updatedAt'], deleted: false },
  'list-memberships': { object: 'listMembership', filters: [...idFilters, ...dateFilters('createdAt'), ...dateFilters('updatedAt')], sortable: ['id', 'createdAt', 'updatedAt'], deleted: true },
  // The wire contract: prospect accounts have no updatedAt filter.
  'prospect-accounts': { object: 'prospectAccount', filters: [...idFilters], sortable: ['id'], deleted: true },
  'external-activities': { object: 'externalActivity', filters: [...idFilters, ...dateFilters('createdAt')], sortable: ['id', 'createdAt'], deleted: false },
};

export interface QueryContext {
  baseUrl(): string;
  data(object: ObjectName): DataSource | undefined;
  timeZone(): string;
  nowMs(): number;
  /** The object's custom fields now (the `customFields` option, `setCustomFields`). */
  customFields?(object: ObjectName): readonly FakeCustomField[] | undefined;
}

export interface QueryStats {
  /** nextPageToken sequences started, and ended at the cap. */
  sequences: number;
  capped: number;
  pages: number;
  recordsServed: number;
  /** Errors thrown by onQueryPage (the page was already sent). */
  hookErrors: unknown[];
}

/** One queryable object as the endpoint sees it now. */
interface QueryDef {
  name: string;
  fields: Readonly<Record<string, V5FieldType>>;
  collections: Readonly<Record<string, readonly string[]>>;
  notQueryable: readonly string[];
  filters: readonly string[];
  sortable: readonly string[];
  deleted: boolean;
  rows: DataSource;
}

/** A requested field: a plain field, or `<collection>.<sub-field>`. */
type FieldPlan = { field: string } | { collection: string; sub: string };

interface Test {
  field: string;
  op: FilterSuffix;
  /** Comparable value(s): numbers for Integer/DateTime, strings, booleans; idList: a set. */
  x: number | string | boolean | Set<number>;
}

/** What a query asks, fixed for its whole token sequence. */
interface Spec {
  name: string;
  deleted: 'all' | 'true' | 'false';
  tests: Test[];
  order: { field: string; dir: 1 | -1 }[];
  limit: number;
  /** Sources that cannot change (lazy ones) are sorted once. */
  frozen: Row[] | null;
}

/** A token: a position in the live result of a sequence. */
interface Position {
  spec: Spec;
  pos: number;
  served: number;
  pageNumber: number;
  issuedMs: number;
}

function rowAt(src: DataSource, i: number): Row {
  return Array.isArray(src) ? src[i]! : (src as Exclude<DataSource, Row[]>).row(i);
}
const countOf = (src: DataSource): number => (Array.isArray(src) ? src.length : (src as Exclude<DataSource, Row[]>).count);

/** A date cell (Date, epoch ms or ISO text) as epoch ms; null when empty or unreadable. */
export function msOf(v: CellValue): number | null {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const ms = Date.parse(v);
    return Number.isNaN(ms) ? null : ms;
  }
  return null;
}

/** A sortable / filterable value: numbers (dates as whole-second epoch ms), strings, booleans as 0/1; null when empty. */
function keyValue(v: unknown, type: V5FieldType | undefined): number | string | null {
  if (v === null || v === undefined) return null;
  if (type === 'DateTime') {
    const ms = msOf(v as CellValue);
    return ms === null ? null : Math.floor(ms / 1000) * 1000;
  }
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return String(v);
}

function cmp(a: number | string | null, b: number | string | null): number {
  if (a === b) return 0;
  if (a === null) return -1; // nulls first
  if (b === null) return 1;
  return a < b ? -1 : 1;
}

/** v5 date-time in a query string: ISO 8601 with a numeric offset. A trailing `Z` is refused (POSTHOG: "Invalid date time value"). */
const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?[+-]\d{2}:\d{2}$/;

const invalid = (message: string): ApiError => new ApiError(400, V5_CODES.invalidParameter, message);
/** Pardot's answer to a parameter it does not know (seen verbatim in PostHog's Pardot source tests). */
const unknownParameter = (k: string): ApiError => invalid(`Invalid parameter: Parameter ${k} is invalid.`);

export function createQueryHandler(ctx: QueryContext, opts: FakeQueryOptions) {
  const cap = Math.max(1, opts.queryTokenCap ?? QUERY_DEFAULTS.tokenCap);
  const capHeader = `${opts.queryCapWarningCode ?? 203};${CAP_WARNING_TEXT}`;
  const maxFilterFields = opts.queryMaxFilterFields ?? QUERY_DEFAULTS.maxFilterFields;
  const noAbility = new Set(opts.queryNoAbility ?? []);
  const store = new Map<string, DataSource>();
  for (const [name, o] of Object.entries(opts.queryObjects ?? {})) {
    const def = v5Object(name);
    if (!def || def.singleton)
      throw new Error(`queryObjects.${name}: not a queryable object of the fake's v5 table (test/fake-pardot/v5-objects.ts)`);
    store.set(name, o.rows);
  }
  const tokens = new Map<string, Position>();
  const qstats: QueryStats = { sequences: 0, capped: 0, pages: 0, recordsServed: 0, hookErrors: [] };
  let onPage = opts.onQueryPage;

  function objectDef(name: string): QueryDef | undefined {
    const def = v5Object(name);
    if (def && !def.singleton) {
      let rows = store.get(name);
      // The business unit's prospect custom fields as they are now (setCustomFields between runs).
      if (!rows && name === 'custom-fields') rows = ctx.customFields?.('prospect')?.map(customFieldRecord);
      // An object the test gave no rows is unknown (404): a test opts in per object.
      if (!rows) return undefined;
      return { name, fields: def.fields, collections: def.collections ?? {}, notQueryable: def.notQueryable ?? [], filters: def.filters, sortable: def.sortable, deleted: def.deleted, rows };
    }
    const e = EXPORT_OBJECT_QUERIES[name];
    if (!e) return undefined;
    const fields: Record<string, V5FieldType> = {};
    for (const f of FIELDS[e.object]) fields[f.name] = f.type;
    return { name, fields, collections: {}, notQueryable: [], filters: e.filters, sortable: e.sortable, deleted: e.deleted, rows: ctx.data(e.object) ?? [] };
  }

  function parseFields(def: QueryDef, raw: string | null): FieldPlan[] {
    if (raw === null || raw.trim() === '') throw new ApiError(400, CODES.missingArgument, `The fields parameter is required for ${def.name}`);
    const out: FieldPlan[] = [];
    for (const f of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
      const dot = f.indexOf('.');
      if (dot > 0 && def.collections[f.slice(0, dot)]?.includes(f.slice(dot + 1))) {
        out.push({ collection: f.slice(0, dot), sub: f.slice(dot + 1) });
        continue;
      }
      // version5overview: collections are not supported on query operations (only their sub-fields).
      if (f in def.collections) throw invalid(`Invalid parameter: fields. Collections are not supported on query operations: ${f}`);
      if (!(f in def.fields) || def.notQueryable.includes(f)) throw invalid(`Invalid parameter: fields. It contains an invalid or unknown field: ${f}`);
      out.push({ field: f });
    }
    return out;
  }

  function render(def: QueryDef, row: Row, fields: FieldPlan[]): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const tz = ctx.timeZone();
    const subs = new Map<string, string[]>();
    for (const p of fields) {
      if ('collection' in p) {
        subs.set(p.collection, [...(subs.get(p.collection) ?? []), p.sub]);
        continue;
      }
      const v = (row as Record<string, unknown>)[p.field];
      const type = def.fields[p.field];
      if (v === null || v === undefined) out[p.field] = null;
      else if (type === 'DateTime' || v instanceof Date) {
        const ms = msOf(v as CellValue);
        out[p.field] = ms === null ? null : type === 'Date' ? new Date(ms).toISOString().slice(0, 10) : formatIsoWithOffset(ms, tz);
      } else out[p.field] = v;
    }
    for (const [c, names] of subs) {
      const items = (row as Record<string, unknown>)[c];
      out[c] = (Array.isArray(items) ? items : []).map((it: unknown) =>
        Object.fromEntries(names.map((n) => [n, (it as Record<string, unknown> | null)?.[n] ?? null])),
      );
    }
    return out;
  }

  /** The records the spec selects now, in answer order. */
  function resultRows(def: QueryDef, spec: Spec): Row[] {
    if (spec.frozen) return spec.frozen;
    const src = def.rows;
    const n = countOf(src);
    const keyed: { row: Row; k: (number | string | null)[]; tie: number }[] = [];
    for (let i = 0; i < n; i++) {
      const row = rowAt(src, i);
      if (!matches(def, spec, row)) continue;
      const k = spec.order.map((o) => keyValue((row as Record<string, unknown>)[o.field], def.fields[o.field]));
      // Records equal on every orderBy field come in an order of the fake's choosing (a hash of the
      // id), not by id: a client that wants (cursor, id) order must ask for it.
      keyed.push({ row, k, tie: hash32(7, Number(row.id ?? i)) });
    }
    keyed.sort((a, b) => {
      for (let j = 0; j < spec.order.length; j++) {
        const c = cmp(a.k[j]!, b.k[j]!) * spec.order[j]!.dir;
        if (c !== 0) return c;
      }
      return a.tie - b.tie;
    });
    const rows = keyed.map((x) => x.row);
    // A lazy source is computed from (seed, i) and never changes: sort it once.
    if (!Array.isArray(src)) spec.frozen = rows;
    return rows;
  }

  function matches(def: QueryDef, spec: Spec, row: Row): boolean {
    const del = row.isDeleted === true;
    if (spec.deleted === 'false' && del) return false;
    if (spec.deleted === 'true' && !del) return false;
    for (const t of spec.tests) {
      const raw = (row as Record<string, unknown>)[t.field];
      if (t.op === 'IsNull' || t.op === 'IsNotNull') {
        if ((raw === null || raw === undefined) !== ((t.op === 'IsNull') === t.x)) return false;
        continue;
      }
      const kv = keyValue(raw, def.fields[t.field]);
      if (kv === null) return false;
      if (t.x instanceof Set) {
        if (!t.x.has(Number(kv))) return false;
        continue;
      }
      const x = typeof t.x === 'boolean' ? (t.x ? 1 : 0) : t.x;
      const ok =
        t.op === '' ? kv === x
        : t.op === 'GreaterThan' || t.op === 'After' ? kv > x
        : t.op === 'GreaterThanOrEqualTo' || t.op === 'AfterOrEqualTo' ? kv >= x
        : t.op === 'LessThan' || t.op === 'Before' ? kv < x
        : kv <= x;
      if (!ok) return false;
    }
    return true;
  }

  /** A filter parameter's comparison, its value checked against the field's type. */
  function parseTest(def: QueryDef, k: string, v: string): Test {
    const ff = def.filters.includes(k) ? filterField(def, k) : undefined;
    if (!ff) throw unknownParameter(k);
    const type = def.fields[ff.field];
    const bad = (what: string): ApiError => invalid(`Invalid parameter: ${k}. Invalid ${what} value: ${v}`);
    const bool = (): boolean => {
      if (v !== 'true' && v !== 'false') throw bad('boolean');
      return v === 'true';
    };
    if (ff.op === 'IsNull' || ff.op === 'IsNotNull') return { field: ff.field, op: ff.op, x: bool() };
    if (ff.op === 'List') {
      const ids = v.split(',').map((s) => s.trim());
      if (!ids.every((s) => /^\d+$/.test(s))) throw bad('id list');
      return { field: ff.field, op: 'List', x: new Set(ids.map(Number)) };
    }
    if (type === 'DateTime') {
      // A `+` left unencoded in the query string arrives as a space: refused, as Pardot does.
      if (!ISO_RE.test(v)) throw bad('date time');
      return { field: ff.field, op: ff.op, x: Math.floor(Date.parse(v) / 1000) * 1000 };
    }
    if (type === 'Boolean') return { field: ff.field, op: ff.op, x: bool() };
    if (type === 'Integer' || type === 'Float') {
      if (!/^-?\d+(?:\.\d+)?$/.test(v)) throw bad('number');
      return { field: ff.field, op: ff.op, x: Number(v) };
    }
    return { field: ff.field, op: ff.op, x: v };
  }

  /** The first request of a sequence: page size, offset, deleted, orderBy and filters. */
  function parseQuery(def: QueryDef, sp: URLSearchParams): { spec: Spec; offset: number } {
    const int = (k: string, dflt: number, min: number, max: number): number => {
      const raw = sp.get(k);
      if (raw === null) return dflt;
      if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) throw invalid(`Invalid parameter: ${k}. It must be an integer from ${min} to ${max}: ${raw}`);
      return Number(raw);
    };
    const limit = int('limit', QUERY_DEFAULTS.limit, 1, QUERY_DEFAULTS.maxLimit);
    const offset = int('offset', 0, 0, QUERY_DEFAULTS.maxOffset);
    const rawDeleted = sp.get('deleted');
    // version5overview: deleted is "only supported for objects which are moved to the recycle bin".
    if (rawDeleted !== null && !def.deleted) throw unknownParameter('deleted');
    if (rawDeleted !== null && !['all', 'true', 'false'].includes(rawDeleted)) throw invalid(`Invalid parameter: deleted. Use all, true or false: ${rawDeleted}`);
    const order: Spec['order'] = [];
    const rawOrder = sp.get('orderBy');
    for (const part of rawOrder === null ? [] : rawOrder.split(',')) {
      const m = /^\s*(\w+)(?:\s+(ASC|DESC))?\s*$/i.exec(part);
      if (!m || !def.sortable.includes(m[1]!)) throw invalid(`Invalid parameter: orderBy. Unknown or unsortable field: ${m?.[1] ?? part.trim()}`);
      order.push({ field: m[1]!, dir: (m[2] ?? 'ASC').toUpperCase() === 'DESC' ? -1 : 1 });
    }
    if (order.length === 0 && opts.queryDefaultOrder !== 'hash') order.push({ field: 'id', dir: 1 });
    const tests: Test[] = [];
    for (const [k, v] of sp) if (!['fields', 'limit', 'offset', 'deleted', 'orderBy'].includes(k)) tests.push(parseTest(def, k, v));
    const filtered = new Set(tests.map((t) => t.field));
    if (filtered.size > maxFilterFields)
      throw new ApiError(400, V5_CODES.tooManyFilteredFields, `Too many fields have filters: The max number of ${maxFilterFields} distinct fields with filters was exceeded for this query.`);
    return { spec: { name: def.name, deleted: (rawDeleted ?? 'false') as Spec['deleted'], tests, order, limit, frozen: null }, offset };
  }

  /** Serves the page at a position; a further page gets a new token (a position, not a snapshot). */
  function page(res: ServerResponse, def: QueryDef, at: Position, fields: FieldPlan[]): void {
    const all = resultRows(def, at.spec);
    // A page never runs past the cap (Pardot's cap, 100,000, is a multiple of every page size it
    // allows up to 1000; a small test cap with limit=1000 ends the sequence mid-page).
    const take = all.slice(at.pos, at.pos + Math.min(at.spec.limit, cap - at.served));
    const pos = at.pos + take.length;
    const served = at.served + take.length;
    qstats.pages++;
    qstats.recordsServed += take.length;
    const values = take.map((r) => render(def, r, fields));
    const more = pos < all.length;
    const headers: Record<string, string> = {};
    let next: string | null = null;
    if (more && served >= cap) {
      headers['Pardot-Warning'] = capHeader;
      qstats.capped++;
    } else if (more) {
      next = randomBytes(18).toString('base64url');
      tokens.set(next, { spec: at.spec, pos, served, pageNumber: at.pageNumber + 1, issuedMs: ctx.nowMs() });
    }
    const names = fields.map((p) => ('collection' in p ? `${p.collection}.${p.sub}` : p.field)).join(',');
    const nextPageUrl = next ? `${ctx.baseUrl()}/api/v5/objects/${def.name}?nextPageToken=${encodeURIComponent(next)}&fields=${encodeURIComponent(names)}` : null;
    const text = JSON.stringify({ values, nextPageToken: next, nextPageUrl });
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
    const hook = onPage;
    if (hook) {
      try {
        hook({ object: def.name, pageNumber: at.pageNumber, values, nextPageToken: next, capped: headers['Pardot-Warning'] !== undefined });
      } catch (e) {
        qstats.hookErrors.push(e);
      }
    }
  }

  /** The queryTimeout fault: true when the answer (214 or a gateway's 504) was sent. */
  function timedOut(res: ServerResponse, limit: number): boolean {
    const t = opts.queryTimeout;
    if (!t || limit <= t.aboveLimit) return false;
    if (t.answer === 'http504') {
      const html = '<html><head><title>504 Gateway Time-out</title></head><body><h1>504 Gateway Time-out</h1></body></html>';
      res.writeHead(504, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(html) });
      res.end(html);
      return true;
    }
    // The error page: 214 "API request timed out." / "Retry the query with smaller limits".
    throw new ApiError(400, V5_CODES.timedOut, 'API request timed out.');
  }

  function handle(res: ServerResponse, url: URL, name: string): void {
    const def = objectDef(name);
    if (!def) throw new ApiError(404, CODES.notFound, `No such object: ${name}`);
    if (noAbility.has(name))
      throw new ApiError(MISSING_ABILITY.status, MISSING_ABILITY.code, `Access denied: the API user lacks the View ability for ${name}`);
    const sp = url.searchParams;
    const fields = parseFields(def, sp.get('fields'));
    const token = sp.get('nextPageToken');
    if (token !== null) {
      for (const k of sp.keys()) if (k !== 'nextPageToken' && k !== 'fields') throw invalid(`Invalid parameter: only fields may accompany nextPageToken (got ${k})`);
      const at = tokens.get(token);
      if (!at || at.spec.name !== name) throw new ApiError(400, V5_CODES.tokenInvalid, 'Page token is invalid.');
      if (ctx.nowMs() - at.issuedMs > QUERY_DEFAULTS.tokenTtlMs) throw new ApiError(400, V5_CODES.tokenExpired, 'Page token has expired.');
      if (timedOut(res, at.spec.limit)) return;
      return page(res, def, at, fields);
    }
    const { spec, offset } = parseQuery(def, sp);
    if (timedOut(res, spec.limit)) return;
    qstats.sequences++;
    page(res, def, { spec, pos: offset, served: 0, pageNumber: 1, issuedMs: ctx.nowMs() }, fields);
  }

  /** The live rows of an object, for the change API (arrays only: a lazy source cannot change). */
  function liveRows(object: string): Row[] {
    const def = v5Object(object);
    if (def && !def.singleton) {
      let rows = store.get(object);
      if (!rows && object === 'custom-fields' && ctx.customFields?.('prospect'))
        throw new Error('custom-fields: its rows are the customFields option; change them with setCustomFields');
      if (!rows) store.set(object, (rows = []));
      if (!Array.isArray(rows)) throw new Error(`${object}: its rows are a lazy source, which cannot change; give an array`);
      return rows;
    }
    const e = EXPORT_OBJECT_QUERIES[object];
    if (!e) throw new Error(`${object}: not a queryable object of the fake (v5-objects.ts, EXPORT_OBJECT_QUERIES)`);
    const src = ctx.data(e.object);
    if (!Array.isArray(src)) throw new Error(`${object}: data.${e.object} is ${src ? 'a lazy source' : 'not given'}; give an array to change it`);
    return src;
  }

  /** Sets updatedAt (and createdAt on insert) where the object has them: the fake's now, or `at`. */
  function stamp(object: string, row: Row, at: Date | undefined, inserted: boolean): void {
    const fields = objectDef(object)?.fields ?? v5Object(object)?.fields ?? {};
    const t = new Date(at?.getTime() ?? ctx.nowMs());
    if ('updatedAt' in fields) row.updatedAt = t;
    if (inserted && 'createdAt' in fields && (row.createdAt === null || row.createdAt === undefined)) row.createdAt = t;
  }

  function indexOf(rows: Row[], object: string, id: number): number {
    const i = rows.findIndex((r) => r.id === id);
    if (i < 0) throw new Error(`${object}: no record with id ${id}`);
    return i;
  }

  const records: FakeV5Records = {
    rows: liveRows,
    insert(object, row, at) {
      const rows = liveRows(object);
      if (typeof row.id !== 'number') throw new Error(`${object}: an inserted record needs a numeric id`);
      if (rows.some((r) => r.id === row.id)) throw new Error(`${object}: id ${row.id} exists already`);
      const r: Row = { ...row };
      stamp(object, r, at, true);
      rows.push(r);
      return r;
    },
    update(object, id, patch, at) {
      const rows = liveRows(object);
      const r = rows[indexOf(rows, object, id)]!;
      Object.assign(r, patch);
      if (!('updatedAt' in patch)) stamp(object, r, at, false);
      return r;
    },
    delete(object, id, o = {}) {
      const rows = liveRows(object);
      const i = indexOf(rows, object, id);
      const recycle = !o.hard && (v5Object(object)?.deleted ?? EXPORT_OBJECT_QUERIES[object]?.deleted ?? false);
      if (recycle) {
        rows[i]!.isDeleted = true;
        stamp(object, rows[i]!, o.at, false);
      } else rows.splice(i, 1);
    },
  };

  return {
    handle,
    stats: qstats,
    records,
    setOnQueryPage(fn: ((info: QueryPageInfo) => void) | null): void {
      onPage = fn ?? undefined;
    },
  };
}

/** The account's other fields (v5 account object), for reads of the whole record (the account stream). */
export function accountFields(timeZone: string): Record<string, unknown> {
  return {
    level: 'Advanced',
    website: 'https://example.com/?a=1,b="2"',
    pluginCampaignId: 11,
    addressOne: '1 Main St, Suite "5"',
    addressTwo: null,
    city: 'Zürich',
    state: null,
    zip: '8001',
    territory: null,
    country: 'Switzerland',
    phone: '+41 44 000 00 00',
    fax: null,
    adminId: 7,
    createdAt: formatIsoWithOffset(Date.UTC(2019, 2, 10, 9, 30, 0), timeZone),
    updatedAt: formatIsoWithOffset(Date.UTC(2024, 6, 1, 12, 0, 0), timeZone),
    createdById: 7,
    updatedById: 8,
  };
}
