// Deterministic test data for the fake Pardot server: every field of every
// exportable object, with values chosen to break naive CSV and date handling.

import type { Row } from './csv.js';
import { FIELDS, OBJECT_NAMES, VISITOR_ACTIVITY_TYPES, type FieldDef, type ObjectName } from './fields.js';
import { offsetMinutes } from './time.js';

export type { Row, CellValue } from './csv.js';

/** Rows served lazily: the benchmark serves millions of rows without holding them. */
export interface LazySource {
  readonly count: number;
  row(i: number): Row;
  /** Optional fast path for filtering: epoch ms of a DateTime field of row i (null when empty). */
  timeOf?(i: number, field: string): number | null;
  /** Optional fast path for filtering on deletion. */
  isDeleted?(i: number): boolean;
}
export type DataSource = Row[] | LazySource;

// ---------------------------------------------------------------- PRNG

/** mulberry32: small, fast, deterministic. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Stateless 32-bit hash of (seed, i, salt), for random access generators. */
export function hash32(seed: number, i: number, salt = 0): number {
  let h = (seed ^ Math.imul(i + 0x9e3779b9, 0x85ebca6b) ^ Math.imul(salt + 0x27d4eb2f, 0xc2b2ae35)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Deterministic in-place Fisher-Yates shuffle. */
export function shuffleInPlace<T extends { length: number; [i: number]: unknown }>(arr: T, seed: number): T {
  const rnd = prng(seed);
  for (let i = arr.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    const tmp = arr[i];
    arr[i] = arr[j];
    arr[j] = tmp;
  }
  return arr;
}

// ---------------------------------------------------------------- value pools

/** Strings that break naive CSV writers and readers. Never '' (an empty cell reads back as null). */
export const TRICKY_STRINGS: readonly string[] = [
  'Acme, Inc.',
  'He said "hello"',
  'line one\nline two',
  'windows\r\nline break',
  'comma, "quote", and\nnewline',
  '"',
  ',',
  '""',
  'Zoë Ångström',
  'Müller-Lüdenscheidt',
  'François Dœuf',
  '東京都渋谷区',
  '北京市 海淀区',
  '🚀 launch 🎉',
  'family 👨‍👩‍👧‍👦 emoji',
  'Привет, мир',
  'עברית',
  ' leading space',
  'trailing space ',
  'tab\tinside',
  'multi\n\nblank lines\n',
  "O'Brien",
  '=SUM(A1:A2)',
  'NULL',
  'plain text',
  'a'.repeat(255),
];

const FIRST_NAMES = ['Ana', 'Björn', 'Chloé', 'Dmitri', 'Eun-ji', 'Fatima', 'Giulia', 'Hiroshi', 'Ibrahim', 'José', 'Zoë', '美咲'];
const LAST_NAMES = ['García', 'Nguyen', "O'Neil", 'Smith, Jr.', 'Østergaard', 'Kowalski', '山田', 'Müller', 'Dubois', 'Okafor'];
const COMPANIES = ['Acme, Inc.', 'Globex "The Big One" Corp', 'Initech', 'Umbrella\nHoldings', 'Société Générale', '株式会社テスト', 'Stark Industries 🚀'];
const CITIES = ['San Francisco', 'Zürich', 'São Paulo', 'Kraków', '東京', 'Reykjavík', 'New York, NY'];
const COUNTRIES = ['United States', 'Deutschland', 'España', '日本', 'Côte d’Ivoire', 'France'];

const pick = <T>(rnd: () => number, arr: readonly T[]): T => arr[Math.floor(rnd() * arr.length)]!;

function sfId(rnd: () => number, prefix: string): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let s = prefix;
  while (s.length < 18) s += chars[Math.floor(rnd() * chars.length)];
  return s;
}

// ---------------------------------------------------------------- special instants

/** Hour-granular scan for UTC-offset changes of `timeZone` within [startMs, endMs). */
export function dstTransitions(timeZone: string, startMs: number, endMs: number): number[] {
  const out: number[] = [];
  const H = 3_600_000;
  let t = Math.ceil(startMs / H) * H;
  let prev = offsetMinutes(timeZone, t);
  for (t += H; t < endMs; t += H) {
    const off = offsetMinutes(timeZone, t);
    if (off !== prev) {
      // Refine to the 15-minute bucket where it changed.
      let u = t - H;
      while (offsetMinutes(timeZone, u) === prev) u += 15 * 60_000;
      out.push(u);
      prev = off;
    }
  }
  return out;
}

/**
 * Instants inside [startMs, endMs) that stress window edges and time zones: midnight UTC on
 * day and month boundaries, and seconds around and inside each DST transition of the zone
 * (for a fall-back transition, the repeated wall-clock hour appears twice).
 */
export function specialInstants(timeZone: string, startMs: number, endMs: number): number[] {
  const DAY = 86_400_000;
  const set = new Set<number>();
  const first = new Date(startMs);
  for (let m = 0; ; m++) {
    const t = Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + m, 1);
    if (t >= endMs) break;
    if (t >= startMs) set.add(t);
  }
  const span = endMs - startMs;
  for (const frac of [0.25, 0.5, 0.75]) set.add(Math.floor((startMs + span * frac) / DAY) * DAY);
  for (const tr of dstTransitions(timeZone, startMs, endMs)) {
    for (const delta of [-1_800_000, -1000, 0, 1000, 1_800_000, 3_599_000]) set.add(tr + delta);
  }
  return [...set].filter((t) => t >= startMs && t < endMs && t % 1000 === 0).sort((a, b) => a - b);
}

// ---------------------------------------------------------------- eager generation

export interface GenerateOptions {
  seed: number;
  start: Date;
  end: Date;
  counts?: Partial<Record<ObjectName, number>>;
  /** Zone whose DST transitions get rows placed in them; default America/Los_Angeles. */
  timeZone?: string;
}

export const DEFAULT_COUNTS: Readonly<Record<ObjectName, number>> = {
  prospect: 300,
  visitor: 150,
  visitorActivity: 400,
  listMembership: 150,
  prospectAccount: 60,
  externalActivity: 80,
};

const ID_BASE: Readonly<Record<ObjectName, number>> = {
  prospect: 1_000_000,
  visitor: 2_000_000,
  visitorActivity: 30_000_000,
  listMembership: 4_000_000,
  prospectAccount: 5_000_000,
  externalActivity: 6_000_000,
};

const ACTIVITY_TYPE_CODES = Object.keys(VISITOR_ACTIVITY_TYPES)
  .map(Number)
  .filter((t) => t !== 5); // "Type Session is omitted" from exports

/** Objects whose rows carry isDeleted (visitor gets it too, as a hidden key, for the `deleted` argument). */
const HAS_DELETED: ReadonlySet<ObjectName> = new Set(['prospect', 'visitor', 'listMembership', 'prospectAccount']);

function stringValue(obj: ObjectName, name: string, i: number, id: number, rnd: () => number): string | null {
  switch (name) {
    case 'email':
      return rnd() < 0.05 ? null : `user${id}${rnd() < 0.2 ? '+tag' : ''}@example.com`;
    case 'firstName':
      return rnd() < 0.1 ? null : pick(rnd, FIRST_NAMES);
    case 'lastName':
      return rnd() < 0.1 ? null : pick(rnd, LAST_NAMES);
    case 'company':
    case 'name':
      return rnd() < 0.1 ? null : `${pick(rnd, COMPANIES)} #${i}`;
    case 'city':
    case 'billingCity':
    case 'shippingCity':
      return rnd() < 0.3 ? null : pick(rnd, CITIES);
    case 'country':
    case 'billingCountry':
    case 'shippingCountry':
      return rnd() < 0.3 ? null : pick(rnd, COUNTRIES);
    case 'website':
    case 'salesforceUrl':
    case 'firstReferrerUrl':
      return rnd() < 0.4 ? null : `https://example.com/p?id=${id}&q=a,b&x="y"`;
    case 'ipAddress':
      return `${10 + Math.floor(rnd() * 200)}.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}`;
    case 'hostname':
      return rnd() < 0.3 ? null : `host-${Math.floor(rnd() * 1000)}.example.net`;
    case 'salesforceId':
    case 'salesforceLeadId':
    case 'salesforceContactId':
    case 'salesforceAccountId':
    case 'salesforceCampaignId':
    case 'salesforceOwnerId':
    case 'extensionSalesforceId':
    case 'typeSalesforceId':
      return rnd() < 0.5 && obj !== 'externalActivity' ? null : sfId(rnd, '00Q');
    case 'extension':
      return pick(rnd, ['Zoom', 'Webex, Events', 'Custom "Ext"']);
    case 'type':
      return pick(rnd, ['Webinar Attended', 'Registered, Pending', 'Prospect', 'Customer', '合作伙伴']);
    default:
      if (rnd() < 0.35) return null;
      return rnd() < 0.5 ? pick(rnd, TRICKY_STRINGS) : `${name} ${i} ${pick(rnd, TRICKY_STRINGS)}`;
  }
}

function generateObject(
  obj: ObjectName,
  count: number,
  seed: number,
  startMs: number,
  endMs: number,
  specials: readonly number[],
): Row[] {
  const rnd = prng(hash32(seed, OBJECT_NAMES.indexOf(obj), 0xabc));
  const fields: readonly FieldDef[] = FIELDS[obj];
  const spanSec = Math.max(1, Math.floor((endMs - startMs) / 1000));
  const uniform = (): number => startMs + Math.floor(rnd() * spanSec) * 1000;
  const names = new Set(fields.map((f) => f.name));
  // Which rows get a special instant: spread over the first indexes of a shuffled order.
  const order = shuffleInPlace(Array.from({ length: count }, (_, k) => k), hash32(seed, count, 7));
  const specialOf = new Map<number, number>();
  specials.forEach((t, k) => {
    if (k < count) specialOf.set(order[k]!, t);
  });

  const rows: Row[] = [];
  let id = ID_BASE[obj];
  for (let i = 0; i < count; i++) {
    id += 1 + Math.floor(rnd() * 5);
    const special = specialOf.get(i);
    let updatedAt = special ?? uniform();
    let createdAt = special ?? startMs + Math.floor(rnd() * ((updatedAt - startMs) / 1000 + 1)) * 1000;
    if (!names.has('updatedAt')) updatedAt = createdAt = special ?? uniform();
    const row: Row = {};
    const typeCode = pick(rnd, ACTIVITY_TYPE_CODES);
    for (const f of fields) {
      const n = f.name;
      if (n === 'id') row[n] = id;
      else if (n === 'createdAt') row[n] = new Date(createdAt);
      else if (n === 'updatedAt') row[n] = new Date(updatedAt);
      else if (n === 'activityDate') row[n] = new Date(special ?? uniform());
      else if (n === 'isDeleted') row[n] = rnd() < 0.12;
      else if (obj === 'visitorActivity' && n === 'type') row[n] = typeCode;
      else if (obj === 'visitorActivity' && n === 'typeName') row[n] = VISITOR_ACTIVITY_TYPES[typeCode] ?? null;
      else if (f.type === 'DateTime') row[n] = rnd() < 0.5 ? null : new Date(uniform());
      else if (f.type === 'Boolean') row[n] = rnd() < 0.1 ? null : rnd() < 0.5;
      else if (f.type === 'Integer') {
        if (n === 'score') row[n] = Math.floor(rnd() * 300) - 20;
        else if (n === 'pageViewCount') row[n] = Math.floor(rnd() * 500);
        else if (n === 'prospectId' && obj !== 'visitorActivity' && obj !== 'visitor')
          row[n] = ID_BASE.prospect + 1 + Math.floor(rnd() * 5000);
        else row[n] = rnd() < 0.4 ? null : 1 + Math.floor(rnd() * 2_000_000);
      } else row[n] = stringValue(obj, n, i, id, rnd);
    }
    if (HAS_DELETED.has(obj) && !names.has('isDeleted')) row.isDeleted = rnd() < 0.12;
    rows.push(row);
  }
  return rows;
}

/**
 * Deterministic rows for every object: all fields of fields.json (non-exportable ones too, so a
 * test can check they never leave the server), DateTimes at whole seconds in [start, end),
 * including midnight-UTC day/month boundaries and instants inside the zone's DST transitions.
 */
export function generateData(opts: GenerateOptions): Record<ObjectName, Row[]> {
  const startMs = Math.ceil(opts.start.getTime() / 1000) * 1000;
  const endMs = opts.end.getTime();
  if (!(endMs > startMs)) throw new RangeError('generateData: end must be after start');
  const specials = specialInstants(opts.timeZone ?? 'America/Los_Angeles', startMs, endMs);
  const out = {} as Record<ObjectName, Row[]>;
  for (const obj of OBJECT_NAMES) {
    const count = opts.counts?.[obj] ?? DEFAULT_COUNTS[obj];
    out[obj] = generateObject(obj, count, opts.seed, startMs, endMs, specials);
  }
  return out;
}

// ---------------------------------------------------------------- lazy prospects

export interface LazyOptions {
  seed: number;
  start: Date;
  end: Date;
}

const LAZY_TEXT = TRICKY_STRINGS.slice(0, 24);
const LAZY_DT_FIELDS = ['emailBouncedAt', 'lastActivityAt', 'firstActivityAt', 'firstAssignedAt', 'salesforceLastSync', 'convertedAt'];

/**
 * `count` prospect rows with all 70 fields, computed from (seed, i) on demand: nothing is held,
 * so millions of rows cost no memory. updatedAt is uniform over [start, end) at whole seconds.
 */
export function lazyProspects(count: number, opts: LazyOptions): LazySource {
  const seed = opts.seed >>> 0;
  const startMs = Math.ceil(opts.start.getTime() / 1000) * 1000;
  const spanSec = Math.max(1, Math.floor((opts.end.getTime() - startMs) / 1000));
  const updatedMs = (i: number): number => startMs + (hash32(seed, i, 1) % spanSec) * 1000;
  const createdMs = (i: number): number => {
    const u = updatedMs(i);
    return u - (hash32(seed, i, 2) % ((u - startMs) / 1000 + 1)) * 1000;
  };
  const deleted = (i: number): boolean => hash32(seed, i, 3) % 20 === 0;
  const text = (i: number, salt: number): string | null => {
    const h = hash32(seed, i, salt);
    return h % 3 === 0 ? null : LAZY_TEXT[h % LAZY_TEXT.length]!;
  };
  const int = (i: number, salt: number): number | null => {
    const h = hash32(seed, i, salt);
    return h % 4 === 0 ? null : h % 1_000_000;
  };
  const bool = (i: number, salt: number): boolean => (hash32(seed, i, salt) & 1) === 1;
  const dt = (i: number, salt: number): Date | null => {
    const h = hash32(seed, i, salt);
    return h % 2 === 0 ? null : new Date(startMs + (h % spanSec) * 1000);
  };
  return {
    count,
    timeOf(i: number, field: string): number | null {
      if (field === 'updatedAt') return updatedMs(i);
      if (field === 'createdAt') return createdMs(i);
      const d = this.row(i)[field];
      return d instanceof Date ? d.getTime() : null;
    },
    isDeleted: deleted,
    row(i: number): Row {
      const id = 10_000_000 + i;
      const dts = LAZY_DT_FIELDS.map((_, k) => dt(i, 40 + k));
      return {
        id,
        email: `prospect${id}@example.com`,
        firstName: FIRST_NAMES[hash32(seed, i, 4) % FIRST_NAMES.length]!,
        lastName: LAST_NAMES[hash32(seed, i, 5) % LAST_NAMES.length]!,
        salutation: text(i, 6),
        jobTitle: text(i, 7),
        company: COMPANIES[hash32(seed, i, 8) % COMPANIES.length]!,
        department: text(i, 9),
        website: `https://example.com/${id}`,
        industry: text(i, 10),
        annualRevenue: text(i, 11),
        employees: text(i, 12),
        yearsInBusiness: text(i, 13),
        phone: '+1 (555) 010-' + String(id % 10000).padStart(4, '0'),
        fax: null,
        addressOne: text(i, 14),
        addressTwo: text(i, 15),
        city: CITIES[hash32(seed, i, 16) % CITIES.length]!,
        state: text(i, 17),
        zip: String(10000 + (id % 89999)),
        country: COUNTRIES[hash32(seed, i, 18) % COUNTRIES.length]!,
        territory: text(i, 19),
        comments: text(i, 20),
        notes: text(i, 21),
        grade: 'A',
        score: int(i, 22),
        source: text(i, 23),
        optedOut: bool(i, 24),
        isDoNotEmail: bool(i, 25),
        isDoNotCall: bool(i, 26),
        isEmailHardBounced: bool(i, 27),
        emailBouncedAt: dts[0]!,
        emailBouncedReason: text(i, 28),
        isReviewed: bool(i, 29),
        isStarred: bool(i, 30),
        isDeleted: deleted(i),
        doNotSell: bool(i, 31),
        campaignId: int(i, 32),
        profileId: int(i, 33),
        prospectAccountId: int(i, 34),
        lifecycleStageId: int(i, 35),
        userId: int(i, 36),
        assignedToId: int(i, 37),
        lastActivityAt: dts[1]!,
        recentInteraction: text(i, 38),
        firstActivityAt: dts[2]!,
        firstAssignedAt: dts[3]!,
        firstReferrerQuery: text(i, 39),
        firstReferrerType: null,
        firstReferrerUrl: null,
        sourceParameter: text(i, 50),
        campaignParameter: text(i, 51),
        mediumParameter: text(i, 52),
        contentParameter: null,
        termParameter: null,
        salesforceId: null,
        salesforceLeadId: null,
        salesforceContactId: null,
        salesforceAccountId: null,
        salesforceCampaignId: null,
        salesforceOwnerId: null,
        salesforceUrl: null,
        salesforceLastSync: dts[4]!,
        convertedAt: dts[5]!,
        convertedFromObjectName: null,
        convertedFromObjectType: null,
        createdAt: new Date(createdMs(i)),
        updatedAt: new Date(updatedMs(i)),
        createdById: int(i, 53),
        updatedById: int(i, 54),
      };
    },
  };
}
