/**
 * `source-pardot-export auth`: gets a refresh token for the config with Salesforce's OAuth 2.0
 * web server flow (authorization code grant, with PKCE), on a loopback port:
 *
 *   1. listen on 127.0.0.1:PORT; the redirect URI is http://localhost:PORT/OauthRedirect, which
 *      must be the connected app's (or external client app's) callback URL, exactly;
 *   2. the user opens the authorize URL in a browser, logs in as the Pardot API user, approves;
 *   3. Salesforce redirects the browser to the loopback URL with a one-time code (and our state);
 *   4. the code is exchanged at the token endpoint for a refresh token (scope refresh_token).
 *
 * Thin and testable: no argv, files or stdout here (cli.ts does those); the browser step is a URL
 * handed to `onAuthorizeUrl`, and the HTTP dispatcher comes in. Secrets (client secret, code,
 * tokens) are registered with the redactor before anything can print them.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request, type Dispatcher } from '../pardot/undici.js';
import { isLoopbackHost } from '../config.js';
import { ConnectorError, configError } from '../errors.js';
import { printable } from '../json-text.js';
import type { Redactor } from '../redact.js';
import { TOKEN_PATH } from '../pardot/wire.js';

/** Salesforce's authorization endpoint (same host as the token endpoint: login, test or My Domain). */
export const AUTHORIZE_PATH = '/services/oauth2/authorize';
/** The callback path (the Salesforce CLI's convention, so an app set up for it works as it is). */
export const CALLBACK_PATH = '/OauthRedirect';
export const DEFAULT_AUTH_PORT = 1717;
/** `pardot_api` for the API; `refresh_token` so Salesforce issues a refresh token at all. */
export const AUTH_SCOPES = 'pardot_api refresh_token';

export interface AuthFlowOptions {
  clientId: string;
  clientSecret: string;
  /** Origin of the Salesforce login host: https, or http on loopback (tests). */
  authBaseUrl: string;
  /** Loopback port to listen on; 0 picks a free one (tests). */
  port: number;
  timeoutMs: number;
  redactor: Redactor;
  dispatcher?: Dispatcher;
  signal?: AbortSignal;
  /** Called once with the URL the user must open, and the redirect URI in use. */
  onAuthorizeUrl: (url: string, redirectUri: string) => void;
}

export interface AuthFlowResult {
  refreshToken: string;
  /** The scopes Salesforce granted, as it reported them. */
  scope: string | null;
  instanceUrl: string | null;
}

const base64url = (b: Buffer) => b.toString('base64url');

/** Checks the login host the client secret will be sent to: https, or plain http on loopback only. */
export function checkAuthBaseUrl(value: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw configError('CONFIG_INVALID', "config field 'auth_base_url' is not a URL: give one such as https://login.salesforce.com.", { field: 'auth_base_url' });
  }
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && isLoopbackHost(u.hostname))) {
    throw configError('CONFIG_INSECURE_URL', "config field 'auth_base_url' must use https (plain http only for loopback hosts).", { field: 'auth_base_url' });
  }
  return u.origin;
}

export function authorizeUrl(o: { authBaseUrl: string; clientId: string; redirectUri: string; state: string; codeChallenge: string }): string {
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: o.clientId,
    redirect_uri: o.redirectUri,
    scope: AUTH_SCOPES,
    state: o.state,
    code_challenge: o.codeChallenge,
    code_challenge_method: 'S256',
    // Always show the login page: the browser is often logged in as someone other than the API user.
    prompt: 'login consent',
  });
  return `${o.authBaseUrl}${AUTHORIZE_PATH}?${q.toString()}`;
}

function page(res: ServerResponse, status: number, title: string, text: string): void {
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const body = `<!doctype html><meta charset="utf-8"><title>${esc(title)}</title><h1>${esc(title)}</h1><p>${esc(text)}</p>`;
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Runs the flow to the end: resolves with the refresh token, or rejects with a ConnectorError. */
export async function runAuthorizationCodeFlow(o: AuthFlowOptions): Promise<AuthFlowResult> {
  const authBase = checkAuthBaseUrl(o.authBaseUrl);
  o.redactor.add(o.clientSecret);
  // node:crypto is loaded here, not at every start of the executable (bench/README.md, start-up).
  const { createHash, randomBytes } = process.getBuiltinModule('node:crypto');
  const state = base64url(randomBytes(24));
  const verifier = base64url(randomBytes(48));
  const challenge = base64url(createHash('sha256').update(verifier).digest());

  let redirectUri = '';
  let settle!: { resolve: (code: string) => void; reject: (e: unknown) => void };
  const codePromise = new Promise<string>((resolve, reject) => (settle = { resolve, reject }));
  let done = false;

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' || url.pathname !== CALLBACK_PATH) return page(res, 404, 'Not found', 'This is the source-pardot-export sign-in helper.');
    if (done) return page(res, 410, 'Already done', 'This sign-in has finished; you can close this tab.');
    // A redirect that does not carry our state is not the answer to our request: refuse it and wait on.
    if (url.searchParams.get('state') !== state) {
      return page(res, 400, 'Unexpected request', 'This sign-in link does not belong to the running source-pardot-export auth: start it again.');
    }
    const error = url.searchParams.get('error');
    if (error !== null) {
      done = true;
      const desc = url.searchParams.get('error_description');
      page(res, 400, 'Sign-in failed', 'Salesforce did not authorize the app; see the terminal.');
      settle.reject(
        configError(
          'AUTH_DENIED',
          `Salesforce answered the authorization with ${o.redactor.clip(printable(error), 64)}${desc ? ` (${o.redactor.clip(printable(desc), 200)})` : ''}: ` +
            `check the app's callback URL (${redirectUri}), its OAuth scopes (${AUTH_SCOPES}), that the user may use the app, and approve the request.`,
        ),
      );
      return;
    }
    const code = url.searchParams.get('code');
    if (!code) return page(res, 400, 'No code', 'The redirect carried no authorization code: start again.');
    done = true;
    o.redactor.add(code);
    page(res, 200, 'Signed in', 'source-pardot-export received the authorization. You can close this tab and return to the terminal.');
    settle.resolve(code);
  };
  const server = createServer(handler);
  // `localhost` may resolve to ::1 first: where IPv6 loopback exists, listen there too (same port).
  const server6 = createServer(handler);

  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        configError(
          'AUTH_PORT_IN_USE',
          `Cannot listen on 127.0.0.1:${o.port} (${e.code ?? e.message}): stop what uses the port, or pass --port with the port of the app's callback URL.`,
        ),
      ),
    );
    server.listen(o.port, '127.0.0.1', () => resolve());
  });
  await new Promise<void>((resolve) => {
    server6.once('error', () => resolve());
    server6.listen((server.address() as AddressInfo).port, '::1', () => resolve());
  });
  const timer = setTimeout(() => {
    settle.reject(
      configError('AUTH_TIMEOUT', `No sign-in arrived within ${Math.round(o.timeoutMs / 1000)} s: run the command again and open the URL it prints (or raise --timeout-seconds).`),
    );
  }, o.timeoutMs);
  const onAbort = () => settle.reject(new ConnectorError('ABORTED', 'The sign-in was stopped before it finished.', { failureType: 'transient_error' }));
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const { port } = server.address() as AddressInfo;
    redirectUri = `http://localhost:${port}${CALLBACK_PATH}`;
    o.onAuthorizeUrl(authorizeUrl({ authBaseUrl: authBase, clientId: o.clientId, redirectUri, state, codeChallenge: challenge }), redirectUri);
    const code = await codePromise;
    return await exchangeCode({ authBase, clientId: o.clientId, clientSecret: o.clientSecret, code, redirectUri, verifier, redactor: o.redactor, dispatcher: o.dispatcher, signal: o.signal });
  } finally {
    clearTimeout(timer);
    o.signal?.removeEventListener('abort', onAbort);
    for (const s of [server, server6]) {
      s.closeAllConnections();
      if (s.listening) await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  }
}

async function exchangeCode(o: {
  authBase: string;
  clientId: string;
  clientSecret: string;
  code: string;
  redirectUri: string;
  verifier: string;
  redactor: Redactor;
  dispatcher?: Dispatcher;
  signal?: AbortSignal;
}): Promise<AuthFlowResult> {
  const host = new URL(o.authBase).host;
  const form = new URLSearchParams({
    grant_type: 'authorization_code',
    code: o.code,
    client_id: o.clientId,
    client_secret: o.clientSecret,
    redirect_uri: o.redirectUri,
    code_verifier: o.verifier,
  });
  let status: number;
  let text: string;
  try {
    const res = await request(`${o.authBase}${TOKEN_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form.toString(),
      ...(o.dispatcher ? { dispatcher: o.dispatcher } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    });
    status = res.statusCode;
    text = (await res.body.text()).slice(0, 16 * 1024);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).name;
    throw configError('AUTH_HOST_UNREACHABLE', `Could not reach the Salesforce login host ${host} (${code}): check auth_base_url / is_sandbox and the network.`);
  }
  let body: Record<string, unknown> | null = null;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
  } catch {
    body = null;
  }
  for (const k of ['access_token', 'refresh_token']) if (typeof body?.[k] === 'string') o.redactor.add(body[k] as string);
  if (status >= 200 && status < 300 && typeof body?.refresh_token === 'string' && body.refresh_token !== '') {
    return {
      refreshToken: body.refresh_token,
      scope: typeof body.scope === 'string' ? body.scope : null,
      instanceUrl: typeof body.instance_url === 'string' ? body.instance_url : null,
    };
  }
  if (status >= 200 && status < 300) {
    throw configError(
      'AUTH_NO_REFRESH_TOKEN',
      `${host} issued no refresh token: add the scope "Perform requests at any time (refresh_token, offline_access)" to the app, and set its refresh token policy to keep tokens valid until revoked; then run auth again.`,
    );
  }
  const err = typeof body?.error === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(body.error) ? body.error : `HTTP ${status}`;
  // Redacted whole, then cut (Redactor.clip): cutting first could leave the head of a quoted secret.
  const desc = typeof body?.error_description === 'string' ? ` (${o.redactor.clip(printable(body.error_description), 200)})` : '';
  throw configError(
    err.startsWith('invalid_client') ? 'AUTH_INVALID_CLIENT' : 'AUTH_FAILED',
    o.redactor.redact(
      `${host} refused to exchange the authorization code: ${err}${desc}. Check client_id / client_secret (the app's consumer key and secret), ` +
        `that the callback URL is exactly ${o.redirectUri}, and run auth again (a code works once, for a few minutes).`,
    ),
  );
}
