// A real HTTP fake of Salesforce OAuth + the Pardot v5 Export API on loopback,
// for the test suite, the demo and the throughput benchmark. node:http only.

import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

import { headerLine, RawCell, rowRenderer, type CellValue, type Column, type Row } from './csv.js';
import { apiFieldIdOf, CUSTOM_FIELD_TYPES, exportColumns, type CustomFieldCsv, type FakeCustomField } from './custom-fields.js';
import { shuffleInPlace, hash32, type DataSource } from './data.js';
import { fieldDef, isObjectName, OBJECT_NAMES, type ObjectName } from './fields.js';
import { chooseOddCells, type OddCell, type OddCellsOptions } from './odd-cells.js';
import { ApiError, CODES, validateCreate, type ExportQuery } from './procedures.js';
import { assertTimeZone, formatIsoWithOffset, parseDateArgument } from './time.js';
import { AUTHORIZE_PATH, createCodeFlow, type CodeFlowStats } from './oauth-code.js';
import {
  EXPORT_OBJECT_QUERIES,
  MISSING_ABILITY,
  accountFields,
  createQueryHandler,
  msOf,
  type FakeQueryOptions,
  type FakeV5Records,
  type QueryPageInfo,
  type QueryStats,
} from './query.js';

// ---------------------------------------------------------------- public types

/** `query`: GET /api/v5/exports (the export query); `objects`: GET /api/v5/objects/{object} (v5 object queries, query.ts). */
export type RouteKind = 'token' | 'account' | 'create' | 'read' | 'query' | 'cancel' | 'download' | 'objects';
export const ROUTE_KINDS: readonly RouteKind[] = ['token', 'account', 'create', 'read', 'query', 'cancel', 'download', 'objects'];

export type FaultKind =
  | 'status'
  | 'html'
  | 'reset'
  | 'cut'
  | 'delay'
  | 'failExport'
  | 'cancelExport'
  | 'unknownState'
  | 'expire'
  | 'badResultRefs'
  | 'tokenExpired'
  | 'dailyLimit';

export interface Fault {
  on: RouteKind;
  /** Fire on the nth matching request from the first one the server sees after the push (1 = next). Default 1. */
  nth?: number;
  /** Fire this many consecutive matching times. Default 1. */
  times?: number;
  kind: FaultKind;
  /** status/html: HTTP status (defaults 500 / 503). expire on download: answer this status (code 404) instead of 400/178. */
  status?: number;
  /** status: the `code` of the JSON body (omitted from the body when not given). */
  code?: number;
  /** status/html: body text sent verbatim instead of the default. */
  body?: string;
  headers?: Record<string, string>;
  /** cut: body bytes sent before the socket is destroyed (default 64). */
  afterBytes?: number;
  /** delay: milliseconds to wait before answering normally (default 1000). */
  ms?: number;
}
export type FaultPlan = Fault[];

export type ExportState = 'Waiting' | 'Processing' | 'Complete' | 'Failed' | 'Canceled';

export interface FakeExport {
  id: number;
  object: ObjectName;
  procedure: { name: string; arguments: Record<string, unknown> };
  /** `fields` as requested (null when absent). */
  fields: string[] | null;
  /** CSV columns in order (field names as requested: a custom field's API name). */
  columns: string[];
  /** The CSV header cells in order (a custom column's display name with `customFieldCsv.header: 'name'`). */
  header: string[];
  /** The parsed JSON body of the create request. */
  requestBody: unknown;
  /** A string outside ExportState after an `unknownState` fault. */
  state: ExportState | string;
  isExpired: boolean;
  createdAt: Date;
  /** The moment of the last state change (the fake's clock), as the resource's `updatedAt` says. */
  updatedAt: Date;
  /** The procedure's window: the row field it filters on and its bounds (whole seconds, epoch ms; exclusive). */
  window: { dateField: string; afterMs: number; beforeMs: number | null };
  /** Zone the export's CSV dates and timestamps are written in (the user's zone at creation). */
  timeZone: string;
  /** The API user that created it (setApiUser): only that user may read, cancel or download it (code 49). */
  owner: string;
  /** Work ticks received while at the head of the queue. */
  ticks: number;
  reads: number;
  downloads: number;
  /**
   * Set when Complete: matching rows and the number of files. The rows are chosen, and copied,
   * when the export turns Complete, against the data as it is then (see `onExportComplete`).
   */
  rowCount: number | null;
  fileCount: number | null;
  /** Set when Complete: download URLs in the order resultRefs lists them. */
  resultUrls: string[];
}

export interface FakeStats {
  calls: Record<RouteKind, number>;
  inFlight: number;
  maxInFlight: number;
  /** API calls counted against the daily allowance (every authenticated /api/v5 request). */
  totalApiCalls: number;
  faultsInjected: Record<string, number>;
  rowsServed: number;
  bytesServed: number;
  rejected: { concurrency: number; dailyLimit: number; auth: number; businessUnit: number };
}

/** One export's life on the machine's clock (epoch ms; `Date.now()`, not the fake's `now`): for benchmarks. */
export interface ExportTiming {
  id: number;
  object: ObjectName;
  createdAt: number;
  /** When it turned Processing (null: never). */
  startedAt: number | null;
  /** When it turned Complete (null: not yet, or it ended otherwise). */
  completedAt: number | null;
  /** Status reads of this export (GET /api/v5/exports/{id}). */
  reads: number;
  /** When every one of its files had been served in full at least once (null: not yet, or no files). */
  downloadedAt: number | null;
}

export interface QueueStats {
  exports: ExportTiming[];
  /** Sum over exports of completedAt - startedAt: the time the business unit's queue was working. */
  busyMs: number;
  firstCreatedAt: number | null;
  lastCompletedAt: number | null;
}

/** A change to rows of an in-memory source (`updateRows`). */
export interface RowChange {
  /** The rows' new updatedAt: a Date, 'now' (the fake's clock; default), or 'keep'. */
  updatedAt?: Date | 'now' | 'keep';
  /** Field values to set. */
  set?: Row;
}

/**
 * Moments a test can act at: after an export is created, when it turns Processing, when it turns
 * Complete (its rows chosen), after one of its files was served in full (`file` is 1-based).
 */
export type FakeEvent = 'exportCreated' | 'exportStart' | 'exportComplete' | 'fileDownloaded';
export type FakeListener = (e: FakeExport, file?: number) => void;

export interface FakeRequest {
  method: string;
  path: string;
  route: RouteKind | 'unknown';
  status: number;
  authorization: boolean;
  businessUnitId: string | undefined;
  at: number;
}

export type FakeGrant = 'refresh_token' | 'client_credentials';

export interface FakePardotOptions extends FakeQueryOptions {
  clientId?: string;
  clientSecret?: string;
  refreshToken?: string;
  /** Grant types the token endpoint accepts. Default both; others get `unsupported_grant_type`. */
  grants?: readonly FakeGrant[];
  /**
   * Refresh token rotation (Salesforce's "Enable Refresh Token Rotation"): each refresh grant answers
   * a new `refresh_token` and invalidates the one sent. Presenting an invalidated one is answered
   * `invalid_grant` and, as Salesforce documents, revokes the current refresh token and every
   * access token too.
   */
  rotateRefreshToken?: boolean;
  businessUnitId?: string;
  userTimezone?: string;
  data?: Partial<Record<ObjectName, DataSource>>;
  rowsPerFile?: number;
  filesPerExport?: number;
  pollsUntilComplete?: number;
  maxConcurrent?: number;
  dailyLimit?: number;
  apiCallsUsedAtStart?: number;
  downloadOrigin?: string;
  faults?: FaultPlan;
  latencyMs?: number;
  /** CSV line ending `\r\n` instead of `\n`. */
  crlf?: boolean;
  /** Start each CSV file with a UTF-8 BOM (Pardot's UI exports do; the API does not). */
  bom?: boolean;
  /** Answer export resources wrapped as `{"export": {...}}` (the v3/v4 shape). */
  wrapExport?: boolean;
  /** Fixed clock for createdAt, `today`, and the 1-year check without `before`. */
  now?: Date;
  /** Seed for the row and file shuffles. Default 1. */
  seed?: number;
  /** Account id answered by the account endpoint. Default 4242. */
  accountId?: number;
  /**
   * The API user lacks "Admin > Account > Edit Settings" (an export user): the account endpoint
   * answers 403 with code 46.
   */
  accountDenied?: boolean;
  /**
   * Fields of an object that this business unit does not have (custom fields deleted, or an API
   * change): a create naming one answers 400 with code 180 naming it.
   */
  refusedFields?: Partial<Record<ObjectName, string[]>>;
  /**
   * Static-file mode (the throughput benchmark: rendering rows costs the fake more CPU than the
   * connector spends reading them). An export of a listed object whose date range overlaps
   * [startMs, endMs) completes with exactly these pre-rendered CSV files (header included, whole,
   * in this order; `data` for the object is not consulted), streamed from disk with backpressure;
   * an export whose range misses the span completes with no file. `cut` and `expire` faults still apply.
   */
  staticResults?: Partial<Record<ObjectName, StaticResult | StaticResultFor>>;
  /**
   * Custom fields of the business unit per object (prospect and prospectAccount in practice): an
   * export may name their API names (`fieldId`) in `fields`; the v5 `custom-fields` object lists
   * the prospect ones. Change them between runs with `setCustomFields`.
   */
  customFields?: Partial<Record<ObjectName, FakeCustomField[]>>;
  /** How an export writes custom columns (header text, multi-value cells): both forms are assumptions. */
  customFieldCsv?: CustomFieldCsv;
  /**
   * Called once when an export turns Complete, after its rows are chosen and copied (a later
   * change to the data does not change this export's files): a test can change the data here
   * (move a row's updatedAt out of the window, delete it) and the next export of the same window
   * sees the change. An error thrown here answers the read that completed the export with HTTP 500.
   */
  onExportComplete?: (e: FakeExport) => void;
  /** Called right after an export is created (before the create is answered). */
  onExportCreated?: (e: FakeExport) => void;
  /** Called when an export turns Processing (in the default mode, inside the read that moves it). */
  onExportStart?: (e: FakeExport) => void;
  /** Called after a file of an export was served in full (`file` is 1-based, as in its URL). */
  onFileDownloaded?: (e: FakeExport, file: number) => void;
  /**
   * Real-time processing: the business unit works on one export at a time, oldest first. The oldest
   * Waiting export turns Processing when the previous one ends (at once when none is running) and
   * Complete this many ms later (a number, or a function of the export), its rows chosen then. Reads
   * do not move exports on in this mode. Without it (default) a read is one unit of work
   * (`pollsUntilComplete`).
   */
  processingMs?: number | ((e: FakeExport) => number);
  /** externalActivity.activityDate cells: `YYYY-MM-DD HH:mm:ss` ('dateTime', default) or `YYYY-MM-DD` ('date'). */
  activityDateCells?: 'dateTime' | 'date';
  /** Malformed values in chosen cells of exports (odd-cells.ts); `oddCells()` lists them. */
  oddCells?: OddCellsOptions;
  /** Web server flow (oauth-code.ts): the user declines at the consent screen. */
  denyAuthorization?: boolean;
}

/**
 * Static-file mode for exports naming a subset of fields (a part of a split export): called when
 * the export completes, with its `fields` as requested (null when absent); undefined means no
 * static files for that export (its rows come from `data`).
 */
export type StaticResultFor = (requestedFields: string[] | null) => StaticResult | undefined;

export interface StaticResult {
  /** Paths of CSV files, each with its header line. */
  files: string[];
  /** Data rows across the files (reported as the export's rowCount). */
  rowCount: number;
  /** Span of the rows' dates: exports whose window overlaps it get the files. Default: every export. */
  startMs?: number;
  endMs?: number;
}

export interface FakePardot {
  url: string;
  close(): Promise<void>;
  stats: FakeStats;
  exports: FakeExport[];
  faults: FaultPlan;
  log: FakeRequest[];
  setNow(now: Date | null): void;
  setUserTimezone(timeZone: string): void;
  /** Requests from now on come from another API user (the export owner check, code 49). Default 'api-user'. */
  setApiUser(name: string): void;
  setData(object: ObjectName, source: DataSource): void;
  /** Replaces an object's custom fields (schema drift between runs); exports already created keep their columns. */
  setCustomFields(object: ObjectName, list: FakeCustomField[]): void;
  expireAccessTokens(): void;
  expireExport(id: number): void;
  /** Every access token the token endpoint issued, in order (for tests that search output for them). */
  readonly issuedTokens: readonly string[];
  /** Every refresh token a rotation issued, in order (same use). */
  readonly issuedRefreshTokens: readonly string[];
  /** The web server flow's counters (authorize requests, codes issued and redeemed). */
  readonly codeFlow: CodeFlowStats;
  /** v5 object queries: sequences started, sequences ended at the cap, records served. */
  readonly queryStats: QueryStats;
  /** Per-export timings on the machine's clock, and the queue's busy time (benchmarks). */
  queueStats(): QueueStats;
  /** The cells the `oddCells` option made odd (all objects, or one), sorted by object then row id. */
  oddCells(object?: ObjectName): OddCell[];
  /** The in-memory rows of an object (throws for a lazy source): read them, change them through the calls below. */
  rows(object: ObjectName): readonly Row[];
  /** Changes the rows with these ids (in-memory sources); returns the ids found. */
  updateRows(object: ObjectName, ids: readonly number[], change?: RowChange): number[];
  /** Adds rows (copied; ids must be new). */
  insertRows(object: ObjectName, rows: readonly Row[]): void;
  /** Moves rows to the recycle bin: `isDeleted` true and updatedAt now (the fake's clock); returns the ids found. */
  deleteRows(object: ObjectName, ids: readonly number[]): number[];
  /** Adds a listener (after the option's); returns a function that removes it. */
  on(event: FakeEvent, fn: FakeListener): () => void;
  /** Errors thrown by listeners that ran on a timer (`processingMs`), which no request could answer. */
  readonly hookErrors: unknown[];
  /** v5 records: insert, update, delete rows of any queryable object at any moment (query.ts). */
  readonly v5: FakeV5Records;
  /** Replaces the `onQueryPage` hook (null: none). */
  setOnQueryPage(fn: ((info: QueryPageInfo) => void) | null): void;
}

// ---------------------------------------------------------------- defaults

export const DEFAULTS = {
  clientId: 'test-client-id',
  clientSecret: 'test-client-secret',
  refreshToken: 'test-refresh-token',
  businessUnitId: '0Uv000000000001AAA',
  userTimezone: 'America/Los_Angeles',
  rowsPerFile: 1000,
  pollsUntilComplete: 1,
  maxConcurrent: 5,
  dailyLimit: 100_000,
  apiCallsUsedAtStart: 0,
  latencyMs: 0,
  seed: 1,
  accountId: 4242,
} as const;

const BU_ID_RE = /^0Uv[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?$/;
const ACTIVE: ReadonlySet<string> = new Set(['Waiting', 'Processing']);
const GENERIC_FAULTS: ReadonlySet<FaultKind> = new Set(['status', 'html', 'reset', 'delay', 'tokenExpired', 'dailyLimit']);
const READ_STATE_FAULTS: ReadonlySet<FaultKind> = new Set(['failExport', 'cancelExport', 'unknownState', 'expire']);
const DOWNLOAD_FAULTS: ReadonlySet<FaultKind> = new Set(['expire', 'cut']);
const CHUNK_CHARS = 16 * 1024;
const MAX_BODY = 1024 * 1024;

// ---------------------------------------------------------------- helpers

/** Live rows of a `custom-fields` query object that name a usable custom field (API name and a known type). */
function customFieldsOfQueryRows(src: DataSource): FakeCustomField[] {
  const out: FakeCustomField[] = [];
  const n = Array.isArray(src) ? src.length : src.count;
  for (let i = 0; i < n; i++) {
    const r = Array.isArray(src) ? src[i]! : src.row(i);
    if (r.isDeleted === true || typeof r.fieldId !== 'string' || !/^[A-Za-z][A-Za-z0-9_]*$/.test(r.fieldId)) continue;
    if (typeof r.type !== 'string' || !(CUSTOM_FIELD_TYPES as readonly string[]).includes(r.type)) continue;
    const f: FakeCustomField = {
      id: Number(r.id),
      name: typeof r.name === 'string' ? r.name : r.fieldId,
      fieldId: r.fieldId,
      type: r.type as FakeCustomField['type'],
      isRecordMultipleResponses: r.isRecordMultipleResponses === true,
    };
    // A row that carries its own apiFieldId keeps it; otherwise Pardot's rule (fieldId + __c).
    if (typeof r.apiFieldId === 'string') f.apiFieldId = r.apiFieldId;
    out.push(f);
  }
  return out;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

const sendError = (res: ServerResponse, e: ApiError, headers?: Record<string, string>): void =>
  sendJson(res, e.status, { code: e.code, message: e.message }, headers);

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Wait until the response can take more data, or is gone. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

interface Route {
  kind: RouteKind | 'unknown';
  id?: number;
  object?: string;
  file?: number;
  methodOk: boolean;
}

function route(method: string, path: string): Route {
  if (path === '/services/oauth2/token') return { kind: 'token', methodOk: method === 'POST' };
  if (path === '/api/v5/objects/account') return { kind: 'account', methodOk: method === 'GET' };
  if (path === '/api/v5/exports') return { kind: method === 'POST' ? 'create' : 'query', methodOk: method === 'POST' || method === 'GET' };
  let m = /^\/api\/v5\/objects\/([a-z][a-z-]*)$/.exec(path);
  if (m) return { kind: 'objects', object: m[1], methodOk: method === 'GET' };
  m = /^\/api\/v5\/exports\/(\d+)$/.exec(path);
  if (m) return { kind: 'read', id: Number(m[1]), methodOk: method === 'GET' };
  m = /^\/api\/v5\/exports\/(\d+)\/do\/cancel$/.exec(path);
  if (m) return { kind: 'cancel', id: Number(m[1]), methodOk: method === 'POST' };
  m = /^\/api\/v5\/exports\/(\d+)\/results\/(\d+)$/.exec(path);
  if (m) return { kind: 'download', id: Number(m[1]), file: Number(m[2]), methodOk: method === 'GET' };
  return { kind: 'unknown', methodOk: false };
}

/** What a completed export serves: rows (as indexes into the source) split into files. */
interface ExportResult {
  source: DataSource;
  /** Matching row indexes in file order (shuffled). */
  order: Uint32Array;
  /** fileStarts[k] .. fileStarts[k+1] is file k+1 (1-based in URLs). */
  fileStarts: number[];
  /** Static-file mode: file k+1 is served from staticFiles[k]. */
  staticFiles?: string[];
  /** Lazy source with odd cells: source index -> its odd cells (in-memory rows get them in their copies). */
  odd?: ReadonlyMap<number, readonly OddCell[]>;
}

interface Internal {
  query: ExportQuery;
  /** CSV columns with how each is written (fixed at creation). */
  columns: Column[];
  result?: ExportResult;
  timing: ExportTiming;
  /** processingMs mode: the timer that completes it. */
  timer?: NodeJS.Timeout;
  /** Files served in full at least once (downloadedAt). */
  filesDone: Set<number>;
}

/** A row with its odd cells written raw (a copy: the source row is left as it is). */
function withOdd(row: Row, cells: readonly OddCell[]): Row {
  const out: Row = { ...row };
  for (const c of cells) out[c.field] = new RawCell(c.raw);
  return out;
}

// ---------------------------------------------------------------- server

export async function startFakePardot(opts: FakePardotOptions = {}): Promise<FakePardot> {
  const cfg = {
    clientId: opts.clientId ?? DEFAULTS.clientId,
    clientSecret: opts.clientSecret ?? DEFAULTS.clientSecret,
    refreshToken: opts.refreshToken ?? DEFAULTS.refreshToken,
    businessUnitId: opts.businessUnitId ?? DEFAULTS.businessUnitId,
    rowsPerFile: Math.max(1, opts.rowsPerFile ?? DEFAULTS.rowsPerFile),
    filesPerExport: opts.filesPerExport,
    pollsUntilComplete: Math.max(0, opts.pollsUntilComplete ?? DEFAULTS.pollsUntilComplete),
    maxConcurrent: opts.maxConcurrent ?? DEFAULTS.maxConcurrent,
    dailyLimit: opts.dailyLimit ?? DEFAULTS.dailyLimit,
    apiCallsUsedAtStart: opts.apiCallsUsedAtStart ?? DEFAULTS.apiCallsUsedAtStart,
    latencyMs: opts.latencyMs ?? DEFAULTS.latencyMs,
    eol: opts.crlf ? '\r\n' : '\n',
    bom: opts.bom ?? false,
    wrapExport: opts.wrapExport ?? false,
    seed: opts.seed ?? DEFAULTS.seed,
    accountId: opts.accountId ?? DEFAULTS.accountId,
    processingMs: opts.processingMs,
    activityDateCells: opts.activityDateCells ?? 'dateTime',
  };
  let timeZone = opts.userTimezone ?? DEFAULTS.userTimezone;
  assertTimeZone(timeZone);
  let fixedNow: number | null = opts.now ? opts.now.getTime() : null;
  let apiUser = 'api-user';
  const nowMs = (): number => fixedNow ?? Date.now();
  const data: Partial<Record<ObjectName, DataSource>> = { ...(opts.data ?? {}) };
  const customFields: Partial<Record<ObjectName, FakeCustomField[]>> = {};
  for (const [o, list] of Object.entries(opts.customFields ?? {})) customFields[o as ObjectName] = [...(list ?? [])];
  // Without a prospect list, a `custom-fields` query object given by the test is the business
  // unit's list: what discover reads is then also what an export accepts (one source of truth).
  if (customFields.prospect === undefined && opts.queryObjects?.['custom-fields']) {
    customFields.prospect = customFieldsOfQueryRows(opts.queryObjects['custom-fields'].rows);
  }
  const customFieldCsv: CustomFieldCsv = { ...(opts.customFieldCsv ?? {}) };
  // A v5 request names a custom field by its apiFieldId (`UniqueId__c`); the bare fieldId
  // (`UniqueId`) is unknown to an export, as any other unknown name (400, code 180).
  const customFieldOf = (object: ObjectName, name: string): FakeCustomField | undefined =>
    customFields[object]?.find((f) => apiFieldIdOf(f) === name);
  const listeners: Record<FakeEvent, FakeListener[]> = {
    exportCreated: opts.onExportCreated ? [opts.onExportCreated] : [],
    exportStart: opts.onExportStart ? [opts.onExportStart] : [],
    exportComplete: opts.onExportComplete ? [opts.onExportComplete] : [],
    fileDownloaded: opts.onFileDownloaded ? [(e, file) => opts.onFileDownloaded!(e, file!)] : [],
  };
  /** Runs every listener of the event, even after one throws; then throws the first error. */
  const emit = (event: FakeEvent, e: FakeExport, file?: number): void => {
    let failed: { err: unknown } | undefined;
    for (const fn of [...listeners[event]]) {
      try {
        fn(e, file);
      } catch (err) {
        failed ??= { err };
      }
    }
    if (failed) throw failed.err;
  };
  const hookErrors: unknown[] = [];
  let closed = false;
  /** Odd cells per object, chosen from the source it had at start or at setData. */
  const oddLedger = new Map<ObjectName, { cells: (OddCell & { index: number })[]; byId: Map<number, OddCell[]> }>();
  function chooseOdd(object: ObjectName): void {
    const src = data[object];
    if (!opts.oddCells || src === undefined) return void oddLedger.delete(object);
    const cells = chooseOddCells(object, src, opts.oddCells);
    const byId = new Map<number, OddCell[]>();
    for (const c of cells) byId.set(c.id, [...(byId.get(c.id) ?? []), c]);
    oddLedger.set(object, { cells, byId });
  }
  for (const o of OBJECT_NAMES) chooseOdd(o);

  const stats: FakeStats = {
    calls: { token: 0, account: 0, create: 0, read: 0, query: 0, cancel: 0, download: 0, objects: 0 },
    inFlight: 0,
    maxInFlight: 0,
    totalApiCalls: 0,
    faultsInjected: {},
    rowsServed: 0,
    bytesServed: 0,
    rejected: { concurrency: 0, dailyLimit: 0, auth: 0, businessUnit: 0 },
  };
  const exportsList: FakeExport[] = [];
  const internals = new Map<number, Internal>();
  const faults: FaultPlan = [...(opts.faults ?? [])];
  const faultState = new WeakMap<Fault, { skip: number; left: number }>();
  const log: FakeRequest[] = [];
  const validTokens = new Set<string>();
  const issuedTokens: string[] = [];
  const grants: ReadonlySet<string> = new Set(opts.grants ?? ['refresh_token', 'client_credentials']);
  /** The refresh token the endpoint accepts now (null: revoked after a reuse); the spent ones. */
  let currentRefreshToken: string | null = cfg.refreshToken;
  const spentRefreshTokens = new Set<string>();
  const issuedRefreshTokens: string[] = [];
  const sockets = new Set<Socket>();
  let nextExportId = 1001;
  let baseUrl = '';
  const codeFlow = createCodeFlow({
    clientId: cfg.clientId,
    clientSecret: cfg.clientSecret,
    refreshToken: cfg.refreshToken,
    denyAuthorization: opts.denyAuthorization,
    baseUrl: () => baseUrl,
    issueAccessToken: () => {
      const token = '00Dfake!' + randomBytes(24).toString('base64url');
      validTokens.add(token);
      issuedTokens.push(token);
      return token;
    },
  });
  const objects = createQueryHandler(
    { baseUrl: () => baseUrl, data: (o) => data[o], timeZone: () => timeZone, nowMs, customFields: (o) => customFields[o] },
    opts,
  );

  // -------------------------------------------------------------- faults

  function takeFault(kind: RouteKind, accept: (f: Fault) => boolean): Fault | undefined {
    let fired: Fault | undefined;
    for (const f of [...faults]) {
      if (f.on !== kind || !accept(f)) continue;
      let st = faultState.get(f);
      if (!st) {
        st = { skip: Math.max(1, f.nth ?? 1) - 1, left: Math.max(1, f.times ?? 1) };
        faultState.set(f, st);
      }
      if (st.skip > 0) {
        st.skip--;
        continue;
      }
      if (fired) continue;
      fired = f;
      st.left--;
      if (st.left <= 0) {
        const at = faults.indexOf(f);
        if (at >= 0) faults.splice(at, 1);
      }
    }
    if (fired) stats.faultsInjected[fired.kind] = (stats.faultsInjected[fired.kind] ?? 0) + 1;
    return fired;
  }

  // -------------------------------------------------------------- exports

  function resource(e: FakeExport, withRefs: boolean, badRefs = false): Record<string, unknown> {
    const r: Record<string, unknown> = { id: e.id, state: e.state, isExpired: e.isExpired };
    if (withRefs && badRefs) r.resultRefs = 12345;
    else if (withRefs && e.state === 'Complete' && !e.isExpired && e.resultUrls.length > 0)
      r.resultRefs = e.resultUrls.length === 1 ? e.resultUrls[0] : [...e.resultUrls];
    r.createdAt = formatIsoWithOffset(e.createdAt.getTime(), e.timeZone);
    r.updatedAt = formatIsoWithOffset(e.updatedAt.getTime(), e.timeZone);
    return r;
  }
  const wrap = (r: Record<string, unknown>): unknown => (cfg.wrapExport ? { export: r } : r);

  function rowAt(src: DataSource, i: number): Row {
    return Array.isArray(src) ? src[i]! : (src as Exclude<DataSource, Row[]>).row(i);
  }

  function timeOf(src: DataSource, i: number, field: string): number | null {
    if (!Array.isArray(src)) {
      const lazy = src as Exclude<DataSource, Row[]>;
      if (lazy.timeOf) return lazy.timeOf(i, field);
    }
    return msOf(rowAt(src, i)[field]);
  }

  function deletedAt(src: DataSource, i: number): boolean {
    if (!Array.isArray(src)) {
      const lazy = src as Exclude<DataSource, Row[]>;
      if (lazy.isDeleted) return lazy.isDeleted(i);
    }
    return rowAt(src, i).isDeleted === true;
  }

  function matches(src: DataSource, i: number, q: ExportQuery): boolean {
    const t = timeOf(src, i, q.procedure.dateField);
    if (t === null) return false;
    const sec = Math.floor(t / 1000) * 1000;
    if (!(sec > q.afterMs)) return false;
    if (q.beforeMs !== null && !(sec < q.beforeMs)) return false;
    const del = deletedAt(src, i);
    if (q.deleted === 'false' && del) return false;
    if (q.deleted === 'true' && !del) return false;
    if (q.prospectOnly || q.types) {
      const row = rowAt(src, i);
      if (q.prospectOnly && (row.prospectId === null || row.prospectId === undefined)) return false;
      if (q.types && !q.types.includes(Number(row.type))) return false;
    }
    return true;
  }

  function completeStatic(e: FakeExport, st: StaticResult, q: ExportQuery): void {
    const overlaps = (st.startMs === undefined || q.beforeMs === null || q.beforeMs > st.startMs) && (st.endMs === undefined || q.afterMs < st.endMs);
    const files = overlaps ? [...st.files] : [];
    const origin = (opts.downloadOrigin ?? baseUrl).replace(/\/+$/, '');
    internals.get(e.id)!.result = { source: [], order: new Uint32Array(0), fileStarts: [0], staticFiles: files };
    e.rowCount = overlaps ? st.rowCount : 0;
    e.fileCount = files.length;
    e.resultUrls = files.map((_, k) => `${origin}/api/v5/exports/${e.id}/results/${k + 1}`);
    e.state = 'Complete';
    e.updatedAt = new Date(nowMs());
  }

  /** The export turns Processing (the queue's head starts on it). */
  function begin(e: FakeExport): void {
    e.state = 'Processing';
    e.updatedAt = new Date(nowMs());
    internals.get(e.id)!.timing.startedAt = Date.now();
    emit('exportStart', e);
  }

  /**
   * The export turns Complete: its rows are chosen (and copied) now, then the `exportComplete`
   * listeners run; the queue moves on to the next export.
   */
  function complete(e: FakeExport): void {
    const inner = internals.get(e.id)!;
    if (inner.timing.startedAt === null) inner.timing.startedAt = Date.now();
    chooseRows(e);
    inner.timing.completedAt = Date.now();
    leftQueue(e);
    emit('exportComplete', e);
  }

  /** An export left Waiting/Processing (complete, canceled, failed): its timer goes, the next one starts. */
  function leftQueue(e: FakeExport): void {
    const inner = internals.get(e.id);
    if (inner?.timer) {
      clearTimeout(inner.timer);
      inner.timer = undefined;
    }
    // The listeners of the next export's start run after this one's state settled.
    if (cfg.processingMs !== undefined) queueMicrotask(startNext);
  }

  /**
   * processingMs mode: when no export is Processing, the oldest Waiting one starts, and a timer
   * (unref'd: it never keeps a process alive; cleared on close) completes it.
   */
  function startNext(): void {
    if (closed || cfg.processingMs === undefined || exportsList.some((x) => x.state === 'Processing')) return;
    const next = exportsList.find((x) => x.state === 'Waiting');
    if (!next) return;
    try {
      begin(next);
    } catch (err) {
      hookErrors.push(err);
    }
    if (next.state !== 'Processing') return startNext(); // a listener ended it (expireExport)
    const p = cfg.processingMs;
    let ms = 0;
    try {
      ms = typeof p === 'function' ? p(next) : p;
    } catch (err) {
      hookErrors.push(err); // a test's function failed: recorded, and the export completes at once
    }
    const timer = setTimeout(() => {
      internals.get(next.id)!.timer = undefined;
      if (next.state !== 'Processing') return;
      try {
        complete(next);
      } catch (err) {
        hookErrors.push(err);
      }
    }, Math.max(0, ms));
    timer.unref();
    internals.get(next.id)!.timer = timer;
  }

  function chooseRows(e: FakeExport): void {
    const q = internals.get(e.id)!.query;
    const entry = opts.staticResults?.[e.object];
    const st = typeof entry === 'function' ? entry(e.fields ? [...e.fields] : null) : entry;
    if (st) return completeStatic(e, st, q);
    const src: DataSource = data[e.object] ?? [];
    const count = Array.isArray(src) ? src.length : src.count;
    let order = new Uint32Array(Math.min(count, 1 << 16));
    let n = 0;
    for (let i = 0; i < count; i++) {
      if (!matches(src, i, q)) continue;
      if (n === order.length) {
        const bigger = new Uint32Array(Math.min(count, order.length * 2));
        bigger.set(order);
        order = bigger;
      }
      order[n++] = i;
    }
    order = order.slice(0, n);
    // Rows leave in no particular order, never sorted by date.
    shuffleInPlace(order, hash32(cfg.seed, e.id, 11));
    // In-memory rows are copied (shallow) now: the export shows the data as it was when it
    // completed, whatever a test changes afterwards (onExportComplete). Lazy sources are immutable.
    let served: DataSource = src;
    const odd = oddLedger.get(e.object);
    let oddAt: Map<number, OddCell[]> | undefined;
    if (Array.isArray(src)) {
      served = Array.from(order, (i) => ({ ...src[i]! }));
      order = Uint32Array.from({ length: n }, (_, k) => k);
      // Odd cells go into the copies: the rendering path never looks for them.
      if (odd && odd.byId.size > 0)
        for (let k = 0; k < served.length; k++) {
          const cells = odd.byId.get(served[k]!.id as number);
          if (cells) served[k] = withOdd(served[k]!, cells);
        }
    } else if (odd && odd.cells.length > 0) {
      oddAt = new Map();
      for (const c of odd.cells) oddAt.set(c.index, [...(oddAt.get(c.index) ?? []), c]);
    }
    const perFile = cfg.filesPerExport ? Math.max(1, Math.ceil(n / Math.max(1, cfg.filesPerExport))) : cfg.rowsPerFile;
    const fileStarts: number[] = [];
    for (let s = 0; s < n; s += perFile) fileStarts.push(s);
    fileStarts.push(n);
    const fileCount = n === 0 ? 0 : fileStarts.length - 1;
    const origin = (opts.downloadOrigin ?? baseUrl).replace(/\/+$/, '');
    const urls = Array.from({ length: fileCount }, (_, k) => `${origin}/api/v5/exports/${e.id}/results/${k + 1}`);
    if (urls.length > 1) {
      shuffleInPlace(urls, hash32(cfg.seed, e.id, 12));
      // Make sure the order is visibly not the file order.
      if (urls.every((u, k) => u.endsWith(`/results/${k + 1}`))) urls.push(urls.shift()!);
    }
    internals.get(e.id)!.result = { source: served, order, fileStarts: n === 0 ? [0] : fileStarts, ...(oddAt ? { odd: oddAt } : {}) };
    e.rowCount = n;
    e.fileCount = fileCount;
    e.resultUrls = urls;
    e.state = 'Complete';
    e.updatedAt = new Date(nowMs());
  }

  /**
   * Default mode: one unit of work for the oldest unfinished export (seed: "Export API calls are
   * executed sequentially for each account, with older exports being processed before newer").
   */
  function tick(): void {
    const head = exportsList.find((x) => ACTIVE.has(x.state));
    if (!head) return;
    head.ticks++;
    if (head.state === 'Waiting') begin(head);
    if (head.ticks > cfg.pollsUntilComplete) complete(head);
  }

  function expire(e: FakeExport): void {
    if (ACTIVE.has(e.state)) complete(e);
    e.isExpired = true;
    e.resultUrls = [];
    e.updatedAt = new Date(nowMs());
  }

  function findExport(id: number | undefined): FakeExport {
    const e = exportsList.find((x) => x.id === id);
    if (!e) throw new ApiError(404, CODES.notFound, `Export ${String(id)} was not found`);
    // Seed: viewing an export needs "be the same user that created the export".
    if (e.owner !== apiUser) throw new ApiError(403, CODES.accessDenied, `Access denied: export ${e.id} was created by another user`);
    return e;
  }

  // -------------------------------------------------------------- rows that change, queue stats

  function memoryRows(object: ObjectName): Row[] {
    const src = data[object];
    if (src === undefined) return [];
    if (!Array.isArray(src)) throw new TypeError(`${object} has a lazy source: rows can change only in an in-memory (Row[]) source`);
    return src;
  }

  function updateRows(object: ObjectName, ids: readonly number[], change: RowChange = {}): number[] {
    const list = memoryRows(object);
    const wanted = new Set(ids);
    const at = change.updatedAt ?? 'now';
    // Truncated to whole seconds like every row date (Pardot stores seconds).
    const stamp = at === 'keep' ? null : new Date(Math.floor((at === 'now' ? nowMs() : at.getTime()) / 1000) * 1000);
    const found: number[] = [];
    for (const row of list) {
      if (!wanted.has(row.id as number)) continue;
      Object.assign(row, change.set ?? {});
      if (stamp && fieldDef(object, 'updatedAt')) row.updatedAt = stamp;
      found.push(row.id as number);
    }
    return found;
  }

  function queueStats(): QueueStats {
    const list = exportsList.map((e) => ({ ...internals.get(e.id)!.timing }));
    let busyMs = 0;
    let lastCompletedAt: number | null = null;
    for (const t of list) {
      if (t.startedAt === null || t.completedAt === null) continue;
      busyMs += t.completedAt - t.startedAt;
      lastCompletedAt = Math.max(lastCompletedAt ?? 0, t.completedAt);
    }
    const firstCreatedAt = list.length > 0 ? Math.min(...list.map((t) => t.createdAt)) : null;
    return { exports: list, busyMs, firstCreatedAt, lastCompletedAt };
  }

  // -------------------------------------------------------------- handlers

  function handleToken(res: ServerResponse, body: string, contentType: string | undefined): void {
    const form = new URLSearchParams(contentType?.includes('application/x-www-form-urlencoded') ? body : '');
    const grant = form.get('grant_type');
    const fail = (error: string, description: string): void =>
      sendJson(res, 400, { error, error_description: description });
    if (grant === 'authorization_code') return codeFlow.exchange(res, form);
    if (grant === null || !grants.has(grant)) return fail('unsupported_grant_type', 'grant type not supported');
    if (form.get('client_id') !== cfg.clientId) return fail('invalid_client_id', 'client identifier invalid');
    if (form.get('client_secret') !== cfg.clientSecret) return fail('invalid_client', 'invalid client credentials');
    let rotated: string | undefined;
    if (grant === 'refresh_token') {
      const sent = form.get('refresh_token');
      if (sent !== null && spentRefreshTokens.has(sent)) {
        // Salesforce: reuse of an invalidated refresh token revokes the current one and its access tokens.
        currentRefreshToken = null;
        validTokens.clear();
        return fail('invalid_grant', 'expired access/refresh token');
      }
      if (sent === null || sent !== currentRefreshToken) return fail('invalid_grant', 'expired access/refresh token');
      if (opts.rotateRefreshToken) {
        spentRefreshTokens.add(sent);
        rotated = '5Aep861fake' + randomBytes(32).toString('base64url');
        currentRefreshToken = rotated;
        issuedRefreshTokens.push(rotated);
      }
    }
    const token = '00Dfake!' + randomBytes(24).toString('base64url');
    validTokens.add(token);
    issuedTokens.push(token);
    sendJson(res, 200, {
      access_token: token,
      ...(rotated ? { refresh_token: rotated } : {}),
      instance_url: baseUrl,
      token_type: 'Bearer',
      issued_at: String(Date.now()),
      scope: grant === 'refresh_token' ? 'pardot_api refresh_token' : 'pardot_api',
      signature: randomBytes(16).toString('base64'),
    });
  }

  function handleAccount(res: ServerResponse, url: URL): void {
    if (opts.accountDenied) throw new ApiError(403, CODES.noAbility, 'Insufficient ability: Admin > Account > Edit Settings is required');
    const known: Record<string, unknown> = {
      ...accountFields(timeZone),
      id: cfg.accountId,
      company: 'Fake Pardot Co',
      maximumDailyApiCalls: cfg.dailyLimit,
      apiCallsUsed: cfg.apiCallsUsedAtStart + stats.totalApiCalls,
    };
    const fields = (url.searchParams.get('fields') ?? 'id').split(',').map((s) => s.trim()).filter(Boolean);
    const out: Record<string, unknown> = {};
    for (const f of fields) {
      if (!(f in known)) throw new ApiError(400, CODES.invalidField, `Invalid field: ${f} is not a valid field for account`);
      out[f] = known[f];
    }
    sendJson(res, 200, out);
  }

  function handleCreate(res: ServerResponse, body: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      throw new ApiError(400, CODES.invalidArgument, 'Request body is not valid JSON');
    }
    const q = validateCreate(parsed, timeZone, nowMs(), (o, name) => customFieldOf(o, name) !== undefined);
    // The View ability an export needs is the one a v5 query of the object needs (queryNoAbility).
    const urlName = Object.keys(EXPORT_OBJECT_QUERIES).find((k) => EXPORT_OBJECT_QUERIES[k]!.object === q.object);
    if (urlName && opts.queryNoAbility?.includes(urlName))
      throw new ApiError(MISSING_ABILITY.status, MISSING_ABILITY.code, `Access denied: the API user lacks the View ability for ${q.object} (export)`);
    for (const name of q.requestedFields ?? []) {
      if (opts.refusedFields?.[q.object]?.includes(name))
        throw new ApiError(400, CODES.invalidField, `Invalid field: ${name} is not a valid field for ${q.object}`);
    }
    const { columns, header } = exportColumns(q.object, q.columns, customFields[q.object], customFieldCsv, {
      activityDateCells: cfg.activityDateCells,
    });
    const p = (parsed as { procedure: { name: string; arguments?: Record<string, unknown> } }).procedure;
    const now = new Date(nowMs());
    const e: FakeExport = {
      id: nextExportId++,
      object: q.object,
      procedure: { name: p.name, arguments: { ...(p.arguments ?? {}) } },
      fields: q.requestedFields,
      columns: q.columns,
      header,
      requestBody: parsed,
      state: 'Waiting',
      isExpired: false,
      createdAt: now,
      updatedAt: now,
      window: { dateField: q.procedure.dateField, afterMs: q.afterMs, beforeMs: q.beforeMs },
      timeZone,
      owner: apiUser,
      ticks: 0,
      reads: 0,
      downloads: 0,
      rowCount: null,
      fileCount: null,
      resultUrls: [],
    };
    exportsList.push(e);
    const timing: ExportTiming = { id: e.id, object: e.object, createdAt: Date.now(), startedAt: null, completedAt: null, reads: 0, downloadedAt: null };
    internals.set(e.id, { query: q, columns, timing, filesDone: new Set() });
    emit('exportCreated', e);
    // The create answers Waiting: the queue starts it only after this request (as Pardot answers
    // "queued for processing" and works later).
    if (cfg.processingMs !== undefined) setImmediate(startNext);
    sendJson(res, 200, wrap(resource(e, false)));
  }

  function handleRead(res: ServerResponse, id: number | undefined): void {
    const e = findExport(id);
    e.reads++;
    internals.get(e.id)!.timing.reads++;
    const f = takeFault('read', (x) => READ_STATE_FAULTS.has(x.kind));
    if (f?.kind === 'failExport' || f?.kind === 'cancelExport' || f?.kind === 'unknownState') {
      const wasActive = ACTIVE.has(e.state);
      e.state = f.kind === 'failExport' ? 'Failed' : f.kind === 'cancelExport' ? 'Canceled' : 'Bogus';
      e.updatedAt = new Date(nowMs());
      if (wasActive) leftQueue(e);
    } else if (f?.kind === 'expire') expire(e);
    // processingMs mode: time moves exports on, not reads.
    if (cfg.processingMs === undefined) tick();
    const bad = e.state === 'Complete' && takeFault('read', (x) => x.kind === 'badResultRefs') !== undefined;
    sendJson(res, 200, wrap(resource(e, true, bad)));
  }

  function handleQuery(res: ServerResponse, url: URL): void {
    const sp = url.searchParams;
    let list = [...exportsList];
    const status = sp.get('status');
    if (status !== null) {
      if (!['Complete', 'Failed', 'Processing', 'Waiting'].includes(status))
        throw new ApiError(400, CODES.invalidArgument, `Invalid value for status: ${status}`);
      list = list.filter((e) => e.state === status);
    }
    const object = sp.get('object');
    if (object !== null) {
      if (!isObjectName(object)) throw new ApiError(400, CODES.invalidArgument, `Invalid value for object: ${object}`);
      list = list.filter((e) => e.object === object);
    }
    const dateFilters: [string, 'createdAt' | 'updatedAt', 1 | -1][] = [
      ['created_after', 'createdAt', 1],
      ['created_before', 'createdAt', -1],
      ['updated_after', 'updatedAt', 1],
      ['updated_before', 'updatedAt', -1],
    ];
    for (const [param, key, dir] of dateFilters) {
      const v = sp.get(param);
      if (v === null) continue;
      const t = parseDateArgument(v, timeZone, nowMs());
      if (t === undefined) throw new ApiError(400, CODES.invalidArgument, `Invalid value for ${param}: ${v}`);
      list = list.filter((e) => (dir === 1 ? e[key].getTime() > t : e[key].getTime() < t));
    }
    const sortBy = sp.get('sort_by') ?? 'id';
    const order = sp.get('sort_order') ?? 'descending';
    if (!['id', 'created_at', 'updated_at'].includes(sortBy) || !['ascending', 'descending'].includes(order))
      throw new ApiError(400, CODES.invalidArgument, 'Invalid sort_by or sort_order');
    const keyOf = (e: FakeExport): number =>
      sortBy === 'id' ? e.id : sortBy === 'created_at' ? e.createdAt.getTime() : e.updatedAt.getTime();
    list.sort((a, b) => (keyOf(a) - keyOf(b) || a.id - b.id) * (order === 'ascending' ? 1 : -1));
    const result: Record<string, unknown> = { total_results: list.length };
    if (list.length === 1) result.export = resource(list[0]!, false);
    else if (list.length > 1) result.export = list.map((e) => resource(e, false));
    sendJson(res, 200, { result });
  }

  function handleCancel(res: ServerResponse, id: number | undefined): void {
    const e = findExport(id);
    if (!ACTIVE.has(e.state))
      throw new ApiError(400, CODES.stateForbids, `Export ${e.id} is ${e.state} and cannot be canceled`);
    e.state = 'Canceled';
    e.updatedAt = new Date(nowMs());
    leftQueue(e);
    sendJson(res, 200, wrap(resource(e, false)));
  }

  async function handleDownload(res: ServerResponse, id: number | undefined, file: number | undefined): Promise<void> {
    const e = findExport(id);
    const f = takeFault('download', (x) => DOWNLOAD_FAULTS.has(x.kind));
    if (f?.kind === 'expire') expire(e);
    if (e.isExpired && f?.kind === 'expire' && f.status !== undefined) throw new ApiError(f.status, CODES.notFound, `Not found`);
    if (e.isExpired) throw new ApiError(400, CODES.stateForbids, `Export ${e.id} has expired; its results are no longer available`);
    const result = internals.get(e.id)?.result;
    if (e.state !== 'Complete' || !result)
      throw new ApiError(400, CODES.stateForbids, `Export ${e.id} is ${e.state}; results are available once it is Complete`);
    if (file === undefined || file < 1 || file > (e.fileCount ?? 0))
      throw new ApiError(404, CODES.notFound, `Export ${e.id} has no result file ${String(file)}`);
    e.downloads++;
    const cutAfter = f?.kind === 'cut' ? Math.max(0, f.afterBytes ?? 64) : undefined;
    const whole = result.staticFiles
      ? await streamStatic(res, e, result.staticFiles[file - 1]!, file, cutAfter)
      : await streamCsv(res, e, result, file, cutAfter);
    if (whole) fileServed(e, file);
  }

  /** A file was served in full: downloadedAt once every file was, then the `fileDownloaded` listeners. */
  function fileServed(e: FakeExport, file: number): void {
    const inner = internals.get(e.id)!;
    inner.filesDone.add(file);
    if (inner.timing.downloadedAt === null && inner.filesDone.size === (e.fileCount ?? 0)) inner.timing.downloadedAt = Date.now();
    emit('fileDownloaded', e, file);
  }

  /** Static-file mode: the file from disk as it is, with the response's backpressure. */
  /** Static-file mode: the file from disk as it is, with the response's backpressure; true when served whole. */
  async function streamStatic(res: ServerResponse, e: FakeExport, path: string, file: number, cutAfter?: number): Promise<boolean> {
    res.writeHead(200, {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="export-${e.id}-${file}.csv"`,
    });
    const input = createReadStream(path, { highWaterMark: 256 * 1024, ...(cutAfter !== undefined ? { end: cutAfter - 1 } : {}) });
    input.on('data', (c) => (stats.bytesServed += c.length));
    try {
      await pipeline(input, res, { end: cutAfter === undefined });
    } catch {
      return false; // the client went away
    }
    if (cutAfter !== undefined) res.socket?.destroy();
    return cutAfter === undefined;
  }

  /** Renders file `file` of a completed export; true when the whole body was written. */
  async function streamCsv(res: ServerResponse, e: FakeExport, r: ExportResult, file: number, cutAfter?: number): Promise<boolean> {
    const render = rowRenderer(internals.get(e.id)!.columns, e.timeZone, cfg.eol);
    res.writeHead(200, {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="export-${e.id}-${file}.csv"`,
    });
    let sent = 0;
    let cut = false;
    /** Writes a piece; false when the response is gone (or was cut). */
    const write = async (text: string): Promise<boolean> => {
      if (res.destroyed || cut) return false;
      if (cutAfter !== undefined) {
        const buf = Buffer.from(text, 'utf8');
        if (sent + buf.length >= cutAfter) {
          cut = true;
          const part = buf.subarray(0, cutAfter - sent);
          sent += part.length;
          stats.bytesServed += part.length;
          const kill = (): void => void res.socket?.destroy();
          if (part.length > 0) res.write(part, kill);
          else kill();
          return false;
        }
      }
      const size = Buffer.byteLength(text, 'utf8');
      sent += size;
      stats.bytesServed += size;
      if (!res.write(text, 'utf8')) await drained(res);
      return !res.destroyed;
    };
    let chunk = (cfg.bom ? '\uFEFF' : '') + headerLine(e.header, cfg.eol);
    let pendingRows = 0;
    const from = r.fileStarts[file - 1]!;
    const to = r.fileStarts[file]!;
    const odd = r.odd;
    for (let k = from; k < to; k++) {
      const i = r.order[k]!;
      if (odd === undefined) chunk += render(rowAt(r.source, i));
      else {
        const cells = odd.get(i);
        chunk += render(cells ? withOdd(rowAt(r.source, i), cells) : rowAt(r.source, i));
      }
      pendingRows++;
      if (chunk.length >= CHUNK_CHARS) {
        if (!(await write(chunk))) return false;
        stats.rowsServed += pendingRows;
        pendingRows = 0;
        chunk = '';
      }
    }
    if (!(await write(chunk))) return false;
    stats.rowsServed += pendingRows;
    if (cutAfter !== undefined) {
      // The whole body fit under afterBytes: still break the connection before the end.
      cut = true;
      res.socket?.destroy();
      return false;
    }
    await new Promise<void>((resolve) => {
      res.once('finish', resolve);
      res.once('close', resolve);
      res.end();
    });
    return res.writableFinished;
  }

  // -------------------------------------------------------------- dispatch

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const rt = route(method, url.pathname);
    const authHeader = req.headers.authorization;
    const buHeader = req.headers['pardot-business-unit-id'];
    const bu = Array.isArray(buHeader) ? buHeader[0] : buHeader;
    const entry: FakeRequest = {
      method,
      path: url.pathname + url.search,
      route: rt.kind,
      status: 0,
      authorization: authHeader !== undefined,
      businessUnitId: bu,
      at: Date.now(),
    };
    log.push(entry);
    if (log.length > 20_000) log.splice(0, log.length - 10_000);
    // Pardot's clock, not the machine's: the Date header follows the fake's clock (now / setNow).
    res.setHeader('date', new Date(nowMs()).toUTCString());
    res.on('finish', () => (entry.status = res.statusCode));

    if (url.pathname === AUTHORIZE_PATH && method === 'GET') {
      await readBody(req);
      return codeFlow.authorize(res, url);
    }
    if (rt.kind === 'unknown' || !rt.methodOk) {
      await readBody(req);
      return sendError(res, new ApiError(404, CODES.notFound, `No such endpoint: ${method} ${url.pathname}`));
    }
    const kind = rt.kind;
    stats.calls[kind]++;
    const isApi = kind !== 'token';
    if (isApi) {
      stats.inFlight++;
      stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
      res.on('close', () => stats.inFlight--);
      if (stats.inFlight > cfg.maxConcurrent) {
        stats.rejected.concurrency++;
        return sendError(res, new ApiError(429, CODES.concurrent, 'This API user has exceeded the concurrent request limit (5)'));
      }
    }
    const body = await readBody(req);
    if (cfg.latencyMs > 0) await sleep(cfg.latencyMs);

    const fault = takeFault(kind, (f) => GENERIC_FAULTS.has(f.kind));
    if (fault) {
      switch (fault.kind) {
        case 'reset':
          req.socket.destroy();
          return;
        case 'delay':
          await sleep(fault.ms ?? 1000);
          break;
        case 'html': {
          const status = fault.status ?? 503;
          const text = fault.body ?? `<html><head><title>${status}</title></head><body><h1>${status} Service Unavailable</h1></body></html>`;
          res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', ...(fault.headers ?? {}) });
          res.end(text);
          return;
        }
        case 'status': {
          const status = fault.status ?? 500;
          if (fault.body !== undefined) {
            res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...(fault.headers ?? {}) });
            res.end(fault.body);
            return;
          }
          const payload: Record<string, unknown> = {};
          if (fault.code !== undefined) payload.code = fault.code;
          payload.message = `Injected fault: HTTP ${status}`;
          return sendJson(res, status, payload, fault.headers);
        }
        case 'tokenExpired': {
          const tok = authHeader?.replace(/^Bearer\s+/i, '');
          if (tok) validTokens.delete(tok);
          return sendError(res, new ApiError(401, CODES.tokenInvalid, 'access token is invalid, expired, or revoked'), fault.headers);
        }
        case 'dailyLimit':
          return sendError(res, new ApiError(403, CODES.dailyLimit, 'Daily API rate limit met.'), fault.headers);
        default:
          break;
      }
    }

    if (kind === 'token') return handleToken(res, body, req.headers['content-type']);

    try {
      const m = /^Bearer\s+(\S+)$/i.exec(authHeader ?? '');
      if (!m || !validTokens.has(m[1]!)) {
        stats.rejected.auth++;
        throw new ApiError(401, CODES.tokenInvalid, 'access token is invalid, expired, or revoked');
      }
      if (bu === undefined || bu === '') {
        stats.rejected.businessUnit++;
        throw new ApiError(400, CODES.businessUnitMissing, 'Required header Pardot-Business-Unit-Id is missing');
      }
      if (!BU_ID_RE.test(bu)) {
        stats.rejected.businessUnit++;
        throw new ApiError(400, CODES.businessUnitInvalid, `Invalid Pardot-Business-Unit-Id header value: ${bu}`);
      }
      if (bu !== cfg.businessUnitId && bu !== cfg.businessUnitId.slice(0, 15)) {
        stats.rejected.businessUnit++;
        throw new ApiError(
          400,
          CODES.businessUnitUnknown,
          `Business unit ${bu} is unknown or inactive for this user, or belongs to the other environment (production vs sandbox)`,
        );
      }
      if (cfg.apiCallsUsedAtStart + stats.totalApiCalls + 1 > cfg.dailyLimit) {
        stats.rejected.dailyLimit++;
        throw new ApiError(403, CODES.dailyLimit, 'Daily API rate limit met.');
      }
      stats.totalApiCalls++;
      switch (kind) {
        case 'account':
          return handleAccount(res, url);
        case 'create':
          return handleCreate(res, body);
        case 'read':
          return handleRead(res, rt.id);
        case 'query':
          return handleQuery(res, url);
        case 'cancel':
          return handleCancel(res, rt.id);
        case 'download':
          return await handleDownload(res, rt.id, rt.file);
        case 'objects':
          return objects.handle(res, url, rt.object!);
      }
    } catch (err) {
      if (err instanceof ApiError) return sendError(res, err);
      throw err;
    }
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { code: 183, message: `Fake Pardot internal error: ${String(err)}` });
      else res.destroy();
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;

  return {
    url: baseUrl,
    stats,
    exports: exportsList,
    faults,
    log,
    close: () =>
      new Promise<void>((resolve) => {
        closed = true;
        for (const inner of internals.values()) if (inner.timer) clearTimeout(inner.timer);
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
    setNow(now: Date | null): void {
      fixedNow = now ? now.getTime() : null;
    },
    setApiUser(name: string): void {
      apiUser = name;
    },
    setUserTimezone(tz: string): void {
      assertTimeZone(tz);
      timeZone = tz;
    },
    setData(object: ObjectName, source: DataSource): void {
      data[object] = source;
      chooseOdd(object);
    },
    setCustomFields(object: ObjectName, list: FakeCustomField[]): void {
      customFields[object] = [...list];
    },
    expireAccessTokens(): void {
      validTokens.clear();
    },
    expireExport(id: number): void {
      expire(findExport(id));
    },
    issuedTokens,
    issuedRefreshTokens,
    codeFlow: codeFlow.stats,
    queryStats: objects.stats,
    queueStats,
    oddCells(object?: ObjectName): OddCell[] {
      const objects = object ? [object] : OBJECT_NAMES;
      return objects.flatMap((o) => (oddLedger.get(o)?.cells ?? []).map(({ object, id, field, raw }) => ({ object, id, field, raw })));
    },
    rows: memoryRows,
    updateRows,
    insertRows(object: ObjectName, rows: readonly Row[]): void {
      if (data[object] === undefined) data[object] = [];
      const list = memoryRows(object);
      const ids = new Set(list.map((r) => r.id));
      for (const r of rows) {
        if (typeof r.id !== 'number' || ids.has(r.id)) throw new TypeError(`insertRows(${object}): row id ${String(r.id)} is missing or taken`);
        ids.add(r.id);
      }
      for (const r of rows) list.push({ ...r });
    },
    deleteRows(object: ObjectName, ids: readonly number[]): number[] {
      // Pardot's recycle bin: the record stays, marked deleted; the change is an update of it.
      return updateRows(object, ids, { updatedAt: 'now', set: { isDeleted: true } });
    },
    on(event: FakeEvent, fn: FakeListener): () => void {
      listeners[event].push(fn);
      return () => {
        const at = listeners[event].indexOf(fn);
        if (at >= 0) listeners[event].splice(at, 1);
      };
    },
    hookErrors,
    v5: objects.records,
    setOnQueryPage: objects.setOnQueryPage,
  };
}
