/**
 * Salesforce OAuth for the Pardot API (wire contract: Hosts and authentication): the refresh-token
 * grant, or the client-credentials grant (server to server, on the org's My Domain host only).
 * Salesforce sends no `expires_in`, so a token is used until the API rejects it; then callers ask
 * for one new token, shared by everyone who saw the same rejected token.
 *
 * Refresh token rotation: when a token answer carries a `refresh_token`, the connected app rotates
 * refresh tokens and Salesforce has already invalidated the one just used. The new one is
 * registered with the redactor at once and used for every later grant of this run.
 */
import { request, type Dispatcher } from './undici.js';
import type { Clock } from '../clock.js';
import { ConnectorError, type ErrorContext } from '../errors.js';
import type { Redactor } from '../redact.js';
import { TOKEN_PATH } from './wire.js';
import { abortReason } from './limiter.js';
import { backoffDelay, isAbortError, isUnreachableCode, networkErrorCode, parseRetryAfter, type RetryPolicy } from './retry.js';

export type LogFn = (level: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR', message: string) => void;

/** The OAuth grant and its credentials (config: `credentials.auth_type`, or the legacy top-level keys). */
export type OAuthCredentials =
  | { authType: 'refresh_token'; clientId: string; clientSecret: string; refreshToken: string }
  | { authType: 'client_credentials'; clientId: string; clientSecret: string };

/**
 * Host suffixes of a Salesforce My Domain, the only hosts that serve the client-credentials grant
 * (production NAME.my.salesforce.com; sandboxes NAME--SBX.sandbox.my.salesforce.com; Developer
 * Edition NAME-dev-ed.develop.my.salesforce.com). `.my.salesforce.mil` (Government Cloud) and
 * `.my.sfcrmproducts.cn` (Salesforce in China) are UNVERIFIED: accepting a wrong one costs only
 * Salesforce's own refusal.
 */
export const MY_DOMAIN_HOST_SUFFIXES: readonly string[] = ['.my.salesforce.com', '.my.salesforce.mil', '.my.sfcrmproducts.cn'];

export function isMyDomainHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/\.$/, '');
  return MY_DOMAIN_HOST_SUFFIXES.some((s) => h.endsWith(s) && h.length > s.length);
}

/** Every secret of a set of credentials (client_id too: it names the connected app). */
export function credentialSecrets(c: OAuthCredentials): string[] {
  return c.authType === 'refresh_token' ? [c.clientId, c.clientSecret, c.refreshToken] : [c.clientId, c.clientSecret];
}

export interface TokenProviderOptions {
  authBaseUrl: string;
  credentials: OAuthCredentials;
  dispatcher: Dispatcher;
  clock: Clock;
  redactor: Redactor;
  retry: RetryPolicy;
  requestTimeoutMs: number;
  log: LogFn;
  /** Called once per token request sent (for the call counters). */
  onGrant?: () => void;
  random?: () => number;
}

const ERROR_BODY_LIMIT = 16 * 1024;
/** Characters of the login host's error_description quoted in an error. */
export const AUTH_MESSAGE_MAX = 200;

export class TokenProvider {
  private token: string | null = null;
  private pending: Promise<string> | null = null;
  private reached = false;
  private readonly base: string;
  private readonly host: string;
  /** The refresh token to send next: the configured one until Salesforce rotates it. */
  private refreshToken: string | null;

  constructor(private readonly o: TokenProviderOptions) {
    for (const s of credentialSecrets(o.credentials)) o.redactor.add(s);
    this.refreshToken = o.credentials.authType === 'refresh_token' ? o.credentials.refreshToken : null;
    const u = new URL(o.authBaseUrl);
    this.base = o.authBaseUrl.replace(/\/+$/, '');
    this.host = u.host;
  }

  /** The current token, fetching one when there is none yet. */
  get(signal?: AbortSignal): Promise<string> {
    if (this.token !== null) return Promise.resolve(this.token);
    return withSignal(this.grantOnce(), signal);
  }

  /**
   * A new token after the API rejected `rejected`. When another caller already replaced that
   * token (or is replacing it), its result is shared: one grant for any number of callers.
   */
  refresh(rejected: string, signal?: AbortSignal): Promise<string> {
    if (this.token !== null && this.token !== rejected) return Promise.resolve(this.token);
    if (this.token === rejected) this.token = null;
    return withSignal(this.grantOnce(), signal);
  }

  private grantOnce(): Promise<string> {
    if (!this.pending) {
      this.pending = this.grant().then(
        (t) => {
          this.pending = null;
          this.token = t;
          return t;
        },
        (e: unknown) => {
          this.pending = null;
          throw e;
        },
      );
    }
    return this.pending;
  }

  private async grant(): Promise<string> {
    const { retry, clock, log } = this.o;
    let last = '';
    for (let attempt = 1; ; attempt++) {
      let outcome: { retry: string; retryAfterMs: number | null } | { token: string };
      try {
        outcome = await this.attempt();
      } catch (e) {
        if (isAbortError(e) || !(e instanceof Error) || e instanceof ConnectorError) throw e;
        const code = networkErrorCode(e);
        if (code === null) throw e;
        if (!this.reached && isUnreachableCode(code)) {
          throw new ConnectorError(
            'AUTH_HOST_UNREACHABLE',
            `Could not reach the Salesforce login host ${this.host} (${code}): check auth_base_url and is_sandbox ` +
              `(production https://login.salesforce.com, sandbox https://test.salesforce.com, or your My Domain), and the network (DNS, proxy, firewall).`,
            { failureType: 'config_error', context: this.ctx({ networkError: code }), cause: undefined },
          );
        }
        outcome = { retry: `network error ${code}`, retryAfterMs: null };
      }
      if ('token' in outcome) return outcome.token;
      last = outcome.retry;
      if (attempt >= retry.maxAttempts) {
        throw new ConnectorError(
          'AUTH_UNAVAILABLE',
          `The Salesforce login host ${this.host} did not issue an access token after ${attempt} attempts (last: ${last}). ` +
            `Salesforce may be unavailable; run again later.`,
          { failureType: 'transient_error', context: this.ctx({ attempts: attempt }) },
        );
      }
      const backoff = backoffDelay(retry, attempt, this.o.random);
      if (outcome.retryAfterMs !== null && outcome.retryAfterMs > retry.maxRetryAfterMs) {
        throw new ConnectorError(
          'AUTH_UNAVAILABLE',
          `The Salesforce login host ${this.host} asked to wait ${Math.round(outcome.retryAfterMs / 1000)} s before the next token request (${last}); run again later.`,
          { failureType: 'transient_error', context: this.ctx({ attempts: attempt, retryAt: clock.now() + outcome.retryAfterMs }) },
        );
      }
      const delay = outcome.retryAfterMs ?? backoff;
      log('WARN', this.o.redactor.redact(`Token request to ${this.host} failed (${last}); retry ${attempt}/${retry.maxAttempts - 1} in ${delay} ms`));
      await clock.sleep(delay);
    }
  }

  private ctx(extra: ErrorContext = {}): ErrorContext {
    return { url: TOKEN_PATH, host: this.host, ...extra };
  }

  private async attempt(): Promise<{ retry: string; retryAfterMs: number | null } | { token: string }> {
    const { credentials, dispatcher, requestTimeoutMs, redactor, clock } = this.o;
    const grantType = credentials.authType;
    const sentRefreshToken = this.refreshToken;
    const form = new URLSearchParams(
      grantType === 'refresh_token'
        ? { grant_type: 'refresh_token', client_id: credentials.clientId, client_secret: credentials.clientSecret, refresh_token: sentRefreshToken ?? '' }
        : { grant_type: 'client_credentials', client_id: credentials.clientId, client_secret: credentials.clientSecret },
    ).toString();
    this.o.onGrant?.();
    const res = await request(this.base + TOKEN_PATH, {
      method: 'POST',
      dispatcher,
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form,
      headersTimeout: requestTimeoutMs,
      bodyTimeout: requestTimeoutMs,
    });
    this.reached = true;
    const status = res.statusCode;
    const text = await readLimited(res.body, status >= 200 && status < 300 ? 1024 * 1024 : ERROR_BODY_LIMIT);
    if (status >= 200 && status < 300) {
      const answer = parseJson(text);
      const token = answer?.['access_token'];
      const rotated = answer?.['refresh_token'];
      // Known from this moment on, whatever happens next: nothing that leaves the process may show them.
      if (typeof token === 'string') redactor.add(token);
      if (typeof rotated === 'string') redactor.add(rotated);
      if (typeof token !== 'string' || token.length === 0) {
        throw new ConnectorError(
          'AUTH_BAD_RESPONSE',
          `The Salesforce login host ${this.host} answered the token request with HTTP ${status} but no access_token; check auth_base_url points at a Salesforce login host.`,
          { failureType: 'system_error', context: this.ctx({ httpStatus: status }) },
        );
      }
      if (grantType === 'refresh_token' && typeof rotated === 'string' && rotated.length > 0 && rotated !== sentRefreshToken) {
        this.refreshToken = rotated;
        this.o.log(
          'INFO',
          `The refresh token rotated: ${this.host} answered the refresh-token grant with a new refresh token and has invalidated the one sent; ` +
            `this run uses the new one from now on. The connector cannot update the stored config, whose refresh_token is now spent, so the next run will fail: ` +
            `turn off refresh token rotation on the connected app, or use credentials.auth_type client_credentials (README: Authentication).`,
        );
      }
      return { token };
    }
    if (status === 429 || status >= 500) {
      return { retry: `HTTP ${status}`, retryAfterMs: parseRetryAfter(res.headers['retry-after'], clock.now()) };
    }
    if (status >= 300 && status < 400) {
      throw new ConnectorError(
        'AUTH_REDIRECT',
        `The Salesforce login host ${this.host} answered the token request with a redirect (HTTP ${status}) to ${redactor.clip(locationOrigin(res.headers['location'], this.base), AUTH_MESSAGE_MAX)}; ` +
          `it was not followed. Check auth_base_url (use the host it redirects to if you trust it).`,
        { failureType: 'config_error', context: this.ctx({ httpStatus: status }) },
      );
    }
    const body = parseJson(text);
    const errCode = typeof body?.['error'] === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(body['error']) ? body['error'] : null;
    const rawDesc = typeof body?.['error_description'] === 'string' ? body['error_description'] : '';
    // Redacted whole, then cut (Redactor.clip): cutting first could leave the head of a quoted secret.
    const desc = rawDesc ? `: ${redactor.clip(rawDesc, AUTH_MESSAGE_MAX)}` : '';
    const ctx = this.ctx({ httpStatus: status, authError: errCode ?? undefined });
    if (grantType === 'client_credentials' && errCode !== 'invalid_client' && errCode !== 'invalid_client_id') {
      throw new ConnectorError(
        'AUTH_FAILED',
        `${this.host} refused the client-credentials grant (HTTP ${status}${errCode ? `, ${errCode}${desc}` : ''}): check that auth_base_url is your org's My Domain URL ` +
          `(https://NAME.my.salesforce.com; a sandbox's https://NAME--SANDBOX.sandbox.my.salesforce.com), and that the connected app enables the Client Credentials Flow ` +
          `with a Run As user who has the Pardot API abilities, and the pardot_api scope.`,
        { failureType: 'config_error', context: ctx },
      );
    }
    if (errCode === 'invalid_client' || errCode === 'invalid_client_id') {
      throw new ConnectorError(
        'AUTH_INVALID_CLIENT',
        `client_id or client_secret was rejected by ${this.host}: check the connected app's consumer key/secret (Salesforce: ${errCode}${desc}).`,
        { failureType: 'config_error', context: ctx },
      );
    }
    if (errCode === 'invalid_grant') {
      throw new ConnectorError(
        'AUTH_INVALID_GRANT',
        `The refresh token was rejected by ${this.host} (invalid_grant${desc}): it has expired or been revoked, or it was issued for the other environment. ` +
          `A sandbox token needs is_sandbox: true (auth_base_url https://test.salesforce.com), a production token is_sandbox: false (https://login.salesforce.com). ` +
          `If the connected app rotates refresh tokens, the stored token was spent by an earlier run: turn rotation off, or use credentials.auth_type client_credentials. ` +
          `Authorise the connected app again to get a new refresh token.`,
        { failureType: 'config_error', context: ctx },
      );
    }
    throw new ConnectorError(
      'AUTH_FAILED',
      `${this.host} refused the token request (HTTP ${status}${errCode ? `, ${errCode}${desc}` : ''}): check auth_base_url, client_id, client_secret and refresh_token, ` +
        `and that the connected app allows the refresh_token grant with the pardot_api scope.`,
      { failureType: 'config_error', context: ctx },
    );
  }
}

/** Reads at most `limit` bytes of a body as UTF-8 and discards the rest. */
export async function readLimited(body: AsyncIterable<Buffer | Uint8Array> & { destroy?: (e?: Error) => unknown }, limit: number): Promise<string> {
  return (await readUpTo(body, limit)).text;
}

/** At most `limit` bytes of a body as UTF-8; `overflow` when the body was longer (the rest is not read). */
export async function readUpTo(
  body: AsyncIterable<Buffer | Uint8Array> & { destroy?: (e?: Error) => unknown },
  limit: number,
): Promise<{ text: string; overflow: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let overflow = false;
  for await (const chunk of body) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    if (size < limit) chunks.push(b.subarray(0, limit - size));
    size += b.length;
    if (size > limit) {
      overflow = true;
      body.destroy?.();
      break;
    }
  }
  return { text: Buffer.concat(chunks).toString('utf8'), overflow };
}

export function parseJson(text: string): Record<string, unknown> | null {
  if (!text) return null;
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export function locationOrigin(location: string | string[] | undefined, base: string): string {
  const l = Array.isArray(location) ? location[0] : location;
  if (!l) return '(no Location header)';
  try {
    return new URL(l, base).origin;
  } catch {
    return '(an unreadable Location)';
  }
}

/** The shared promise p, but this caller stops waiting (rejects) when its own signal aborts. */
export function withSignal<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
