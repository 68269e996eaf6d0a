/**
 * The Pardot Export API client (PardotApi): create / read / cancel exports, download result
 * files, and read the account's daily call budget. Wire details come from wire.ts only.
 */
import type { Readable } from 'node:stream';
import { Agent, type Dispatcher } from './undici.js';
import type { Clock } from '../clock.js';
import { ConnectorError } from '../errors.js';
import { Redactor } from '../redact.js';
import type { ApiCallCounts } from './types.js';
import { TokenProvider, credentialSecrets, type LogFn, type OAuthCredentials } from './auth.js';
import { PardotHttp } from './http.js';
import { Limiter } from './limiter.js';
import { createQuery, createReadObject } from './query.js';
import { retryPolicy, type RetryPolicy } from './retry.js';
import type { AccountInfo, CreateExportRequest, ExportResource, PardotApi, QueryPage } from './types.js';
import {
  ACCOUNT_PATH,
  CANCEL_PATH,
  CREATE_OBJECT_KEY,
  EXPORT_STATES,
  EXPORTS_PATH,
  MAX_CONCURRENT_REQUESTS,
  OBJECT_NAMES,
  READ_PATH,
  V5_QUERY_PATH,
  type ExportState,
} from './wire.js';

export type { RetryPolicy } from './retry.js';

export interface PardotApiOptions {
  /** e.g. https://pi.pardot.com or http://127.0.0.1:PORT (may carry a path prefix for proxies). */
  apiBaseUrl: string;
  /** e.g. https://login.salesforce.com, or the org's My Domain (required for client_credentials). */
  authBaseUrl: string;
  businessUnitId: string;
  credentials: OAuthCredentials;
  /** Injectable; by default the client owns a new undici Agent (closed by close()). */
  dispatcher?: Dispatcher;
  /** 1..5: requests in flight at once across all calls; a download holds its slot until its body ends. */
  maxConcurrent: number;
  retry?: Partial<RetryPolicy>;
  /** Headers timeout and body idle timeout (default 120000). */
  requestTimeoutMs?: number;
  clock: Clock;
  redactor: Redactor;
  log?: LogFn;
  /** The API user's IANA zone, only to phrase when the daily budget resets. */
  timezone?: string;
  /** Jitter source (tests). */
  random?: () => number;
}

export interface PardotClient extends PardotApi {
  /** Closes the dispatcher when the client created it (an injected one is left alone). */
  close(): Promise<void>;
  /** The last `x-api-usage` header Pardot sent, if any (UNVERIFIED header). */
  readonly lastApiUsage: string | null;
}

export function createPardotApi(opts: PardotApiOptions): PardotClient {
  const redactor = opts.redactor;
  for (const s of credentialSecrets(opts.credentials)) redactor.add(s);
  const max = Math.min(MAX_CONCURRENT_REQUESTS, Math.max(1, Math.floor(opts.maxConcurrent)));
  const ownsDispatcher = !opts.dispatcher;
  const dispatcher = opts.dispatcher ?? new Agent({ connections: max });
  const log: LogFn = opts.log ?? (() => {});
  const policy = retryPolicy(opts.retry);
  const requestTimeoutMs = opts.requestTimeoutMs ?? 120_000;
  const calls: ApiCallCounts = { token: 0, account: 0, create: 0, read: 0, download: 0, cancel: 0, query: 0 };

  const auth = new TokenProvider({
    authBaseUrl: opts.authBaseUrl,
    credentials: opts.credentials,
    dispatcher,
    clock: opts.clock,
    redactor,
    retry: policy,
    requestTimeoutMs,
    log,
    onGrant: () => calls.token++,
    random: opts.random,
  });
  const http = new PardotHttp({
    apiBaseUrl: opts.apiBaseUrl,
    businessUnitId: opts.businessUnitId,
    dispatcher,
    limiter: new Limiter(max),
    auth,
    retry: policy,
    requestTimeoutMs,
    clock: opts.clock,
    redactor,
    log,
    calls,
    timezone: opts.timezone,
    random: opts.random,
  });

  const query = createQuery(http, redactor);
  const exportOf = (body: Record<string, unknown> | null, path: string) => normaliseExport(body, path, redactor);

  return {
    calls,
    get lastApiUsage() {
      return http.lastApiUsage;
    },
    apiCallsTotal: () => calls.account + calls.create + calls.read + calls.download + calls.cancel + calls.query,

    async account(signal) {
      const body = await http.json('account', 'GET', ACCOUNT_PATH, { signal });
      const b = unwrap(body, 'account') ?? {};
      const id = b['id'];
      return {
        id: typeof id === 'number' || typeof id === 'string' ? id : null,
        maximumDailyApiCalls: toNumber(b['maximumDailyApiCalls']),
        apiCallsUsed: toNumber(b['apiCallsUsed']),
      } satisfies AccountInfo;
    },

    async query(object, params, signal): Promise<QueryPage> {
      const qs = new URLSearchParams(params).toString();
      const path = `${V5_QUERY_PATH(object)}${qs ? `?${qs}` : ''}`;
      const body = await http.json('query', 'GET', path, { signal, info: { object: OBJECT_NAMES[object] } });
      const values = Array.isArray(body?.['values'])
        ? (body['values'] as unknown[]).filter((v): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v))
        : [];
      const token = body?.['nextPageToken'];
      return { values, nextPageToken: typeof token === 'string' && token !== '' ? token : null };
    },

    clockSkewMs: () => http.clockSkewMs,

    async createExport(req: CreateExportRequest, signal) {
      const payload: Record<string, unknown> = { [CREATE_OBJECT_KEY]: req.object };
      // Leaving `fields` out exports every field; an empty list is sent as "all" the same way.
      if (req.fields.length > 0) payload['fields'] = req.fields;
      payload['procedure'] = req.procedure;
      const body = await http.json('create', 'POST', EXPORTS_PATH, { body: payload, signal, info: req });
      return exportOf(body, EXPORTS_PATH);
    },

    async readExport(id, signal) {
      const path = READ_PATH(id);
      return exportOf(await http.json('read', 'GET', path, { signal }), path);
    },

    async cancelExport(id, signal) {
      const path = CANCEL_PATH(id);
      const body = await http.json('cancel', 'POST', path, { signal });
      // An empty 2xx answer to a cancel still means it was accepted.
      if (body === null) return { id: String(id), state: 'Canceled', isExpired: false, resultRefs: [], createdAt: null, updatedAt: null };
      return exportOf(body, path);
    },

    async download(url: string, signal?: AbortSignal): Promise<Readable> {
      const target = resolveDownloadUrl(url, http.base);
      if (!target || target.origin !== http.origin) {
        throw new ConnectorError(
          'PARDOT_FOREIGN_ORIGIN',
          redactor.redact(
            `Pardot listed a result file at ${target ? target.origin : 'an unreadable URL'}, which is not the API origin ${http.origin}; ` +
              `it was not fetched, so that the token and business unit are never sent elsewhere. Report it (or check api_base_url).`,
          ),
          { failureType: 'system_error', context: { url: target ? target.pathname : undefined } },
        );
      }
      return http.stream('download', target, signal);
    },

    queryPage: query,
    readObject: createReadObject(http, redactor),

    async close() {
      if (ownsDispatcher) await dispatcher.close();
    },
  };
}

/** A result URL, resolved against the API base (an absolute path keeps the base's proxy prefix). */
function resolveDownloadUrl(url: string, base: string): URL | null {
  try {
    if (/^[a-z][a-z0-9+.-]*:/i.test(url) || url.startsWith('//')) return new URL(url);
    if (url.startsWith('/')) return new URL(base + url);
    return new URL(url, base + '/');
  } catch {
    return null;
  }
}

function unwrap(body: Record<string, unknown> | null, key: string): Record<string, unknown> | null {
  if (!body) return null;
  const inner = body[key];
  if (inner !== null && typeof inner === 'object' && !Array.isArray(inner)) return inner as Record<string, unknown>;
  return body;
}

function toNumber(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return null;
}

/** The export resource normalised (wire contract: Export resource). */
export function normaliseExport(raw: Record<string, unknown> | null, path: string, redactor: Redactor = new Redactor()): ExportResource {
  const r = (s: string) => redactor.redact(s);
  const bad = (what: string) =>
    new ConnectorError('PARDOT_BAD_RESPONSE', r(`Pardot answered ${path} with an export resource whose ${what}; report it.`), {
      failureType: 'system_error',
      context: { url: path },
    });
  const b = unwrap(raw, 'export');
  if (!b) throw bad('body is empty');
  const id = b['id'];
  if (!(typeof id === 'number' || (typeof id === 'string' && id !== ''))) throw bad('id is missing');
  const state = b['state'];
  if (typeof state !== 'string' || !(EXPORT_STATES as readonly string[]).includes(state)) {
    const shown = redactor.clip(typeof state === 'string' ? state : String(JSON.stringify(state ?? null)), 60);
    throw new ConnectorError(
      'PARDOT_UNKNOWN_STATE',
      r(`Pardot answered export state '${shown}', which this connector does not know; nothing was emitted for this window; report it`),
      { failureType: 'system_error', context: { url: path, exportId: String(id) } },
    );
  }
  const refs = b['resultRefs'];
  let resultRefs: string[];
  if (refs === undefined || refs === null) resultRefs = [];
  else if (typeof refs === 'string') resultRefs = [refs];
  else if (Array.isArray(refs) && refs.every((x) => typeof x === 'string')) resultRefs = refs as string[];
  else throw bad(`resultRefs is neither absent, a string nor a list of strings (${Array.isArray(refs) ? 'a list with other values' : typeof refs})`);
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  return {
    id: String(id),
    state: state as ExportState,
    isExpired: b['isExpired'] === true,
    resultRefs,
    createdAt: str(b['createdAt']),
    updatedAt: str(b['updatedAt']),
  };
}
