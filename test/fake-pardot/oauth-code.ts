// The OAuth 2.0 web server flow (authorization code grant) of the fake Salesforce login host, kept
// apart from server.ts's token handler so that other grants can grow there independently.
//
//   GET /services/oauth2/authorize?response_type=code&client_id&redirect_uri&state
//       [&code_challenge&code_challenge_method=S256]
//     plays the browser step with a user who logs in and approves at once: 302 to redirect_uri
//     with ?code=…&state=… (or ?error=…&state=… for a bad request, as Salesforce does once it
//     trusts the redirect URI). `denyAuthorization` answers error=access_denied instead.
//   POST /services/oauth2/token grant_type=authorization_code&code&client_id&client_secret
//       &redirect_uri[&code_verifier]
//     a code works once, within CODE_TTL_MS, for the same client and redirect URI; with a
//     challenge, the verifier must hash to it. Answers the refresh token the fake accepts.

import { createHash, randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';

export const AUTHORIZE_PATH = '/services/oauth2/authorize';
const CODE_TTL_MS = 15 * 60_000;

export interface CodeFlowConfig {
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  /** Issues (and registers) a new access token. */
  issueAccessToken: () => string;
  baseUrl: () => string;
  /** The user declines at the consent screen. */
  denyAuthorization?: boolean;
}

export interface CodeFlowStats {
  authorizeRequests: number;
  codesIssued: number;
  codesRedeemed: number;
  rejected: number;
}

interface Grant {
  clientId: string;
  redirectUri: string;
  challenge: string | null;
  expiresAt: number;
  used: boolean;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function createCodeFlow(cfg: CodeFlowConfig) {
  const grants = new Map<string, Grant>();
  const stats: CodeFlowStats = { authorizeRequests: 0, codesIssued: 0, codesRedeemed: 0, rejected: 0 };

  /** The authorize endpoint: a 302 back to the client's loopback redirect URI. */
  function authorize(res: ServerResponse, url: URL): void {
    stats.authorizeRequests++;
    const q = url.searchParams;
    const redirectUri = q.get('redirect_uri');
    let target: URL;
    try {
      target = new URL(redirectUri ?? '');
    } catch {
      stats.rejected++;
      return send(res, 400, { error: 'redirect_uri_mismatch', error_description: 'redirect_uri must match a callback URL of the app' });
    }
    const back = (params: Record<string, string>) => {
      for (const [k, v] of Object.entries(params)) target.searchParams.set(k, v);
      const state = q.get('state');
      if (state !== null) target.searchParams.set('state', state);
      res.writeHead(302, { location: target.toString(), 'content-length': '0' });
      res.end();
    };
    if (q.get('response_type') !== 'code') {
      stats.rejected++;
      return back({ error: 'unsupported_response_type', error_description: 'response type not supported' });
    }
    if (q.get('client_id') !== cfg.clientId) {
      stats.rejected++;
      return back({ error: 'invalid_client_id', error_description: 'client identifier invalid' });
    }
    const challenge = q.get('code_challenge');
    if (challenge !== null && q.get('code_challenge_method') !== 'S256') {
      stats.rejected++;
      return back({ error: 'invalid_request', error_description: 'code_challenge_method must be S256' });
    }
    if (cfg.denyAuthorization) {
      stats.rejected++;
      return back({ error: 'access_denied', error_description: 'end-user denied authorization' });
    }
    const code = 'aPrx' + randomBytes(24).toString('base64url');
    grants.set(code, { clientId: cfg.clientId, redirectUri: target.toString().split('?')[0]!, challenge, expiresAt: Date.now() + CODE_TTL_MS, used: false });
    stats.codesIssued++;
    back({ code });
  }

  /** grant_type=authorization_code at the token endpoint. */
  function exchange(res: ServerResponse, form: URLSearchParams): void {
    const fail = (error: string, description: string) => {
      stats.rejected++;
      send(res, 400, { error, error_description: description });
    };
    if (form.get('client_id') !== cfg.clientId) return fail('invalid_client_id', 'client identifier invalid');
    if (form.get('client_secret') !== cfg.clientSecret) return fail('invalid_client', 'invalid client credentials');
    const grant = grants.get(form.get('code') ?? '');
    if (!grant || grant.used || grant.expiresAt < Date.now()) return fail('invalid_grant', 'invalid authorization code');
    grant.used = true;
    if (form.get('redirect_uri') !== grant.redirectUri) return fail('redirect_uri_mismatch', 'redirect_uri must match the authorization request');
    if (grant.challenge !== null) {
      const verifier = form.get('code_verifier') ?? '';
      if (createHash('sha256').update(verifier).digest('base64url') !== grant.challenge) return fail('invalid_grant', 'invalid code verifier');
    }
    stats.codesRedeemed++;
    send(res, 200, {
      access_token: cfg.issueAccessToken(),
      refresh_token: cfg.refreshToken,
      instance_url: cfg.baseUrl(),
      id: `${cfg.baseUrl()}/id/00Dfake000000001AAA/005fake000000001AAA`,
      token_type: 'Bearer',
      issued_at: String(Date.now()),
      scope: 'pardot_api refresh_token',
      signature: randomBytes(16).toString('base64'),
    });
  }

  return { authorize, exchange, stats };
}
