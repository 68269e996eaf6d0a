/**
 * The README as a user meets it, checked against the connector so it cannot drift:
 *  - exactly one set-up command and one test command;
 *  - the offline walk-through run as written (commands read from README.md itself, in an empty
 *    directory, through the BUILT executable), and `kill $!` stopping the fake: port closed,
 *    config removed;
 *  - the stream count of the first screen and the streams table against `discover`'s streams;
 *  - the settings table against spec.json (every key, its default);
 *  - the failure-code table against the codes src/ raises (read from the source by a second,
 *    simple reader: test/helpers/raised-codes.ts);
 *  - its length, its links to docs/, and no page speaking of how the code was built.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { runCli, tempDir, writeJson } from './helpers/cli.js';
import { config, smallData, startFake } from './helpers/scenario.js';
import { raisedCodes } from './helpers/raised-codes.js';
import type { FakePardot } from './fake-pardot/index.js';

const repo = join(import.meta.dirname, '..');
const readme = readFileSync(join(repo, 'README.md'), 'utf8');

/** A README section: from its heading to the next heading of level 2 or 3. */
function section(heading: string): string {
  const at = readme.indexOf(`\n${heading}\n`);
  if (at < 0) throw new Error(`README has no heading ${heading}`);
  const rest = readme.slice(at + heading.length + 2);
  const end = rest.search(/\n#{2,3} /);
  return end < 0 ? rest : rest.slice(0, end);
}

/** The ```sh blocks of a section, comments and blank lines dropped. */
function shBlocks(heading: string): string[][] {
  return [...section(heading).matchAll(/```sh\n([\s\S]*?)```/g)].map((m) =>
    m[1]!
      .split('\n')
      .map((l) => l.replace(/\s+#.*$/, '').trim())
      .filter((l) => l !== ''),
  );
}

/** The rows of the first table in a section, as cells (header and separator dropped). */
function tableRows(heading: string): string[][] {
  const lines = section(heading).split('\n');
  const first = lines.findIndex((l) => l.startsWith('|'));
  const rows: string[][] = [];
  for (const l of lines.slice(first + 2)) {
    if (!l.startsWith('|')) break;
    rows.push(l.slice(1, -1).split(' | ').map((c) => c.trim()));
  }
  return rows;
}

const backticked = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);

describe('README: set-up', () => {
  it('"Set up and test" shows exactly one set-up command (npm ci) and one test command (npm test), and says the protocol checks need ../shared', () => {
    expect(shBlocks('## Set up and test')).toEqual([['npm ci', 'npm test']]);
    expect(section('## Set up and test')).toContain('../shared/reference/airbyte_protocol.yaml');
  });

  it('is a guide of at most 400 lines whose links to docs/ and bench/ resolve', () => {
    expect(readme.split('\n').length).toBeLessThanOrEqual(400);
    const links = [...readme.matchAll(/\]\(((?:docs|bench)\/[^)#]+)\)/g)].map((m) => m[1]!);
    expect(links.length).toBeGreaterThan(5);
    for (const l of links) expect(existsSync(join(repo, l)), l).toBe(true);
  });

  it('no page speaks of how it was built (issues, sessions, earlier versions of the code)', () => {
    const pages = ['README.md', 'bench/README.md', ...readdirSync(join(repo, 'docs')).map((f) => `docs/${f}`)];
    for (const p of pages) {
      const text = readFileSync(join(repo, p), 'utf8');
      expect(text, p).not.toMatch(/\bissue \d+|\bsessions?\b|\bprevious\b|\bthe final (code|build)\b|\bnow does\b/i);
    }
  });
});

describe('README: try it offline', () => {
  let fake: ChildProcess | undefined;
  afterAll(() => {
    fake?.kill('SIGTERM');
  });

  it('starts the fake as written, runs check, discover, catalog, read and a Singer sync as written, and kill $! stops it (port closed, config removed)', async () => {
    const [start, commands, stop] = shBlocks('## Try it offline');
    expect(start).toEqual(['node dist/scripts/fake-pardot.js &']);
    expect(stop).toEqual(['kill $!']);
    const dir = tempDir();
    const configPath = join(dir, 'out', 'fake-pardot.config.json');
    fake = spawn(process.execPath, [join(repo, 'dist', 'scripts', 'fake-pardot.js')], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<number | null>((resolve) => fake!.once('exit', (code) => resolve(code)));
    let banner = '';
    await new Promise<void>((resolve, reject) => {
      fake!.stdout!.setEncoding('utf8').on('data', (d: string) => {
        banner += d;
        if (banner.includes(`Stop with Ctrl-C, or: kill ${fake!.pid}`)) resolve();
      });
      void exited.then((code) => reject(new Error(`fake-pardot exited (${code}) before it was ready`)));
    });
    expect(existsSync(configPath)).toBe(true);
    expect(banner).toContain('Its config is in out/fake-pardot.config.json');
    const cfg = JSON.parse(readFileSync(configPath, 'utf8')) as { api_base_url: string };
    expect(banner).toContain(JSON.stringify(cfg));
    // It prints the same commands as the README block.
    const norm = (t: string) => t.replace(/[ \t]+/g, ' ');
    for (const line of commands!) expect(norm(banner)).toContain(norm(line));

    const seen: Record<string, string> = {};
    for (const line of commands!) {
      const redirect = /^(.*?)\s*>\s*(\S+)$/.exec(line);
      const cmd = redirect ? redirect[1]! : line;
      const [exe, ...args] = cmd.split(/\s+/);
      expect(exe, line).toBe('./bin/source-pardot-export');
      if (redirect) expect(redirect[2]!, 'outputs go to out/, which .gitignore covers').toMatch(/^out\//);
      const r = await runCli(args, { cwd: dir });
      expect(r.code, `${line}\n${r.stderr}`).toBe(0);
      if (redirect) writeFileSync(join(dir, redirect[2]!), r.stdout);
      seen[line] = r.stdout;
    }
    const out = (re: RegExp) => {
      const key = Object.keys(seen).find((l) => re.test(l));
      if (!key) throw new Error(`the README block has no command matching ${re}`);
      return seen[key]!.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>);
    };
    expect(out(/ check /).find((m) => m.type === 'CONNECTION_STATUS')!.connectionStatus.status).toBe('SUCCEEDED');
    expect(out(/ discover /).find((m) => m.type === 'CATALOG')!.catalog.streams.length).toBeGreaterThanOrEqual(6);
    const catalog = JSON.parse(readFileSync(join(dir, 'out', 'catalog.json'), 'utf8')) as { streams: Array<{ stream: { name: string } }> };
    expect(catalog.streams.map((s) => s.stream.name)).toEqual(['prospects', 'visitors']);
    const read = out(/ read /);
    expect([...new Set(read.filter((m) => m.type === 'RECORD').map((m) => m.record.stream))].sort()).toEqual(['prospects', 'visitors']);
    expect(read.filter((m) => m.type === 'STATE').length).toBeGreaterThan(0);
    expect(read.find((m) => m.type === 'TRACE' && m.trace.type === 'ERROR')).toBeUndefined();
    const singer = out(/--catalog out\/singer-catalog\.json/);
    expect(new Set(singer.filter((m) => m.type === 'RECORD').map((m) => m.stream))).toEqual(new Set(['prospects']));
    expect(singer.at(-1)!.type).toBe('STATE');

    // `kill $!`: SIGTERM to the PID the shell gave.
    fake.kill('SIGTERM');
    expect(await exited).toBe(0);
    fake = undefined;
    expect(existsSync(configPath)).toBe(false);
    const port = Number(new URL(cfg.api_base_url).port);
    const refused = await new Promise<string>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve('connected')));
      s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
  });
});

describe('README: tables against the connector', () => {
  let fake: FakePardot;
  let discovered: Array<{ name: string; supported_sync_modes: string[]; default_cursor_field?: string[] }>;
  beforeAll(async () => {
    const { start, data } = smallData({ prospects: 5 });
    fake = await startFake(data);
    const r = await runCli(['discover', '--config', writeJson(tempDir(), 'c.json', config(fake, start))]);
    discovered = r.messages.find((m) => m.type === 'CATALOG')!.catalog.streams;
  });
  afterAll(async () => {
    await fake?.close();
  });

  it("the first screen's stream count and the streams table are discover's streams: names, cursors, full-refresh-only streams", () => {
    const rows = tableRows('## Streams');
    const count = /\*\*(\d+) streams\*\*/.exec(readme.split('\n').slice(0, 12).join('\n'));
    expect(count, 'the stream count on the first screen').not.toBeNull();
    expect(Number(count![1])).toBe(discovered.length);
    expect(rows.length).toBe(discovered.length);
    expect(rows.map((r) => r[0])).toEqual(discovered.map((s) => s.name));
    for (const [name, path, cursor] of rows) {
      const s = discovered.find((d) => d.name === name)!;
      expect(['export', 'query'], name).toContain(path);
      if (s.supported_sync_modes.includes('incremental')) expect(cursor, name).toBe(`\`${s.default_cursor_field![0]}\``);
      else expect(cursor === 'none' || cursor!.endsWith('full refresh only'), `${name}: ${cursor}`).toBe(true);
    }
  });

  it('the settings table has every setting of spec.json, none else, each default as spec.json gives it', () => {
    const spec = JSON.parse(readFileSync(join(repo, 'spec.json'), 'utf8')) as { connectionSpecification: { properties: Record<string, { default?: unknown }> } };
    const props = spec.connectionSpecification.properties;
    const rows = tableRows('## Configuration');
    const listed = rows.flatMap((r) => backticked(r[0]!));
    expect([...listed].sort()).toEqual(Object.keys(props).sort());
    for (const [keys, def] of rows) {
      for (const key of backticked(keys!)) {
        const d = props[key]!.default;
        if (d === undefined) expect(def, key).toMatch(/^(none|required\b)/);
        else expect(def, key).toBe(`\`${String(d)}\``);
      }
    }
  });

  it('the failure-code table lists every code src/ raises, and none it does not', () => {
    const { codes, passThrough } = raisedCodes(join(repo, 'src'));
    // Codes passed through a variable: the error type itself, the CSV worker's, the HTTP layer's helper, a stream's first failure.
    expect(passThrough.sort()).toEqual(
      ['src/errors.ts: this.code', 'src/errors.ts: code', 'src/extract/parallel.ts: m.error.code', 'src/pardot/http.ts: code', 'src/sync/read.ts: first.code'].sort(),
    );
    const rows = tableRows('## Failure codes');
    const listed = rows.flatMap((r) => backticked(r[0]!));
    expect(new Set(listed).size, 'each code once').toBe(listed.length);
    expect([...listed].sort()).toEqual([...codes.keys()].sort());
    for (const r of rows) {
      expect(['config', 'transient', 'system'], r[0]).toContain(r[1]);
      expect(r[2]!.length, `${r[0]}: meaning`).toBeGreaterThan(10);
      expect(r[3]!.length, `${r[0]}: what to do`).toBeGreaterThan(5);
    }
  });
});

describe('config.example.json and the README agree', () => {
  it('the README says the example holds defaults only and which settings it leaves out', () => {
    const example = JSON.parse(readFileSync(join(repo, 'config.example.json'), 'utf8')) as Record<string, unknown>;
    const text = section('## Configuration');
    for (const k of ['max_api_calls', 'api_base_url', 'auth_base_url']) {
      expect(example[k], k).toBeUndefined();
      expect(text).toMatch(new RegExp(`left out[^.]*\`${k}\`|\`${k}\`[^.]*left out`));
    }
  });
});
