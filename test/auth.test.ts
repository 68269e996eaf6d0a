/**
 * `source-pardot-export auth` through the BUILT executable against the fake Salesforce login host:
 * the OAuth web server flow on a loopback port, with the test playing the browser (it opens the
 * printed URL, follows the fake's redirect to the loopback callback). The config it prints works
 * for `check`; failures exit 1 with a message saying what to do; no secret reaches stderr.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULTS, startFakePardot, type FakePardot } from './fake-pardot/index.js';
import { runCli, tempDir, writeJson, type CliResult, type RunOptions } from './helpers/cli.js';

let fake: FakePardot;
let dir: string;
beforeAll(async () => {
  fake = await startFakePardot({ userTimezone: 'UTC' });
  dir = tempDir();
});
afterAll(async () => {
  await fake?.close();
});

/** The connected app's part of a config, as a user would write it before running auth. */
const app = (over: Record<string, unknown> = {}) => ({
  client_id: DEFAULTS.clientId,
  client_secret: DEFAULTS.clientSecret,
  pardot_business_unit_id: DEFAULTS.businessUnitId,
  auth_base_url: fake.url,
  api_base_url: fake.url,
  timezone: 'UTC',
  ...over,
});

interface Browser {
  authorizeUrl?: URL;
  /** What the loopback callback answered the browser. */
  callback?: { status: number; text: string };
  /** A forged callback (wrong state) was refused with this status. */
  forged?: number;
}

/** Runs auth and plays the browser: opens the printed URL, follows the redirect to the callback. */
async function authWithBrowser(args: string[], opts: RunOptions & { forge?: boolean } = {}): Promise<{ r: CliResult; browser: Browser }> {
  const browser: Browser = {};
  let browsing: Promise<void> = Promise.resolve();
  const r = await runCli(['auth', '--port', '0', ...args], {
    ...opts,
    onStderrLine: (line) => {
      const m = /^\s+(http:\/\/\S+\/services\/oauth2\/authorize\?\S+)$/.exec(line);
      if (!m) return;
      browser.authorizeUrl = new URL(m[1]!);
      browsing = (async () => {
        const login = await fetch(m[1]!, { redirect: 'manual' });
        const location = login.headers.get('location')!;
        if (opts.forge) {
          const forged = new URL(location);
          forged.searchParams.set('state', 'not-the-state');
          browser.forged = (await fetch(forged)).status;
        }
        const cb = await fetch(location);
        browser.callback = { status: cb.status, text: await cb.text() };
      })();
    },
  });
  await browsing;
  return { r, browser };
}

function expectNoSecrets(text: string) {
  for (const s of [DEFAULTS.clientSecret, DEFAULTS.refreshToken, ...fake.issuedTokens]) expect(text).not.toContain(s);
}

describe('auth: the OAuth web server flow on a loopback port', () => {
  it('writes a config with the refresh token to --out (mode 0600, also over an older file) that check accepts; stderr holds no secret', async () => {
    const out = join(dir, 'config.json');
    writeFileSync(out, '{"an": "older config, readable by all"}', { mode: 0o644 });
    const before = { ...fake.codeFlow };
    const { r, browser } = await authWithBrowser(['--config', writeJson(dir, 'app.json', app()), '--out', out], { forge: true });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    // The URL: Salesforce's authorize endpoint, our loopback callback, the scopes, PKCE, a state; no secret.
    const q = browser.authorizeUrl!.searchParams;
    expect(browser.authorizeUrl!.pathname).toBe('/services/oauth2/authorize');
    expect(q.get('response_type')).toBe('code');
    expect(q.get('client_id')).toBe(DEFAULTS.clientId);
    expect(q.get('redirect_uri')).toMatch(/^http:\/\/localhost:\d+\/OauthRedirect$/);
    expect(q.get('scope')).toBe('pardot_api refresh_token');
    expect(q.get('code_challenge_method')).toBe('S256');
    expect(q.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get('state')!.length).toBeGreaterThanOrEqual(32);
    expect(browser.authorizeUrl!.toString()).not.toContain(DEFAULTS.clientSecret);
    // A callback without our state is refused; the real one is answered and ends the flow.
    expect(browser.forged).toBe(400);
    expect(browser.callback).toMatchObject({ status: 200 });
    expect(browser.callback!.text).toMatch(/You can close this tab/);
    expect(fake.codeFlow.codesIssued - before.codesIssued).toBe(1);
    expect(fake.codeFlow.codesRedeemed - before.codesRedeemed).toBe(1);

    const written = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>;
    expect(written).toEqual({ ...app(), refresh_token: DEFAULTS.refreshToken });
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(r.stderr).toMatch(/signed in; the config with its refresh token is in .*config\.json \(mode 0600\)/);
    expectNoSecrets(r.stderr);

    const check = await runCli(['check', '--config', out]);
    expect(check.messages.find((m) => m.type === 'CONNECTION_STATUS')!.connectionStatus).toMatchObject({ status: 'SUCCEEDED' });
  });

  it('with the secret in the environment and no --out: the config goes to stdout', async () => {
    const { client_secret: _s, ...noSecret } = app();
    const { r } = await authWithBrowser(['--config', writeJson(dir, 'app-nosecret.json', noSecret)], {
      env: { TAP_PARDOT_EXPORT_CLIENT_SECRET: DEFAULTS.clientSecret },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ ...app(), refresh_token: DEFAULTS.refreshToken });
    expectNoSecrets(r.stderr);
  });

  it('a config in the credentials shape: the key and secret are read from credentials and the refresh token written there', async () => {
    const { client_id, client_secret, ...rest } = app();
    const nested = { ...rest, credentials: { auth_type: 'client_credentials', client_id, client_secret } };
    const { r } = await authWithBrowser(['--config', writeJson(dir, 'app-nested.json', nested)]);
    expect(r.code, r.stderr).toBe(0);
    const printed = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(printed).toEqual({ ...rest, credentials: { auth_type: 'refresh_token', client_id, client_secret, refresh_token: DEFAULTS.refreshToken } });
    expect(printed).not.toHaveProperty('refresh_token');
    expectNoSecrets(r.stderr);
    const check = await runCli(['check', '--config', writeJson(dir, 'nested-out.json', printed)]);
    expect(check.messages.find((m) => m.type === 'CONNECTION_STATUS')!.connectionStatus).toMatchObject({ status: 'SUCCEEDED' });
  });

  it('a user who declines: exit 1, AUTH_DENIED saying what to check', async () => {
    const denying = await startFakePardot({ denyAuthorization: true });
    try {
      const { r, browser } = await authWithBrowser(['--config', writeJson(dir, 'app-deny.json', app({ auth_base_url: denying.url }))]);
      expect(r.code).toBe(1);
      expect(browser.callback!.status).toBe(400);
      expect(r.stderr).toMatch(/AUTH_DENIED: Salesforce answered the authorization with access_denied \(end-user denied authorization\): check the app's callback URL/);
      expectNoSecrets(r.stderr);
    } finally {
      await denying.close();
    }
  });

  it('a wrong client secret: the code exchange fails, exit 1, AUTH_INVALID_CLIENT, the secret not printed', async () => {
    const { r } = await authWithBrowser(['--config', writeJson(dir, 'app-wrong.json', app({ client_secret: 'wrong-secret-9d8c7b' }))]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/AUTH_INVALID_CLIENT: .* refused to exchange the authorization code: invalid_client .*Check client_id \/ client_secret/);
    expect(r.stderr).not.toContain('wrong-secret-9d8c7b');
  });

  it('no sign-in in time, a missing client secret, a bad port: clear errors (exit 1, 1, 2)', async () => {
    const timeout = await runCli(['auth', '--port', '0', '--timeout-seconds', '1', '--config', writeJson(dir, 'app-t.json', app())]);
    expect(timeout.code).toBe(1);
    expect(timeout.stderr).toMatch(/AUTH_TIMEOUT: No sign-in arrived within 1 s: run the command again/);
    const { client_secret: _s, ...noSecret } = app();
    const missing = await runCli(['auth', '--port', '0', '--config', writeJson(dir, 'app-m.json', noSecret)]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/auth needs client_secret .* TAP_PARDOT_EXPORT_CLIENT_SECRET/);
    const usage = await runCli(['auth', '--port', 'eighty']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--port must be a port number/);
  });
});
