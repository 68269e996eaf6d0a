/**
 * OAuth as Salesforce recommends for integrations (issue 9, point 7), through the BUILT executable
 * against the fake: the client-credentials grant (`credentials.auth_type`), its refusal on a host
 * that is not a My Domain, a refresh token rotated mid-run, and the legacy top-level keys of
 * earlier versions still working. Secrets in all these runs are searched for in test/security.test.ts too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakePardot, Row } from './fake-pardot/index.js';
import { runCli, tempDir, writeJson } from './helpers/cli.js';
import { SECRETS, catalog, config, errorTrace, expectedIds, logs, parseLines, read, recordIds, smallData, startFake, tally } from './helpers/scenario.js';

let start: Date;
let data: Record<string, Row[]>;
const open: FakePardot[] = [];

beforeAll(() => {
  ({ start, data } = smallData({ prospects: 40 }));
});
afterAll(async () => {
  await Promise.all(open.map((f) => f.close()));
});

async function fake(opts: Parameters<typeof startFake>[1] = {}): Promise<FakePardot> {
  const f = await startFake(data, opts);
  open.push(f);
  return f;
}

/** The scenario config with its legacy top-level credentials replaced by `credentials`. */
function withCredentials(f: FakePardot, credentials: Record<string, unknown>, over: Record<string, unknown> = {}): Record<string, unknown> {
  const { client_id: _i, client_secret: _s, refresh_token: _r, ...rest } = config(f, start, over);
  return { ...rest, credentials };
}

const CLIENT_CREDENTIALS = { auth_type: 'client_credentials', client_id: 'test-client-id', client_secret: SECRETS.client_secret };

function expectAllProspects(stdout: string): void {
  const t = tally(expectedIds(data, start.getTime()), recordIds(parseLines(stdout)));
  expect(t.expected).toBeGreaterThan(0);
  expect(t).toMatchObject({ lost: 0, duplicated: 0, unexpected: 0 });
}

describe('client credentials (credentials.auth_type client_credentials)', () => {
  it('a read with client credentials: the token comes from the client-credentials grant, every row arrives', async () => {
    // The fake refuses the refresh-token grant, so only a client-credentials request gets a token.
    const f = await fake({ grants: ['client_credentials'] });
    const r = await read(withCredentials(f, CLIENT_CREDENTIALS), catalog());
    expect(r.code, r.stderr + r.stdout.slice(-2000)).toBe(0);
    expectAllProspects(r.stdout);
    expect(f.stats.calls.token).toBe(1);
    expect(r.stdout + r.stderr).not.toContain(SECRETS.client_secret);
  });

  it('check accepts it, and the Singer mode syncs with the secret from TAP_PARDOT_EXPORT_CREDENTIALS_CLIENT_SECRET', async () => {
    const f = await fake({ grants: ['client_credentials'] });
    const dir = tempDir();
    const chk = await runCli(['check', '--config', writeJson(dir, 'check.json', withCredentials(f, CLIENT_CREDENTIALS))]);
    expect(chk.messages.find((m) => m.type === 'CONNECTION_STATUS')?.connectionStatus).toMatchObject({ status: 'SUCCEEDED' });
    // Singer: the file names the grant, the secret comes from the environment (Meltano's credentials.client_secret).
    const cfgPath = writeJson(dir, 'config.json', withCredentials(f, { auth_type: 'client_credentials', client_id: 'test-client-id' }));
    const env = { TAP_PARDOT_EXPORT_CREDENTIALS_CLIENT_SECRET: SECRETS.client_secret };
    const discovered = await runCli(['--config', cfgPath, '--discover'], { env });
    expect(discovered.code, discovered.stderr).toBe(0);
    const cat = discovered.messages[0]! as { streams: Array<{ tap_stream_id: string; metadata: Array<{ breadcrumb: string[]; metadata: Record<string, unknown> }> }> };
    for (const s of cat.streams) for (const m of s.metadata) if (m.breadcrumb.length === 0) m.metadata.selected = s.tap_stream_id === 'prospects';
    const sync = await runCli(['--config', cfgPath, '--catalog', writeJson(dir, 'catalog.json', cat)], { env });
    expect(sync.code, sync.stderr).toBe(0);
    const ids = sync.messages.filter((m) => m.type === 'RECORD' && m.stream === 'prospects').map((m) => m.record.id as number);
    expect(tally(expectedIds(data, start.getTime()), ids)).toMatchObject({ lost: 0, duplicated: 0, unexpected: 0 });
    // check, discover (it reads the custom field list) and the sync: one token each.
    expect(f.stats.calls.token).toBe(3);
    expect(sync.stdout + sync.stderr).not.toContain(SECRETS.client_secret);
  });

  it.concurrent.each([
    ['no auth_base_url (login.salesforce.com from is_sandbox false)', { auth_base_url: undefined }, /not set \(so https:\/\/login\.salesforce\.com/],
    ['the sandbox login host', { auth_base_url: 'https://test.salesforce.com' }, /is https:\/\/test\.salesforce\.com/],
    ['a host that only looks like a My Domain', { auth_base_url: 'https://my.salesforce.com.example.net' }, /is https:\/\/my\.salesforce\.com\.example\.net/],
  ])('refused against %s: config_error saying to set auth_base_url to the My Domain URL, no request sent', async (_n, over, pattern) => {
    const f = await fake();
    const dir = tempDir();
    const cfgPath = writeJson(dir, 'config.json', withCredentials(f, CLIENT_CREDENTIALS, over));
    const [r, chk] = await Promise.all([
      runCli(['read', '--config', cfgPath, '--catalog', writeJson(dir, 'catalog.json', catalog())]),
      runCli(['check', '--config', cfgPath]),
    ]);
    expect(r.code).toBe(1);
    const trace = errorTrace(r.messages)!;
    expect(trace.failure_type).toBe('config_error');
    expect(trace.internal_message).toMatch(/CONFIG_AUTH_HOST/);
    for (const text of [trace.message, chk.messages[0]!.connectionStatus.message as string]) {
      expect(text).toMatch(pattern);
      expect(text).toMatch(/'client_credentials' works only on your org's My Domain: set auth_base_url to your My Domain URL, e\.g\. https:\/\/NAME\.my\.salesforce\.com/);
    }
    expect(chk.messages[0]!.connectionStatus.status).toBe('FAILED');
    expect(f.log).toHaveLength(0);
  });
});

describe('refresh token rotation', () => {
  it('a rotated refresh token is used for the next grant of the same run, logged at INFO, and printed nowhere', async () => {
    // Rotation on: the configured refresh token dies at the first grant. The access token is then
    // rejected once (code 184), so the run needs a second grant, which only the rotated token gets.
    const f = await fake({ rotateRefreshToken: true, faults: [{ on: 'read', kind: 'tokenExpired', nth: 2 }] });
    const r = await read(config(f, start), catalog()); // the legacy top-level shape, as existing users have it
    expect(r.code, r.stderr + r.stdout.slice(-2000)).toBe(0);
    expectAllProspects(r.stdout);
    expect(f.stats.calls.token).toBe(2);
    expect(f.issuedRefreshTokens).toHaveLength(2);
    const msgs = parseLines(r.stdout);
    const rotated = logs(msgs, 'INFO').filter((m) => /refresh token rotated/.test(m));
    expect(rotated).toHaveLength(2);
    expect(rotated[0]).toMatch(/this run uses the new one from now on.*turn off refresh token rotation on the connected app, or use credentials\.auth_type client_credentials/);
    const text = r.stdout + r.stderr;
    for (const secret of [SECRETS.refresh_token, ...f.issuedRefreshTokens, ...f.issuedTokens]) expect(text).not.toContain(secret);
  });

  it('the next run with the stored (spent) token fails with a message that names rotation and the two ways out', async () => {
    const f = await fake({ rotateRefreshToken: true });
    const first = await read(config(f, start), catalog());
    expect(first.code, first.stderr).toBe(0);
    const second = await read(config(f, start), catalog());
    expect(second.code).toBe(1);
    const trace = errorTrace(parseLines(second.stdout))!;
    expect(trace.internal_message).toMatch(/AUTH_INVALID_GRANT/);
    expect(trace.message).toMatch(/If the connected app rotates refresh tokens, the stored token was spent by an earlier run: turn rotation off, or use credentials\.auth_type client_credentials/);
  });
});

describe('the two config shapes', () => {
  it('the legacy top-level client_id/client_secret/refresh_token still read (refresh-token grant), and spec offers the credentials oneOf beside them', async () => {
    const spec = (await runCli(['spec'])).messages[0]!.spec.connectionSpecification;
    expect(spec.required).toEqual(['pardot_business_unit_id']);
    for (const k of ['client_id', 'client_secret', 'refresh_token']) expect(spec.properties[k].airbyte_secret, k).toBe(true);
    const branches = spec.properties.credentials.oneOf as Array<Record<string, any>>;
    expect(branches.map((b) => b.properties.auth_type.const)).toEqual(['refresh_token', 'client_credentials']);
    expect(branches.map((b) => b.required)).toEqual([
      ['auth_type', 'client_id', 'client_secret', 'refresh_token'],
      ['auth_type', 'client_id', 'client_secret'],
    ]);
    for (const b of branches) for (const k of ['client_id', 'client_secret']) expect(b.properties[k].airbyte_secret).toBe(true);

    const f = await fake({ grants: ['refresh_token'] });
    const r = await read(config(f, start), catalog());
    expect(r.code, r.stderr).toBe(0);
    expectAllProspects(r.stdout);
    const nested = await read(withCredentials(f, { auth_type: 'refresh_token', client_id: 'test-client-id', client_secret: SECRETS.client_secret, refresh_token: SECRETS.refresh_token }), catalog());
    expect(nested.code, nested.stderr).toBe(0);
    expectAllProspects(nested.stdout);
  });

  it.concurrent.each<[string, (c: Record<string, unknown>) => Record<string, unknown>, RegExp]>([
    [
      'both shapes at once',
      (c) => ({ ...c, credentials: CLIENT_CREDENTIALS }),
      /config has both 'credentials' and the legacy top-level 'client_id', 'client_secret', 'refresh_token': give the credentials once/,
    ],
    [
      'neither shape',
      ({ client_id: _i, client_secret: _s, refresh_token: _r, ...c }) => c,
      /config field 'credentials' is missing: give credentials \{"auth_type": "refresh_token"/,
    ],
    [
      'an unknown auth_type',
      ({ client_id: _i, client_secret: _s, refresh_token: _r, ...c }) => ({ ...c, credentials: { ...CLIENT_CREDENTIALS, auth_type: 'password' } }),
      /config field 'credentials\.auth_type' is not a known auth type: set it to 'refresh_token' .* or 'client_credentials'/,
    ],
    [
      'auth_type refresh_token without its refresh_token',
      ({ client_id: _i, client_secret: _s, refresh_token: _r, ...c }) => ({ ...c, credentials: { ...CLIENT_CREDENTIALS, auth_type: 'refresh_token' } }),
      /config field 'credentials\.refresh_token' is missing \(auth_type refresh_token\): use an OAuth refresh token/,
    ],
  ])('%s: config_error naming the field and the fix, no secret printed', async (_n, make, pattern) => {
    const f = await fake();
    const r = await read(make(config(f, start)), catalog());
    expect(r.code).toBe(1);
    const trace = errorTrace(parseLines(r.stdout))!;
    expect(trace.failure_type).toBe('config_error');
    expect(trace.message).toMatch(pattern);
    expect(r.stdout + r.stderr).not.toContain(SECRETS.client_secret);
    expect(f.log).toHaveLength(0);
  });
});
