// The v5 object query endpoint of the fake: GET /api/v5/objects/{object}?fields=...
// per ../../shared/pardot/wire-contract.md "Beyond the Export API" and Salesforce's
// "Version 5 Overview" (fields required, limit 200 by default and 1000 at most, orderBy,
// per-object filters, deleted=all|true|false, nextPageToken sequences capped at 100,000
// records with the `Pardot-Warning: 203` header).
//
// The six export objects are queryable from the very rows their exports serve (`data`);
// any other object is given by the `queryObjects` option (rows + what its page allows).

import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';

import type { CellValue, Row } from './csv.js';
import type { DataSource } from './data.js';
import { hash32 } from './data.js';
import { FIELDS, type FieldType, type ObjectName } from './fields.js';
import { ApiError, CODES } from './procedures.js';
import { formatIsoWithOffset } from './time.js';
import {
  CUSTOM_FIELD_OBJECT_FIELDS,
  CUSTOM_FIELD_OBJECT_FILTERS,
  CUSTOM_FIELD_OBJECT_SORTABLE,
  customFieldRecord,
  type FakeCustomField,
} from './custom-fields.js';

/** What one queryable object allows, as its v5 reference page lists it. */
export interface FakeQueryObject {
  /** Field name -> type. Values of DateTime fields are written as ISO 8601 with the user's offset. */
  fields: Readonly<Record<string, FieldType | string>>;
  /** Filter parameters the object accepts, e.g. `idGreaterThan`, `updatedAtAfterOrEqualTo`. */
  filters: readonly string[];
  /** Fields `orderBy` accepts. */
  sortable: readonly string[];
  /** Whether `deleted=all|true|false` is accepted (default false: deleted records are left out). */
  deleted: boolean;
  /** The records; a row's `isDeleted === true` marks it as in the recycle bin. */
  rows: DataSource;
}

export interface FakeQueryOptions {
  /** Extra (or replacement) queryable objects by URL name, e.g. `campaigns`, `tagged-objects`. */
  queryObjects?: Record<string, FakeQueryObject>;
  /** Records after which a nextPageToken sequence ends with warning 203. Default 100,000. */
  queryTokenCap?: number;
  /** Objects (URL names) whose View ability the API user lacks: queries answer MISSING_ABILITY. */
  queryNoAbility?: readonly string[];
}

export const QUERY_DEFAULTS = {
  limit: 200,
  maxLimit: 1000,
  tokenCap: 100_000,
  /** A nextPageToken lives 4 hours. */
  tokenTtlMs: 4 * 3600 * 1000,
} as const;

/** The header a sequence's last page carries when it stopped at the cap. */
export const CAP_WARNING = '203;Record count for nextPageToken sequence has been exceeded. No page token returned.';

/**
 * Code answered when the user lacks the object's View ability. The wire contract lists 46/49 for
 * "user lacks the ability / access denied"; the fake uses 46 with HTTP 403 (its choice).
 */
export const MISSING_ABILITY = { status: 403, code: 46 } as const;

/** Filter parameter suffix -> comparison with the record's value. */
const FILTER_OPS: readonly [string, (v: number, x: number) => boolean][] = [
  ['GreaterThanOrEqualTo', (v, x) => v >= x],
  ['LessThanOrEqualTo', (v, x) => v <= x],
  ['AfterOrEqualTo', (v, x) => v >= x],
  ['BeforeOrEqualTo', (v, x) => v <= x],
  ['GreaterThan', (v, x) => v > x],
  ['LessThan', (v, x) => v < x],
  ['After', (v, x) => v > x],
  ['Before', (v, x) => v < x],
];

const idFilters = ['idGreaterThan', 'idGreaterThanOrEqualTo', 'idLessThan', 'idLessThanOrEqualTo'];
const dateFilters = (field: string): string[] =>
  ['After', 'AfterOrEqualTo', 'Before', 'BeforeOrEqualTo'].map((s) => field + s);

/** URL name -> export object, with what the fake's v5 query of it allows. */
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

interface Sequence {
  object: string;
  /** Matching row indexes in answer order. */
  order: number[];
  pos: number;
  served: number;
  limit: number;
  createdMs: number;
}

export interface QueryStats {
  /** nextPageToken sequences started and ended at the cap. */
  sequences: number;
  capped: number;
  recordsServed: number;
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

/** A sortable / filterable value as a number (dates as whole-second epoch ms), null when empty. */
function keyValue(v: CellValue, type: FieldType | string | undefined): number | string | null {
  if (v === null || v === undefined) return null;
  if (type === 'DateTime') {
    const ms = msOf(v);
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

/** v5 date-time in a query string: ISO 8601 with an offset (or Z). */
const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

export function createQueryHandler(ctx: QueryContext, opts: FakeQueryOptions) {
  const cap = Math.max(1, opts.queryTokenCap ?? QUERY_DEFAULTS.tokenCap);
  const noAbility = new Set(opts.queryNoAbility ?? []);
  const sequences = new Map<string, Sequence>();
  const qstats: QueryStats = { sequences: 0, capped: 0, recordsServed: 0 };

  function objectDef(name: string): FakeQueryObject | undefined {
    const extra = opts.queryObjects?.[name];
    if (extra) return extra;
    if (name === 'custom-fields') {
      // The business unit's prospect custom fields as they are now (setCustomFields between runs).
      const list = ctx.customFields?.('prospect');
      if (!list) return undefined;
      return {
        fields: CUSTOM_FIELD_OBJECT_FIELDS,
        filters: CUSTOM_FIELD_OBJECT_FILTERS,
        sortable: CUSTOM_FIELD_OBJECT_SORTABLE,
        deleted: false,
        rows: list.map(customFieldRecord),
      };
    }
    const e = EXPORT_OBJECT_QUERIES[name];
    if (!e) return undefined;
    const fields: Record<string, FieldType> = {};
    for (const f of FIELDS[e.object]) fields[f.name] = f.type;
    return { fields, filters: e.filters, sortable: e.sortable, deleted: e.deleted, rows: ctx.data(e.object) ?? [] };
  }

  function parseFields(def: FakeQueryObject, name: string, raw: string | null): string[] {
    if (raw === null || raw.trim() === '')
      throw new ApiError(400, CODES.missingArgument, `The fields parameter is required for ${name}`);
    const fields = raw.split(',').map((s) => s.trim()).filter(Boolean);
    for (const f of fields)
      if (!(f in def.fields)) throw new ApiError(400, CODES.invalidField, `Invalid field: ${f} is not a valid field for ${name}`);
    return fields;
  }

  function render(def: FakeQueryObject, row: Row, fields: string[]): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const tz = ctx.timeZone();
    for (const f of fields) {
      const v = row[f];
      if (v === null || v === undefined) out[f] = null;
      else if (def.fields[f] === 'DateTime') {
        const ms = msOf(v);
        out[f] = ms === null ? null : formatIsoWithOffset(ms, tz);
      } else if (v instanceof Date) out[f] = formatIsoWithOffset(v.getTime(), tz);
      else out[f] = v;
    }
    return out;
  }

  function page(res: ServerResponse, def: FakeQueryObject, name: string, seq: Sequence, token: string | null, fields: string[]): void {
    const src = def.rows;
    // A page never runs past the cap (Pardot's cap, 100,000, is a multiple of every page size it
    // allows up to 1000; a small test cap with limit=1000 ends the sequence mid-page).
    const take = seq.order.slice(seq.pos, seq.pos + Math.min(seq.limit, cap - seq.served));
    seq.pos += take.length;
    seq.served += take.length;
    qstats.recordsServed += take.length;
    const values = take.map((i) => render(def, rowAt(src, i), fields));
    const more = seq.pos < seq.order.length;
    const headers: Record<string, string> = {};
    let next: string | null = null;
    if (more && seq.served >= cap) {
      headers['Pardot-Warning'] = CAP_WARNING;
      qstats.capped++;
      if (token) sequences.delete(token);
    } else if (more) {
      next = token ?? randomBytes(18).toString('base64url');
      sequences.set(next, seq);
    } else if (token) sequences.delete(token);
    const nextPageUrl = next
      ? `${ctx.baseUrl()}/api/v5/objects/${name}?nextPageToken=${encodeURIComponent(next)}&fields=${encodeURIComponent(fields.join(','))}`
      : null;
    const text = JSON.stringify({ values, nextPageToken: next, nextPageUrl });
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }

  function handle(res: ServerResponse, url: URL, name: string): void {
    const def = objectDef(name);
    if (!def) throw new ApiError(404, CODES.notFound, `No such object: ${name}`);
    if (noAbility.has(name))
      throw new ApiError(MISSING_ABILITY.status, MISSING_ABILITY.code, `Access denied: the API user lacks the View ability for ${name}`);
    const sp = url.searchParams;
    const fields = parseFields(def, name, sp.get('fields'));

    const token = sp.get('nextPageToken');
    if (token !== null) {
      for (const k of sp.keys())
        if (k !== 'nextPageToken' && k !== 'fields')
          throw new ApiError(400, CODES.invalidArgument, `Only fields may accompany nextPageToken (got ${k})`);
      const seq = sequences.get(token);
      if (!seq || seq.object !== name) throw new ApiError(400, CODES.invalidArgument, 'Invalid nextPageToken');
      if (ctx.nowMs() - seq.createdMs > QUERY_DEFAULTS.tokenTtlMs) {
        sequences.delete(token);
        throw new ApiError(400, CODES.invalidArgument, 'nextPageToken has expired');
      }
      return page(res, def, name, seq, token, fields);
    }

    let limit: number = QUERY_DEFAULTS.limit;
    const rawLimit = sp.get('limit');
    if (rawLimit !== null) {
      limit = Number(rawLimit);
      if (!/^\d+$/.test(rawLimit) || limit < 1 || limit > QUERY_DEFAULTS.maxLimit)
        throw new ApiError(400, CODES.invalidArgument, `Invalid value for limit: ${rawLimit} (1 to ${QUERY_DEFAULTS.maxLimit})`);
    }

    let deleted = 'false';
    const rawDeleted = sp.get('deleted');
    if (rawDeleted !== null) {
      if (!def.deleted) throw new ApiError(400, CODES.unknownArgument, `Unknown parameter for ${name}: deleted`);
      if (!['all', 'true', 'false'].includes(rawDeleted))
        throw new ApiError(400, CODES.invalidArgument, `Invalid value for deleted: ${rawDeleted} (all, true or false)`);
      deleted = rawDeleted;
    }

    const order: { field: string; dir: 1 | -1 }[] = [];
    const rawOrder = sp.get('orderBy');
    if (rawOrder !== null) {
      for (const part of rawOrder.split(',')) {
        const m = /^\s*(\w+)(?:\s+(ASC|DESC))?\s*$/i.exec(part);
        if (!m || !def.sortable.includes(m[1]!))
          throw new ApiError(400, CODES.invalidArgument, `Invalid orderBy for ${name}: ${part.trim()} (sortable: ${def.sortable.join(', ')})`);
        order.push({ field: m[1]!, dir: (m[2] ?? 'ASC').toUpperCase() === 'DESC' ? -1 : 1 });
      }
    } else order.push({ field: 'id', dir: 1 });

    const tests: { field: string; op: (v: number, x: number) => boolean; x: number }[] = [];
    for (const [k, v] of sp) {
      if (k === 'fields' || k === 'limit' || k === 'deleted' || k === 'orderBy') continue;
      if (!def.filters.includes(k)) throw new ApiError(400, CODES.unknownArgument, `Unknown parameter for ${name}: ${k}`);
      if (k in def.fields && def.fields[k] === 'Integer') {
        // A field's own name: equality (e.g. dynamicContentId on dynamic content variations).
        if (!/^-?\d+$/.test(v)) throw new ApiError(400, CODES.invalidArgument, `Invalid value for ${k}: ${v}`);
        tests.push({ field: k, op: (a, x) => a === x, x: Number(v) });
        continue;
      }
      const hit = FILTER_OPS.find(([suffix]) => k.endsWith(suffix));
      if (!hit) throw new ApiError(400, CODES.unknownArgument, `Unknown parameter for ${name}: ${k}`);
      const field = k.slice(0, -hit[0].length);
      let x: number;
      if (def.fields[field] === 'DateTime') {
        // A `+` left unencoded in the query string arrives as a space: Pardot rejects it; so does the fake.
        if (!ISO_RE.test(v)) throw new ApiError(400, CODES.invalidArgument, `Invalid value for ${k}: ${v} (ISO 8601 with an offset)`);
        x = Math.floor(Date.parse(v) / 1000) * 1000;
      } else {
        x = Number(v);
        if (!/^-?\d+$/.test(v)) throw new ApiError(400, CODES.invalidArgument, `Invalid value for ${k}: ${v}`);
      }
      tests.push({ field, op: hit[1], x });
    }

    const src = def.rows;
    const n = countOf(src);
    const matching: number[] = [];
    for (let i = 0; i < n; i++) {
      const row = rowAt(src, i);
      const del = row.isDeleted === true;
      if (deleted === 'false' && del) continue;
      if (deleted === 'true' && !del) continue;
      let ok = true;
      for (const t of tests) {
        const kv = keyValue(row[t.field], def.fields[t.field]);
        if (typeof kv !== 'number' || !t.op(kv, t.x)) {
          ok = false;
          break;
        }
      }
      if (ok) matching.push(i);
    }
    // Records equal on every orderBy field come in an order of the fake's choosing (a hash of the
    // id), not by id: a client that wants (cursor, id) order must ask for it.
    const keys = matching.map((i) => {
      const row = rowAt(src, i);
      return { i, k: order.map((o) => keyValue(row[o.field], def.fields[o.field])), tie: hash32(7, Number(row.id ?? i)) };
    });
    keys.sort((a, b) => {
      for (let j = 0; j < order.length; j++) {
        const c = cmp(a.k[j]!, b.k[j]!) * order[j]!.dir;
        if (c !== 0) return c;
      }
      return a.tie - b.tie;
    });
    qstats.sequences++;
    const seq: Sequence = { object: name, order: keys.map((k) => k.i), pos: 0, served: 0, limit, createdMs: ctx.nowMs() };
    page(res, def, name, seq, null, fields);
  }

  return { handle, stats: qstats };
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
