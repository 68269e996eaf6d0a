/**
 * The mistakes a data engineer is likely to make, and the one clear answer each gets: a misspelt
 * config key (a WARN naming the closest setting), hosts that contradict is_sandbox, a catalog of
 * the wrong kind (discover's output or the other protocol's catalog), `auth --help`, stopping
 * `auth`, and the executable run before `npm ci`. Through the BUILT executable where the user
 * meets them; expected texts are written here by hand.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FakePardot } from './fake-pardot/index.js';
import { BIN, runCli, tempDir, writeJson } from './helpers/cli.js';
import { catalog, config, errorTrace, logs, smallData, startFake } from './helpers/scenario.js';
import { closestKey, configWarnings } from '../src/config.js';

let fake: FakePardot;
let start: Date;
beforeAll(async () => {
  let data;
  ({ start, data } = smallData({ prospects: 20 }));
  fake = await startFake(data);
});
afterAll(async () => {
  await fake?.close();
});

const base = { pardot_business_unit_id: '0Uv000000000001AAA', credentials: { auth_type: 'refresh_token', client_id: 'a', client_secret: 'b', refresh_token: 'c' } };

describe('config warnings', () => {
  it.each<[string, Record<string, unknown>, string]>([
    ['a typo', { window_dayz: 30 }, "config key 'window_dayz' is not a setting of this connector and is ignored: did you mean window_days?"],
    ['camelCase', { windowDays: 30 }, "config key 'windowDays' is not a setting of this connector and is ignored: did you mean window_days?"],
    ['a transposition', { lookback_secnods: 1 }, "config key 'lookback_secnods' is not a setting of this connector and is ignored: did you mean lookback_seconds?"],
    ['a credentials key at the top level', { auth_type: 'refresh_token' }, "config key 'auth_type' is not a setting of this connector and is ignored: did you mean credentials.auth_type?"],
    [
      'nothing close',
      { colour: 'blue' },
      "config key 'colour' is not a setting of this connector and is ignored (the settings: source-pardot-export spec, or the README's Configuration table).",
    ],
  ])('%s: one WARN naming the key and the closest setting', (_n, extra, warning) => {
    expect(configWarnings({ ...base, ...extra })).toEqual([warning]);
  });

  it('a misspelt key inside credentials is named with its path', () => {
    expect(configWarnings({ ...base, credentials: { ...base.credentials, client_secert: 'x' } })).toEqual([
      "config key 'credentials.client_secert' is not a setting of this connector and is ignored: did you mean credentials.client_secret?",
    ]);
  });

  it('known keys warn of nothing: older names (pipeline_depth), the legacy top-level credentials, every documented setting', () => {
    expect(configWarnings({ pardot_business_unit_id: 'x', client_id: 'a', client_secret: 'b', refresh_token: 'c', pipeline_depth: 2, window_days: 30 })).toEqual([]);
    expect(configWarnings({ ...base, is_sandbox: true })).toEqual([]);
  });

  it('closestKey compares without case and separators and refuses far matches', () => {
    expect(closestKey('START-DATE', ['start_date', 'timezone'])).toBe('start_date');
    expect(closestKey('start', ['start_date', 'timezone'])).toBeUndefined();
  });

  it.each<[string, Record<string, unknown>, RegExp | null]>([
    ['is_sandbox true with the production API host', { is_sandbox: true, api_base_url: 'https://pi.pardot.com' }, /is_sandbox to true but api_base_url to https:\/\/pi\.pardot\.com, a production host; the host is used .*: remove api_base_url, or set is_sandbox to false/],
    ['is_sandbox true with the production login host', { is_sandbox: true, auth_base_url: 'https://login.salesforce.com' }, /is_sandbox to true but auth_base_url to https:\/\/login\.salesforce\.com, a production host/],
    ['is_sandbox false with the sandbox hosts', { is_sandbox: false, api_base_url: 'https://pi.demo.pardot.com/' }, /is_sandbox to false but api_base_url to https:\/\/pi\.demo\.pardot\.com, a sandbox host; .* set is_sandbox to true/],
    ['a host with credentials in it: the origin only', { is_sandbox: true, api_base_url: 'https://user:hunter2@pi.pardot.com/x?y=z' }, /^config sets is_sandbox to true but api_base_url to https:\/\/pi\.pardot\.com, a production host; (?!.*hunter2)/],
    ['is_sandbox false with a sandbox My Domain', { is_sandbox: false, auth_base_url: 'https://acme--uat.sandbox.my.salesforce.com' }, /auth_base_url to https:\/\/acme--uat\.sandbox\.my\.salesforce\.com, a sandbox host/],
    ['is_sandbox true with the sandbox hosts', { is_sandbox: true, api_base_url: 'https://pi.demo.pardot.com', auth_base_url: 'https://test.salesforce.com' }, null],
    ['no is_sandbox, explicit sandbox hosts', { api_base_url: 'https://pi.demo.pardot.com' }, null],
    ['a loopback or proxy host', { is_sandbox: true, api_base_url: 'http://127.0.0.1:8080' }, null],
  ])('%s', (_n, extra, warning) => {
    const w = configWarnings({ ...base, ...extra });
    if (warning === null) expect(w).toEqual([]);
    else {
      expect(w).toHaveLength(1);
      expect(w[0]).toMatch(warning);
    }
  });

  it('Airbyte: the WARN is a LOG message and the command goes on; Singer: a WARN line on stderr', async () => {
    const dir = tempDir();
    const path = writeJson(dir, 'c.json', { ...config(fake, start), window_dayz: 30 });
    const check = await runCli(['check', '--config', path]);
    expect(check.code).toBe(0);
    expect(logs(check.messages, 'WARN')).toContain("config key 'window_dayz' is not a setting of this connector and is ignored: did you mean window_days?");
    expect(check.messages.at(-1)!.connectionStatus.status).toBe('SUCCEEDED');
    const singer = await runCli(['--config', path, '--discover']);
    expect(singer.code, singer.stderr).toBe(0);
    expect(singer.stderr).toContain("source-pardot-export: WARN config key 'window_dayz' is not a setting of this connector and is ignored: did you mean window_days?\n");
  });
});

describe('a catalog of the wrong kind', () => {
  let dir: string;
  let cfg: string;
  let discoverOut: string;
  beforeAll(async () => {
    dir = tempDir();
    cfg = writeJson(dir, 'config.json', config(fake, start));
    // discover's output as a user saves it: its LOG lines, then the CATALOG message.
    discoverOut = (await runCli(['discover', '--config', cfg])).stdout;
  });

  const readWith = async (file: string, text: string) => {
    const r = await runCli(['read', '--config', cfg, '--catalog', writeJson(dir, file, text)]);
    expect(r.code).toBe(1);
    const t = errorTrace(r.messages)!;
    expect(t.internal_message).toBe('CATALOG_INVALID');
    expect(t.failure_type).toBe('config_error');
    expect(t.message.length).toBeLessThan(400);
    return t.message;
  };

  it("read given discover's whole output, its CATALOG line, or the catalog inside it: one line naming the catalog command", async () => {
    const lines = discoverOut.split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(1);
    const catalogLine = lines.find((l) => JSON.parse(l).type === 'CATALOG')!;
    for (const [file, text] of [
      ['discover.jsonl', discoverOut],
      ['catalog-message.json', catalogLine],
      ['discovered.json', JSON.stringify(JSON.parse(catalogLine).catalog)],
    ] as const) {
      const m = await readWith(file, text);
      expect(m).toMatch(new RegExp(`^The --catalog file \\S*${file.replace('.', '\\.')} is discover's output \\(the streams Pardot offers\\), not a configured catalog`));
      expect(m).toContain('make one with `source-pardot-export catalog --config CONFIG.json > catalog.json`');
    }
  });

  it('read given a Singer catalog: make an Airbyte one, or use it in a Singer sync', async () => {
    const singer = (await runCli(['catalog', '--format', 'singer', '--streams', 'prospects'])).stdout;
    const m = await readWith('singer.json', singer);
    expect(m).toMatch(/is a Singer catalog, not an Airbyte configured catalog: make one with `source-pardot-export catalog --config CONFIG\.json > catalog\.json`, or use this one in a Singer sync/);
  });

  it('a Singer sync given an Airbyte configured catalog or discover output: one line naming catalog --format singer', async () => {
    for (const [file, text, what] of [
      ['configured.json', JSON.stringify(catalog(['prospects'])), 'an Airbyte configured catalog'],
      ['discover.jsonl', discoverOut, "Airbyte discover's output"],
    ] as const) {
      const r = await runCli(['--config', cfg, '--catalog', writeJson(dir, file, text)]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      const errors = r.stderr.split('\n').filter((l) => l.includes('ERROR'));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(new RegExp(`ERROR CATALOG_INVALID: The --catalog file \\S+ is ${what}, not a Singer catalog: make one with \`source-pardot-export catalog --format singer --config CONFIG\\.json > catalog\\.json\``));
      expect(errors[0]!.length).toBeLessThan(500);
    }
  });

  it('a catalog of the right kind still reads (the check looks at the kind, not the content)', async () => {
    const r = await runCli(['read', '--config', cfg, '--catalog', writeJson(dir, 'ok.json', catalog(['prospects']))]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.messages.some((m) => m.type === 'RECORD')).toBe(true);
  });
});

describe('auth', () => {
  it('auth --help explains auth (options, the callback URL, SSH port forwarding), not the global help', async () => {
    const r = await runCli(['auth', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^source-pardot-export auth: get a refresh token/);
    expect(r.stdout).toContain('--timeout-seconds N');
    expect(r.stdout).toContain('http://localhost:N/OauthRedirect');
    expect(r.stdout).toContain('ssh -L 1717:127.0.0.1:1717 SERVER');
    expect(r.stdout).not.toContain('Commands:');
  });

  it('stopping auth with Ctrl-C speaks of the sign-in, not of exports', async () => {
    const dir = tempDir();
    const app = writeJson(dir, 'app.json', { client_id: 'id', client_secret: 'secret', auth_base_url: fake.url });
    let child: ReturnType<typeof spawn> | undefined;
    const r = await runCli(['auth', '--port', '0', '--config', app], {
      onSpawn: (c) => (child = c),
      // The URL is printed once the callback port listens: then stop it, as Ctrl-C would.
      onStderrLine: (line) => {
        if (/\/services\/oauth2\/authorize\?/.test(line)) child!.kill('SIGINT');
      },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('source-pardot-export: SIGINT received, stopping the sign-in.');
    expect(r.stderr).toMatch(/ABORTED: The sign-in was stopped before it finished/);
    expect(r.stderr).not.toMatch(/exports|cancel/i);
  });
});

describe('before npm ci', () => {
  it('the launcher in a checkout without dist/ or node_modules says, in one line, to run npm ci first', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'bin'));
    for (const f of ['source-pardot-export', 'package.json']) copyFileSync(join(BIN, '..', f), join(dir, 'bin', f));
    const child = spawn(process.execPath, [join(dir, 'bin', 'source-pardot-export'), 'spec'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toBe(`source-pardot-export: not built yet (no dist/ in ${dir}): run \`npm ci\` there first.\n`);
  });
});
