/**
 * One Pardot API request, done right: the token and business-unit headers (to the API origin
 * only), a concurrency slot (Pardot allows 5 requests in flight per business unit, code 66),
 * no redirects, the error-code table of the wire contract, and retries with capped, jittered
 * exponential backoff that honour Retry-After.
 */
import type { Readable } from 'node:stream';
import { request, type Dispatcher } from './undici.js';
import type { Clock } from '../clock.js';
import { ConnectorError, type ErrorContext, type FailureType } from '../errors.js';
import type { Redactor } from '../redact.js';
import type { ApiCallCounts } from './types.js';
import { locationOrigin, parseJson, readLimited, readUpTo, type LogFn, type TokenProvider } from './auth.js';
import { abortReason, type Limiter } from './limiter.js';
import { backoffDelay, isAbortError, isUnreachableCode, networkErrorCode, parseRetryAfter, type RetryPolicy } from './retry.js';
import {
  API_USAGE_REQUEST_HEADER,
  API_USAGE_RESPONSE_HEADER,
  BUSINESS_UNIT_HEADER,
  DAILY_LIMIT_RESET,
  CUSTOM_FIELD_SUFFIX,
  OBJECT_ABILITIES,
  PARDOT_CODES as C,
  QUERY_TIMEOUT_STATUS,
  SERVER_DATE_HEADER,
  objectKeyOf,
} from './wire.js';
import type { ProcedureArgValue } from './types.js';
import { isValidTimeZone, offsetMinutesAt } from '../extract/timezone.js';

export type CallKind = keyof ApiCallCounts;

/** What the request was for, so that an error can name it (procedure, arguments, object, fields). */
export interface RequestInfo {
  object?: string;
  fields?: string[];
  procedure?: { name: string; arguments: Record<string, ProcedureArgValue> };
  /** v5 object queries: the query string sent, and the ability the object's page names. */
  query?: string;
  ability?: string;
  /**
   * A page of a query stream (pardot/query.ts): a timeout (214, HTTP 504) is PARDOT_QUERY_TIMEOUT at
   * once, for its reader to ask a smaller page, instead of the same request retried.
   */
  page?: boolean;
  /** The page size asked (a first request's `limit`). */
  limit?: number;
}

export interface PardotHttpOptions {
  apiBaseUrl: string;
  businessUnitId: string;
  dispatcher: Dispatcher;
  limiter: Limiter;
  auth: TokenProvider;
  retry: RetryPolicy;
  requestTimeoutMs: number;
  clock: Clock;
  redactor: Redactor;
  log: LogFn;
  calls: ApiCallCounts;
  timezone?: string;
  random?: () => number;
}

interface SendArgs {
  kind: CallKind;
  method: 'GET' | 'POST';
  url: URL;
  body?: string;
  signal?: AbortSignal;
  info?: RequestInfo;
  stream: boolean;
  /** Called with the headers of the successful answer (e.g. Pardot-Warning on v5 queries). */
  onHeaders?: (headers: Record<string, string | string[] | undefined>) => void;
}

type Decision = { retry: string; retryAfterMs: number | null; status: number; code: number | null } | { auth: true; status: number; code: number | null };

const ERROR_BODY_LIMIT = 64 * 1024;
/** Characters of Pardot's error message quoted in an error. */
export const PARDOT_MESSAGE_MAX = 300;
/** Characters of a header value or an exception message from outside quoted in an error or a log. */
const QUOTED_MAX = 200;
const JSON_BODY_LIMIT = 16 * 1024 * 1024;
const RETRY_CODES = new Set<number>([C.concurrency, C.internal, C.timeout, C.minuteLimit]);
const KNOWN_CODES = new Set<number>(Object.values(C));

export class PardotHttp {
  readonly base: string;
  readonly origin: string;
  private reached = false;
  /** Last `x-api-usage` header seen (calls used today / allowance), when Pardot sends it. */
  lastApiUsage: string | null = null;
  /**
   * Pardot's clock minus the local clock (ms), from the `Date` header of its latest answer
   * (1 s resolution: the header's second plus 500 ms), or null before any answer carried one.
   */
  clockSkewMs: number | null = null;

  constructor(private readonly o: PardotHttpOptions) {
    this.base = o.apiBaseUrl.replace(/\/+$/, '');
    this.origin = new URL(this.base).origin;
  }

  /** A path on the API (the base may carry a proxy prefix). */
  urlFor(path: string): URL {
    return new URL(this.base + path);
  }

  /** Sends a request and returns its JSON body (null when the 2xx body is empty). */
  async json(
    kind: CallKind,
    method: 'GET' | 'POST',
    path: string,
    opts: { body?: unknown; signal?: AbortSignal; info?: RequestInfo; onHeaders?: SendArgs['onHeaders'] } = {},
  ): Promise<Record<string, unknown> | null> {
    const url = this.urlFor(path);
    const res = await this.send({
      kind,
      method,
      url,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: opts.signal,
      info: opts.info,
      stream: false,
      onHeaders: opts.onHeaders,
    });
    const text = res as string;
    if (text.trim() === '') return null;
    const parsed = parseJson(text);
    if (!parsed) {
      throw this.error('PARDOT_BAD_RESPONSE', 'system_error', `Pardot answered ${method} ${url.pathname} with a body that is not a JSON object; report it (is api_base_url a Pardot API host?).`, {
        url: url.pathname,
      });
    }
    return parsed;
  }

  /** Opens a body stream; the concurrency slot is held until the body ends, errors or is destroyed. */
  async stream(kind: CallKind, url: URL, signal?: AbortSignal): Promise<Readable> {
    return (await this.send({ kind, method: 'GET', url, signal, stream: true })) as Readable;
  }

  private headers(token: string, hasBody: boolean, stream: boolean): Record<string, string> {
    const h: Record<string, string> = {
      authorization: `Bearer ${token}`,
      [BUSINESS_UNIT_HEADER]: this.o.businessUnitId,
      // Result files are CSV; JSON is still accepted so that errors come as {"code","message"}.
      accept: stream ? 'text/csv, application/json;q=0.9, */*;q=0.1' : 'application/json',
      [API_USAGE_REQUEST_HEADER[0]]: API_USAGE_REQUEST_HEADER[1],
    };
    if (hasBody) h['content-type'] = 'application/json';
    return h;
  }

  private async send(a: SendArgs): Promise<string | Readable> {
    const { retry, clock, limiter, auth, redactor, log } = this.o;
    if (a.url.origin !== this.origin) {
      // Defence in depth: credentials go to the API origin only.
      throw this.error('PARDOT_FOREIGN_ORIGIN', 'system_error', `Refused to send Pardot credentials to ${a.url.origin}, which is not the API origin ${this.origin}.`, { url: a.url.pathname });
    }
    const path = a.url.pathname;
    let attempt = 1;
    let refreshed = false;
    let token = await auth.get(a.signal);
    for (;;) {
      let decision: Decision;
      const release = await limiter.acquire(a.signal);
      let releaseOnReturn = true;
      try {
        this.o.calls[a.kind]++;
        const res = await request(a.url, {
          method: a.method,
          dispatcher: this.o.dispatcher,
          headers: this.headers(token, a.body !== undefined, a.stream),
          body: a.body,
          signal: a.signal,
          headersTimeout: this.o.requestTimeoutMs,
          bodyTimeout: this.o.requestTimeoutMs,
        });
        this.reached = true;
        const usage = res.headers[API_USAGE_RESPONSE_HEADER];
        if (typeof usage === 'string') this.lastApiUsage = redactor.clip(usage, QUOTED_MAX);
        this.noteServerDate(res.headers[SERVER_DATE_HEADER]);
        const status = res.statusCode;
        if (status >= 200 && status < 300) {
          a.onHeaders?.(res.headers);
          if (a.stream) {
            const body = res.body;
            releaseOnReturn = false;
            body.once('end', release);
            body.once('error', release);
            body.once('close', release);
            return body;
          }
          const read = await readUpTo(res.body, JSON_BODY_LIMIT);
          if (read.overflow) {
            throw this.error(
              'PARDOT_BAD_RESPONSE',
              'system_error',
              `Pardot answered ${a.method} ${path} with a JSON body larger than ${JSON_BODY_LIMIT / 1024 / 1024} MiB, more than any Pardot answer holds; it was not read. Report it (is api_base_url a Pardot API host?).`,
              { url: path, httpStatus: status },
            );
          }
          return read.text;
        }
        let text = '';
        try {
          text = await readLimited(res.body, ERROR_BODY_LIMIT);
        } catch {
          // The error body is only a hint; the status decides.
        }
        decision = this.decide(a, status, text, res.headers);
      } catch (e) {
        if (e instanceof ConnectorError) throw e;
        if (a.signal?.aborted) throw abortReason(a.signal);
        if (isAbortError(e)) throw e;
        const code = networkErrorCode(e);
        if (code === null) throw e;
        if (!this.reached && isUnreachableCode(code)) {
          throw this.error(
            'PARDOT_HOST_UNREACHABLE',
            'config_error',
            `Could not reach the Pardot API host ${a.url.host} (${code}): check api_base_url and is_sandbox ` +
              `(production https://pi.pardot.com, sandbox https://pi.demo.pardot.com) and the network (DNS, proxy, firewall).`,
            { url: path, networkError: code },
          );
        }
        decision = { retry: `network error ${code}`, retryAfterMs: null, status: 0, code: null };
      } finally {
        if (releaseOnReturn) release();
      }

      if ('auth' in decision) {
        if (refreshed) {
          throw this.error(
            'PARDOT_AUTH_REJECTED',
            'config_error',
            `Pardot rejected the access token for ${a.method} ${path} again right after a token refresh (${decision.code !== null ? `code ${decision.code}` : `HTTP ${decision.status}`}): ` +
              `check that the connected app has the pardot_api scope, that the Salesforce user has Account Engagement (Pardot) API access, and that is_sandbox matches the org.`,
            { url: path, httpStatus: decision.status, pardotCode: decision.code ?? undefined },
          );
        }
        refreshed = true;
        log('INFO', `Pardot rejected the access token for ${a.method} ${path}; refreshing it once`);
        token = await auth.refresh(token, a.signal);
        continue;
      }

      const ctx: ErrorContext = { url: path, httpStatus: decision.status || undefined, pardotCode: decision.code ?? undefined, attempts: attempt };
      if (attempt >= retry.maxAttempts) {
        throw this.error(
          'PARDOT_UNAVAILABLE',
          'transient_error',
          `Pardot did not answer ${a.method} ${path} successfully after ${attempt} attempts (last: ${decision.retry}). Pardot may be overloaded or down; run again later.`,
          ctx,
        );
      }
      if (decision.retryAfterMs !== null && decision.retryAfterMs > retry.maxRetryAfterMs) {
        throw this.error(
          'PARDOT_UNAVAILABLE',
          'transient_error',
          `Pardot asked to wait ${Math.round(decision.retryAfterMs / 1000)} s before retrying ${a.method} ${path} (${decision.retry}), longer than this connector waits; run again later.`,
          { ...ctx, retryAt: clock.now() + decision.retryAfterMs },
        );
      }
      const delay = decision.retryAfterMs ?? backoffDelay(retry, attempt, this.o.random);
      log('WARN', redactor.redact(`${a.method} ${path} failed (${decision.retry}); retry ${attempt}/${retry.maxAttempts - 1} in ${delay} ms`));
      await clock.sleep(delay, a.signal);
      attempt++;
    }
  }

  private noteServerDate(h: string | string[] | undefined): void {
    const v = Array.isArray(h) ? h[0] : h;
    if (typeof v !== 'string') return;
    const at = Date.parse(v);
    if (Number.isFinite(at)) this.clockSkewMs = at + 500 - this.o.clock.now();
  }

  /** The wire contract's error table: decide on Pardot's code, fall back on the HTTP status. */
  private decide(a: SendArgs, status: number, text: string, headers: Record<string, string | string[] | undefined>): Decision {
    const path = a.url.pathname;
    const body = parseJson(text);
    const rawCode = body?.['code'];
    const code = typeof rawCode === 'number' || (typeof rawCode === 'string' && /^\d+$/.test(rawCode)) ? Number(rawCode) : null;
    const rawMsg = body?.['message'];
    // Redacted whole, then cut (Redactor.clip): cutting first could leave the head of a quoted secret.
    const pmsg = typeof rawMsg === 'string' && rawMsg.trim() ? this.o.redactor.clip(rawMsg.trim(), PARDOT_MESSAGE_MAX) : null;
    const ctx: ErrorContext = { url: path, httpStatus: status, pardotCode: code ?? undefined, method: a.method };

    if (status >= 300 && status < 400) {
      throw this.error(
        'PARDOT_REDIRECT',
        'config_error',
        `Pardot answered ${a.method} ${path} with a redirect (HTTP ${status}) to ${this.o.redactor.clip(locationOrigin(headers['location'], a.url.href), QUOTED_MAX)}; it was not followed (credentials go only to ${this.origin}). Check api_base_url and is_sandbox.`,
        ctx,
      );
    }
    if (code === C.tokenInvalid || (status === 401 && (code === null || !KNOWN_CODES.has(code)))) return { auth: true, status, code };
    // A page of a query stream that ran out of time is not retried as it is: its reader asks a smaller page.
    if (a.info?.page && (code === C.timeout || (status === QUERY_TIMEOUT_STATUS && (code === null || !KNOWN_CODES.has(code))))) {
      const q = a.info;
      throw this.error(
        'PARDOT_QUERY_TIMEOUT',
        'transient_error',
        `The ${q.object ?? '?'} query timed out at Pardot (${code !== null ? `code ${code}` : `HTTP ${status}`}${pmsg ? `: ${pmsg}` : ''})` +
          `${q.limit !== undefined ? ` with limit ${q.limit}` : ''}; ask again with a smaller limit.`,
        { ...ctx, object: q.object, limit: q.limit },
      );
    }
    if (code !== null && RETRY_CODES.has(code)) {
      return { retry: `HTTP ${status}, Pardot code ${code}`, retryAfterMs: parseRetryAfter(headers['retry-after'], this.o.clock.now()), status, code };
    }
    if (code !== null) this.refuse(a, code, pmsg, ctx);
    if (status === 429 || status >= 500) {
      return { retry: `HTTP ${status}${code !== null ? `, Pardot code ${code}` : ''}`, retryAfterMs: parseRetryAfter(headers['retry-after'], this.o.clock.now()), status, code };
    }
    const said = code !== null ? ` (code ${code}${pmsg ? `: ${pmsg}` : ''})` : pmsg ? ` (${pmsg})` : '';
    throw this.error(`PARDOT_HTTP_${status}`, 'system_error', `Pardot answered ${a.method} ${path} with HTTP ${status}${said}.`, ctx);
  }

  /** Throws the error of a refusal code the wire table names (returns for any other code). */
  private refuse(a: SendArgs, code: number, pmsg: string | null, ctx: ErrorContext): void {
    const path = a.url.pathname;
    const said = ` (code ${code}${pmsg ? `: ${pmsg}` : ''})`;
    const req = `${a.method} ${path}`;
    const q = a.info;
    // How an error names the request: the export's procedure and arguments, or the query sent.
    const named = q?.procedure
      ? `; object ${q.object ?? '?'}, procedure ${q.procedure.name}, arguments ${JSON.stringify(q.procedure.arguments)}`
      : q?.query !== undefined
        ? `; query ${q.object ?? '?'}?${q.query}`
        : '';
    // Code 51 is any invalid parameter; only the fields parameter names a field the catalog may drop.
    if (code === C.invalidParameter && pmsg !== null && OTHER_PARAMETER.test(pmsg)) throw this.badRequest(req, said, named, { ...ctx, parameter: parameterNamed(pmsg) ?? undefined }, q);
    switch (code) {
      case C.dailyLimit: {
        const { at, phrase } = nextDailyReset(this.o.clock.now(), this.o.timezone);
        throw this.error(
          'PARDOT_DAILY_LIMIT',
          'transient_error',
          `Pardot's daily API call limit for business unit ${this.o.businessUnitId} is used up (code 122). State up to the last finished window is saved; ` +
            `run again after the budget resets (at midnight in the account's timezone, about ${phrase})`,
          { ...ctx, retryAt: at },
        );
      }
      case C.buMissing:
      case C.buInvalid:
      case C.buUnknown:
        throw this.error(
          'PARDOT_BUSINESS_UNIT',
          'config_error',
          `Pardot refused the business unit for ${req}${said}: check pardot_business_unit_id (18 characters, starting 0Uv; Setup > Account Engagement > Business Unit Setup) ` +
            `and that the host matches it: production https://pi.pardot.com, sandbox https://pi.demo.pardot.com (is_sandbox).`,
          ctx,
        );
      case C.noAbility:
      case C.accessDenied: {
        const what = q?.object ? `${a.kind === 'query' ? 'reading' : 'exporting'} ${q.object}` : req;
        const key = objectKeyOf(q?.object);
        // The stream table's ability (v5 query streams), else the export object's.
        const ability = q?.ability ?? (key ? OBJECT_ABILITIES[key] : undefined);
        throw this.error(
          'PARDOT_PERMISSION',
          'config_error',
          `The Pardot API user lacks the ability needed for ${what}${said}: ` +
            (ability
              ? `grant the user's Account Engagement role the "${ability}" ability.`
              : `give the user's Account Engagement role the view abilities for that object.`),
          { ...ctx, object: q?.object, ability },
        );
      }
      case C.invalidParameter:
      case C.invalidField:
      case C.invalidField2: {
        const field = fieldNamed(pmsg, q?.fields);
        const of = q?.object ? `the ${q.object} ${a.kind === 'query' ? 'query' : 'export'}` : req;
        throw this.error(
          'PARDOT_INVALID_FIELD',
          'config_error',
          `Pardot refused a field of ${of}${field ? ` ('${field}')` : ''}${said}: the field may not exist in this account or not be ${a.kind === 'query' ? 'readable' : 'exportable'}; deselect it in the catalog.`,
          { ...ctx, field: field ?? undefined },
        );
      }
      case C.unknownProcedure:
      case C.unknownArgument:
      case C.missingArgument:
      case C.badArgument:
        throw this.badRequest(req, said, named, ctx, q);
      case C.queryTooManyFilters:
        throw this.error(
          'PARDOT_QUERY_TOO_MANY_FILTERS',
          'system_error',
          `Pardot refused the ${q?.object ?? '?'} query: it filters on too many fields${said}${named}. This is a connector bug; report it.`,
          { ...ctx, object: q?.object, query: q?.query },
        );
      case C.queryTokenExpired:
      case C.queryTokenInvalid:
        throw this.error(
          'PARDOT_QUERY_TOKEN_INVALID',
          'transient_error',
          `Pardot refused the nextPageToken of the ${q?.object ?? '?'} query as ${code === C.queryTokenExpired ? 'expired (a token lives 4 hours)' : 'invalid'}${said}; ` +
            `the query starts again from the last record read.`,
          { ...ctx, object: q?.object },
        );
      case C.exportStateConflict:
        if (a.kind === 'download') {
          throw this.error(
            'PARDOT_EXPORT_EXPIRED',
            'transient_error',
            `Pardot refused the result file ${path}${said}: the export expired (results are kept 7 days) and has to be created again.`,
            ctx,
          );
        }
        throw this.error('PARDOT_EXPORT_STATE', 'system_error', `Pardot says the export's state does not allow ${req}${said}.`, ctx);
    }
  }

  private badRequest(req: string, said: string, named: string, ctx: ErrorContext, q: RequestInfo | undefined): ConnectorError {
    return this.error('PARDOT_BAD_REQUEST', 'system_error', `Pardot refused ${req}${said}${named}. This is a connector bug or an API change; report it.`, {
      ...ctx,
      procedure: q?.procedure?.name,
    });
  }

  private error(code: string, failureType: FailureType, message: string, context: ErrorContext): ConnectorError {
    const clean: ErrorContext = {};
    for (const [k, v] of Object.entries(context)) {
      if (v === undefined) continue;
      clean[k] = typeof v === 'string' ? this.o.redactor.redact(v) : v;
    }
    return new ConnectorError(code, this.o.redactor.redact(message), { failureType, retriable: false, context: clean });
  }
}

/** Code 51 about a parameter other than `fields` ("Invalid parameter: orderBy. ..."): not a field to drop. */
const OTHER_PARAMETER = /invalid parameter:?\s*(?!fields?\b)[A-Za-z_]/i;

/**
 * The parameter a code-51 message names: "Invalid parameter: orderBy. ..." or "Invalid parameter:
 * Parameter X is invalid." (so the query reader can give up that filter or sort), or null.
 */
export function parameterNamed(message: string): string | null {
  const m = /invalid parameter:?\s*(?:parameter\s+)?["'`]?([A-Za-z_][A-Za-z0-9_]*)/i.exec(message);
  return m ? m[1]! : null;
}

/**
 * The field a Pardot message names, as it was requested: the name after "unknown field:" (code 51)
 * or "field:", else a quoted name, else a requested field the message mentions. A custom field
 * named by its `fieldId` (no `__c`) is the requested `fieldId__c`.
 */
export function fieldNamed(message: string | null, fields: readonly string[] | undefined): string | null {
  if (!message) return null;
  const requested = fields ?? [];
  const asRequested = (name: string): string =>
    requested.find((f) => f === name) ?? requested.find((f) => f === `${name}${CUSTOM_FIELD_SUFFIX}`) ?? name;
  const said =
    /\bfield:\s*["'`]?([A-Za-z_][A-Za-z0-9_.]*)/i.exec(message) ??
    /["'`]([A-Za-z_][A-Za-z0-9_.]*)["'`]/.exec(message) ??
    /\bfield\s+([A-Za-z_][A-Za-z0-9_.]*)/i.exec(message);
  if (said && said[1] !== 'fields') return asRequested(said[1]!);
  const mentions = (name: string) => new RegExp(`(^|[^A-Za-z0-9_])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^A-Za-z0-9_])`).test(message);
  return (
    requested.find(mentions) ??
    requested.find((f) => f.endsWith(CUSTOM_FIELD_SUFFIX) && f.length > CUSTOM_FIELD_SUFFIX.length && mentions(f.slice(0, -CUSTOM_FIELD_SUFFIX.length))) ??
    null
  );
}

/** When the daily budget resets next (DAILY_LIMIT_RESET, UNVERIFIED), and a phrase for it. */
export function nextDailyReset(now: number, timezone?: string): { at: number; phrase: string } {
  const zone = timezone && isValidTimeZone(timezone) ? timezone : 'UTC';
  const p = wallParts(now, zone);
  const resetMinutes = DAILY_LIMIT_RESET.hour * 60 + DAILY_LIMIT_RESET.minute;
  const dayOffset = p.hour * 60 + p.minute >= resetMinutes ? 1 : 0;
  const wall = Date.UTC(p.year, p.month - 1, p.day + dayOffset, DAILY_LIMIT_RESET.hour, DAILY_LIMIT_RESET.minute);
  // Two passes: the offset at the guessed instant, then at the corrected one (a DST change near midnight).
  let at = wall - offsetMinutesAt(zone, wall) * 60_000;
  at = wall - offsetMinutesAt(zone, at) * 60_000;
  const w = wallParts(at, zone);
  const pad = (n: number) => String(n).padStart(2, '0');
  const local = `${w.year}-${pad(w.month)}-${pad(w.day)} ${pad(w.hour)}:${pad(w.minute)} ${zone}`;
  const phrase = zone === 'UTC' ? `${local}${timezone ? '' : ' (account timezone unknown; UTC assumed)'}` : `${local}, ${new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z')}`;
  return { at, phrase };
}

function wallParts(ms: number, timeZone: string) {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  }).formatToParts(new Date(ms));
  const get = (t: string) => Number(parts.find((x) => x.type === t)?.value ?? 0);
  return { year: get('year'), month: get('month'), day: get('day'), hour: get('hour'), minute: get('minute') };
}
