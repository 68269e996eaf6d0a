/**
 * Command-line conventions through the BUILT executable: --help on stdout (each command, the
 * README), --version from package.json, usage errors exit 2 with the usage on stderr, a Singer
 * sync from environment settings alone, control bytes from argv and files escaped on stderr.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FakePardot, Row } from './fake-pardot/index.js';
import { runCli, tempDir, writeJson } from './helpers/cli.js';
import { STREAMS } from '../src/streams.js';
import { fakeQueryObjects } from './helpers/query-objects.js';
import { config, smallData, startFake } from './helpers/scenario.js';

const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { version: string };

let fake: FakePardot;
let start: Date;
let data: Record<string, Row[]>;
beforeAll(async () => {
  ({ start, data } = smallData({ prospects: 30 }));
  // Every v5 query object too, so that "every stream" includes the query streams.
  fake = await startFake(data, { queryObjects: fakeQueryObjects({ seed: 5, start, end: new Date(Date.now() - 10 * 60_000), count: 4 }) });
});
afterAll(async () => {
  await fake?.close();
});

describe('help, version, usage errors', () => {
  it('--help prints to stdout every command with a description and points to the README; exit 0', async () => {
    for (const args of [['--help'], ['help'], ['read', '--help']]) {
      const r = await runCli(args);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      for (const cmd of ['spec', 'check', 'discover', 'read', 'catalog', 'auth', '--about']) expect(r.stdout).toMatch(new RegExp(`\\n  ${cmd} +\\S`));
      expect(r.stdout).toMatch(/README\.md/);
      expect(r.stdout).toMatch(/2 usage error/);
    }
  });

  it("--version prints package.json's version", async () => {
    const r = await runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${pkg.version}\n`);
  });

  it.concurrent.each<[string, string[], RegExp]>([
    ['no command and no settings in the environment', [], /No command given, and no TAP_PARDOT_EXPORT_\* settings/],
    ['an unknown command', ['sync'], /Unknown command 'sync'/],
    ['an unknown flag', ['check', '--config', 'c.json', '--verbose'], /Unknown option '--verbose'/],
    ['check without --config', ['check'], /check needs --config CONFIG\.json/],
    ['read without --catalog', ['read', '--config', 'c.json'], /read needs --catalog CATALOG\.json \(make one with: source-pardot-export catalog/],
    ['a stray argument', ['discover', '--config', 'c.json', 'extra'], /Unexpected argument 'extra'/],
    ['Singer: --catalog and --properties', ['--config', 'c.json', '--catalog', 'a', '--properties', 'b'], /Give --catalog or --properties, not both/],
  ])('%s: exit 2, the problem and the usage on stderr, nothing on stdout', async (_n, args, pattern) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr).toMatch(/Usage:\n {2}Airbyte protocol\n/);
  });
});

describe('settings from the environment alone', () => {
  it('no arguments at all with TAP_PARDOT_EXPORT_* set: a Singer sync of every stream', async () => {
    const env = Object.fromEntries(Object.entries(config(fake, start)).map(([k, v]) => [`TAP_PARDOT_EXPORT_${k.toUpperCase()}`, String(v)]));
    const r = await runCli([], { env });
    expect(r.code, r.stderr).toBe(0);
    const records = r.messages.filter((m) => m.type === 'RECORD');
    // Every stream that has rows in the fake's data (the deletion streams may have none).
    const seen = new Set(records.map((m) => m.stream));
    for (const d of STREAMS) if (!d.name.startsWith('deleted_')) expect(seen.has(d.name), d.name).toBe(true);
    const statesOf = new Set(r.messages.filter((m) => m.type === 'STATE').flatMap((m) => Object.keys(m.value?.bookmarks ?? {})));
    expect(statesOf).toEqual(new Set(STREAMS.map((d) => d.name)));
    expect(r.messages.at(-1)!.type).toBe('STATE');
  });

  it('a boolean accepts exactly true or false, as the file does: "yes" is refused naming the variable, not its value', async () => {
    const { is_sandbox: _s, ...rest } = config(fake, start);
    const dir = tempDir();
    const r = await runCli(['--config', writeJson(dir, 'c.json', rest), '--discover'], { env: { TAP_PARDOT_EXPORT_IS_SANDBOX: 'yes' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/CONFIG_ENV_INVALID: Environment variable TAP_PARDOT_EXPORT_IS_SANDBOX must be true or false, as in a config file; its value is not/);
    const ok = await runCli(['--config', writeJson(dir, 'c.json', rest), '--discover'], { env: { TAP_PARDOT_EXPORT_IS_SANDBOX: 'false' } });
    expect(ok.code, ok.stderr).toBe(0);
  });
});

describe('control bytes are escaped, not echoed', () => {
  it('from argv (usage error) and from a file (Singer error line): no raw control byte reaches stderr', async () => {
    const usage = await runCli(['\u001b[31mred\u0007']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("Unknown command '\\x1b[31mred\\x07'");
    const dir = tempDir();
    const r = await runCli(['--config', writeJson(dir, 'c.json', { ...config(fake, start), timezone: 'Mars/\u001b]0;pwned\u0007Base' }), '--discover']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/'timezone' is 'Mars\/\\x1b\]0;pwned\\x07Base', which is not an IANA timezone name/);
    for (const out of [usage.stderr, r.stderr]) expect(out).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
  });
});
