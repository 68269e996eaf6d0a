/**
 * Security through the BUILT executable: a battery of failing and succeeding runs whose every
 * byte of stdout and stderr is searched for the client secret, the refresh token, every access
 * token and every rotated refresh token the fake issued (both config shapes: the legacy top-level
 * keys and `credentials`, client credentials included); and credentials that never leave the configured origins (a second fake
 * plays the foreign origin and must receive zero requests).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { startFakePardot, type FakePardot, type FakePardotOptions, type Row } from './fake-pardot/index.js';
import { runCli, tempDir, writeJson, type CliResult } from './helpers/cli.js';
import { SECRETS, catalog, config, errorTrace, parseLines, read, smallData, startFake, waitFor } from './helpers/scenario.js';
import { mergeEnvConfig } from '../src/config-env.js';

let foreign: FakePardot;
let start: Date;
let data: Record<string, Row[]>;
const outputs: Array<{ name: string; text: string; tokens: readonly string[] }> = [];

beforeAll(async () => {
  ({ start, data } = smallData({ prospects: 60 }));
  foreign = await startFakePardot({ clientSecret: SECRETS.client_secret, refreshToken: SECRETS.refresh_token });
});
afterAll(async () => {
  await foreign?.close();
});

interface Case {
  name: string;
  fake?: FakePardotOptions | ((foreignUrl: string) => FakePardotOptions);
  config?: Record<string, unknown>;
  /** 'check' runs check; 'sigterm' sends SIGTERM once an export is in flight. */
  mode?: 'read' | 'check' | 'sigterm';
  expect: { code: number; trace?: RegExp; status?: 'SUCCEEDED' | 'FAILED'; message?: RegExp };
  /** The secret reached an error text and must show as the redaction mark. */
  redacted?: boolean;
}

const CASES: Case[] = [
  { name: 'a wrong client secret (check)', mode: 'check', config: { client_secret: 'wrong-secret-7f3a9c' }, expect: { code: 0, status: 'FAILED', message: /client_id or client_secret/ } },
  { name: 'a wrong client secret (read)', config: { client_secret: 'wrong-secret-7f3a9c' }, expect: { code: 1, trace: /AUTH_INVALID_CLIENT/ } },
  { name: 'a wrong refresh token', config: { refresh_token: 'wrong-refresh-5e1d2b' }, expect: { code: 1, trace: /AUTH_INVALID_GRANT/ } },
  {
    name: 'a token error that echoes the refresh token',
    fake: { faults: [{ on: 'token', kind: 'status', status: 400, body: JSON.stringify({ error: 'invalid_grant', error_description: `refresh token ${SECRETS.refresh_token} revoked` }) }] },
    expect: { code: 1, trace: /AUTH_INVALID_GRANT/ },
    redacted: true,
  },
  {
    name: 'an API error that echoes the client secret',
    fake: { faults: [{ on: 'create', kind: 'status', status: 400, code: 175, body: JSON.stringify({ code: 175, message: `Invalid argument near ${SECRETS.client_secret}` }) }] },
    expect: { code: 1, trace: /PARDOT_BAD_REQUEST/ },
    redacted: true,
  },
  { name: 'code 184 twice (refresh, rejected again)', fake: { faults: [{ on: 'read', kind: 'tokenExpired', times: 2 }] }, expect: { code: 1, trace: /PARDOT_AUTH_REJECTED/ } },
  {
    name: '5xx until retries are exhausted',
    fake: { faults: [{ on: 'create', kind: 'status', status: 503, times: 6, headers: { 'retry-after': '0' } }] },
    expect: { code: 1, trace: /PARDOT_UNAVAILABLE/ },
  },
  {
    name: 'a CSV error',
    fake: { faults: [{ on: 'download', kind: 'status', status: 200, body: 'id,email,updatedAt\nnot-a-number,a@b.c,2024-01-01 00:00:00\n' }] },
    config: { invalid_values: 'fail' },
    expect: { code: 1, trace: /CSV_BAD_VALUE/ },
  },
  { name: 'resultRefs on a foreign origin', fake: (u) => ({ downloadOrigin: u }), expect: { code: 1, trace: /PARDOT_FOREIGN_ORIGIN/ } },
  {
    name: 'an API redirect to a foreign origin',
    fake: (u) => ({ faults: [{ on: 'create', kind: 'status', status: 302, headers: { location: `${u}/api/v5/exports` }, body: '' }] }),
    expect: { code: 1, trace: /PARDOT_REDIRECT/ },
  },
  {
    name: 'a token-endpoint redirect to a foreign origin',
    fake: (u) => ({ faults: [{ on: 'token', kind: 'status', status: 307, headers: { location: `${u}/services/oauth2/token` }, body: '' }] }),
    expect: { code: 1, trace: /AUTH_REDIRECT/ },
  },
  { name: 'the daily limit (code 122)', fake: { faults: [{ on: 'read', kind: 'dailyLimit', nth: 3 }] }, expect: { code: 1, trace: /PARDOT_DAILY_LIMIT/ } },
  { name: 'an unknown export state', fake: { faults: [{ on: 'read', kind: 'unknownState' }] }, expect: { code: 1, trace: /PARDOT_UNKNOWN_STATE/ } },
  { name: 'SIGTERM mid-poll', fake: { pollsUntilComplete: 1000 }, mode: 'sigterm', expect: { code: 1, trace: /ABORTED/ } },
  {
    name: 'a successful run with a token refresh, a reset and a cut download',
    fake: {
      faults: [
        { on: 'read', kind: 'tokenExpired', nth: 2 },
        { on: 'download', kind: 'reset' },
        { on: 'download', kind: 'cut', afterBytes: 30, nth: 2 },
      ],
    },
    expect: { code: 0 },
  },
  { name: 'a successful check', mode: 'check', expect: { code: 0, status: 'SUCCEEDED' } },
  {
    name: 'client credentials: a wrong client secret',
    config: clientCredentials('wrong-cc-secret-91b2'),
    expect: { code: 1, trace: /AUTH_INVALID_CLIENT/ },
  },
  {
    name: 'client credentials: a successful run with a token refresh',
    fake: { grants: ['client_credentials'], faults: [{ on: 'read', kind: 'tokenExpired', nth: 2 }] },
    config: clientCredentials(SECRETS.client_secret),
    expect: { code: 0 },
  },
  {
    name: 'client credentials refused on a non-My-Domain host',
    config: { ...clientCredentials(SECRETS.client_secret), auth_base_url: undefined },
    expect: { code: 1, trace: /CONFIG_AUTH_HOST/ },
  },
  {
    name: 'an invalid credentials object beside the legacy keys',
    config: { credentials: { auth_type: SECRETS.refresh_token, client_secret: 'wrong-cc-secret-91b2' } },
    expect: { code: 1, trace: /CONFIG_INVALID/ },
  },
  {
    name: 'a refresh token rotated at each grant, with a token refresh mid-run',
    fake: { rotateRefreshToken: true, faults: [{ on: 'read', kind: 'tokenExpired', nth: 2 }] },
    expect: { code: 0 },
  },
];

/** Config overrides: the credentials object for the client-credentials grant, the legacy keys removed. */
function clientCredentials(secret: string): Record<string, unknown> {
  return {
    client_id: undefined,
    client_secret: undefined,
    refresh_token: undefined,
    credentials: { auth_type: 'client_credentials', client_id: 'test-client-id', client_secret: secret },
  };
}

const CONFIGURED_SECRETS = [SECRETS.client_secret, SECRETS.refresh_token, 'wrong-secret-7f3a9c', 'wrong-refresh-5e1d2b', 'wrong-cc-secret-91b2'];

/** `tokens`: every access token and every rotated refresh token the fakes issued. */
function leaks(text: string, tokens: readonly string[]): string[] {
  const secrets = [...CONFIGURED_SECRETS, ...tokens];
  return secrets.filter((s) => text.includes(s) || text.includes(encodeURIComponent(s)));
}

describe('no secret in any output, credentials only to the configured origins', () => {
  it.concurrent.each(CASES.map((c) => [c.name, c] as const))('%s', async (_n, c) => {
    const opts = typeof c.fake === 'function' ? c.fake(foreign.url) : (c.fake ?? {});
    const fake = await startFake(data, { ...opts });
    try {
      const cfg = config(fake, start, c.config);
      let r: CliResult;
      if (c.mode === 'check') {
        r = await runCli(['check', '--config', writeJson(tempDir(), 'config.json', cfg)]);
      } else if (c.mode === 'sigterm') {
        let child: ChildProcess | undefined;
        const run = read(cfg, catalog(), undefined, { onSpawn: (ch) => (child = ch) });
        await waitFor(() => fake.stats.calls.read >= 2);
        child!.kill('SIGTERM');
        r = await run;
      } else {
        r = await read(cfg, catalog(['prospects'], 'incremental', ['email']));
      }
      const msgs = parseLines(r.stdout);
      expect(r.code, r.stderr).toBe(c.expect.code);
      if (c.expect.trace) expect(errorTrace(msgs)?.internal_message).toMatch(c.expect.trace);
      if (c.expect.status) {
        const st = msgs.find((m) => m.type === 'CONNECTION_STATUS')!.connectionStatus;
        expect(st.status).toBe(c.expect.status);
        if (c.expect.message) expect(st.message).toMatch(c.expect.message);
      }
      const text = r.stdout + '\n' + r.stderr;
      const issued = [...fake.issuedTokens, ...fake.issuedRefreshTokens];
      outputs.push({ name: c.name, text, tokens: issued });
      expect(leaks(text, issued), `secrets in the output of '${c.name}'`).toEqual([]);
      if (c.redacted) expect(errorTrace(msgs)!.message).toContain('**********');
      // Stack traces are redacted too (they are part of the TRACE message searched above).
      const trace = errorTrace(msgs);
      if (trace) expect(trace.stack_trace).not.toMatch(/Bearer\s+[A-Za-z0-9]/);
    } finally {
      await fake.close();
    }
  });

  it('the foreign origin received zero requests, and tokens were issued and searched for', () => {
    expect(foreign.log).toHaveLength(0);
    expect(foreign.stats.calls).toEqual({ token: 0, account: 0, create: 0, read: 0, query: 0, cancel: 0, download: 0, objects: 0 });
    expect(outputs.length).toBe(CASES.length);
    const tokens = outputs.flatMap((o) => o.tokens);
    expect(tokens.length).toBeGreaterThan(10);
    expect(tokens.filter((t) => t.startsWith('5Aep')).length, 'rotated refresh tokens searched for').toBeGreaterThanOrEqual(2);
    for (const o of outputs) expect(leaks(o.text, tokens), o.name).toEqual([]);
    console.log(
      `Security battery: ${outputs.length} runs, ${outputs.reduce((n, o) => n + o.text.length, 0)} bytes of stdout+stderr searched ` +
        `for ${CONFIGURED_SECRETS.length} configured secrets and ${tokens.length} issued access and rotated refresh tokens: 0 found; foreign origin requests: ${foreign.log.length}.`,
    );
  });
});

describe('files and settings that are not valid JSON: the error gives line and column, never their content', () => {
  // Node's own JSON.parse message quotes the text near the mistake ("Unexpected token 'S',
  // "...refresh_"... is not valid JSON"): a secret next to a typo came out, in the message and
  // again in the TRACE stack trace. No 6-character piece of the secret may appear anywhere.
  const SECRET = 'Sekr3t-refresh-TOKEN-0123456789';
  const fragments = (text: string) => {
    const found: string[] = [];
    for (let i = 0; i + 6 <= SECRET.length; i++) if (text.includes(SECRET.slice(i, i + 6))) found.push(SECRET.slice(i, i + 6));
    return found;
  };
  const badConfigs: Array<[string, string, RegExp]> = [
    ['an unquoted secret (Node quotes the text around it)', `{"client_id": "abc",\n "refresh_token": ${SECRET}}`, /line 2, column 19/],
    ['a stray character after a secret', `{"client_id": "abc", "refresh_token": "${SECRET}" x}`, /line 1, column 73/],
    ['a secret in an unclosed string', `{"client_secret": "${SECRET}`, /line 1, column 19/],
    ['a raw line break inside a secret', `{"refresh_token": "${SECRET.slice(0, 10)}\n${SECRET.slice(10)}"}`, /line 1, column 30/],
  ];

  it.concurrent.each(badConfigs)('a config with %s: Airbyte read (message and stack trace), Singer (and check, catalog)', async (_n, text, where) => {
    const dir = tempDir();
    const cfg = writeJson(dir, 'config.json', text);
    const cat = writeJson(dir, 'catalog.json', catalog());
    // Every case through read (message and stack trace) and Singer; check and the catalog helper
    // read the file the same way (one loader): the first case runs them too.
    const first = text === badConfigs[0]![1];
    const runs = await Promise.all([
      runCli(['read', '--config', cfg, '--catalog', cat]),
      runCli(['--config', cfg, '--discover']),
      ...(first ? [runCli(['check', '--config', cfg]), runCli(['catalog', '--config', cfg])] : []),
    ]);
    const [rd, singer, check, helper] = runs;
    if (first) {
      expect(check!.messages[0]!.connectionStatus.message).toMatch(where);
      expect(helper!.code).toBe(1);
      expect(helper!.stderr).toMatch(where);
    }
    const trace = errorTrace(parseLines(rd!.stdout))!;
    expect(trace.internal_message).toBe('CONFIG_NOT_JSON');
    expect(trace.message).toMatch(where);
    expect(trace.stack_trace).toMatch(where);
    expect(singer!.stderr).toMatch(/ERROR CONFIG_NOT_JSON: The --config file .* is not valid JSON: .*\(its content is not shown\)/);
    for (const r of runs) expect(fragments(r.stdout + r.stderr), r.stdout + r.stderr).toEqual([]);
  });

  it('a catalog and a state that hold the secret next to a syntax error: read names line and column only', async () => {
    const dir = tempDir();
    const cfg = writeJson(dir, 'config.json', { client_id: 'a', client_secret: 'b', refresh_token: 'c', pardot_business_unit_id: '0Uv000000000001AAA', api_base_url: foreign.url, auth_base_url: foreign.url });
    const badCatalog = writeJson(dir, 'catalog.json', `{"streams": [{"stream": {"name": ${SECRET}}}]}`);
    const badState = writeJson(dir, 'state.json', `[{"type": "STREAM", "note": "${SECRET}" ]`);
    const [c, s, singerState] = await Promise.all([
      runCli(['read', '--config', cfg, '--catalog', badCatalog]),
      runCli(['read', '--config', cfg, '--catalog', writeJson(dir, 'ok.json', catalog()), '--state', badState]),
      runCli(['--config', cfg, '--state', badState]),
    ]);
    expect(errorTrace(c.messages)).toMatchObject({ internal_message: 'CATALOG_NOT_JSON' });
    expect(errorTrace(c.messages)!.message).toMatch(/line 1, column 34/);
    expect(errorTrace(s.messages)).toMatchObject({ internal_message: 'STATE_NOT_JSON' });
    expect(errorTrace(s.messages)!.message).toMatch(/a missing ',' or '}' after a property value at line 1, column 63/);
    expect(singerState.stderr).toMatch(/STATE_NOT_JSON/);
    for (const r of [c, s, singerState]) expect(fragments(r.stdout + r.stderr)).toEqual([]);
  });

  it('settings from the environment: a bad value is named by its variable, its value never shown (JSON settings: position only)', async () => {
    const dir = tempDir();
    const cfg = writeJson(dir, 'config.json', { client_id: 'a', pardot_business_unit_id: '0Uv000000000001AAA' });
    const runs = await Promise.all(
      ['IS_SANDBOX', 'WINDOW_DAYS', 'POLL_INTERVAL_SECONDS'].map((k) => runCli(['--config', cfg, '--discover'], { env: { [`TAP_PARDOT_EXPORT_${k}`]: SECRET } })),
    );
    for (const r of runs) {
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/CONFIG_ENV_INVALID: Environment variable TAP_PARDOT_EXPORT_\w+ must be/);
      expect(fragments(r.stdout + r.stderr)).toEqual([]);
    }
    // A list or object setting is JSON text (spec.json may add such settings): position only.
    let message = '';
    try {
      mergeEnvConfig({}, { TAP_PARDOT_EXPORT_TYPES: `[1, ${SECRET}]` }, { types: { type: 'array' } });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/TAP_PARDOT_EXPORT_TYPES must hold JSON \(a list\); it is not valid JSON: .* at line 1, column 5 \(its value is not shown\)/);
    expect(fragments(message)).toEqual([]);
    expect(mergeEnvConfig({}, { TAP_PARDOT_EXPORT_TYPES: '[1, 2]' }, { types: { type: 'array' } })).toEqual({ types: [1, 2] });
  });
});
