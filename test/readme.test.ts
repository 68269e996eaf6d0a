/**
 * The README's offline walk-through, as written: a fresh user goes from `npm run fake-pardot` to a
 * successful check, discover, configured catalog, read and Singer sync using only the README's
 * commands. The commands are read from README.md itself (section "Try it offline"), run in an empty
 * directory through the BUILT executable, and their outputs checked. Also: the README keeps exactly
 * one set-up command and one test command.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from './helpers/cli.js';

const repo = join(import.meta.dirname, '..');
const readme = readFileSync(join(repo, 'README.md'), 'utf8');
const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { scripts: Record<string, string> };

/** The ```sh blocks of a README section (from its heading to the next heading of any level). */
function shBlocks(heading: string): string[][] {
  const at = readme.indexOf(heading);
  if (at < 0) throw new Error(`README has no heading ${heading}`);
  const rest = readme.slice(at + heading.length);
  const end = rest.search(/\n#{2,3} /);
  const section = end < 0 ? rest : rest.slice(0, end);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) =>
    m[1]!
      .split('\n')
      .map((l) => l.replace(/\s+#.*$/, '').trim())
      .filter((l) => l !== ''),
  );
}

let fake: ChildProcess | undefined;
afterAll(() => {
  fake?.kill('SIGTERM');
});

describe('README', () => {
  it('"Set up and test" shows exactly one set-up command (npm ci) and one test command (npm test)', () => {
    const blocks = shBlocks('## Set up and test');
    expect(blocks).toEqual([['npm ci', 'npm test']]);
  });

  it('"Try it offline": npm run fake-pardot, then check, discover, catalog, read and a Singer sync, each as written', async () => {
    const [start, commands] = shBlocks('### Try it offline');
    expect(start).toEqual(['npm run fake-pardot']);
    // `npm run fake-pardot` builds, then runs this entry (the test suite has built already).
    expect(pkg.scripts['fake-pardot']).toMatch(/&& node dist\/scripts\/fake-pardot\.js$/);
    const dir = tempDir();
    const config = join(dir, 'fake-pardot.config.json');
    fake = spawn(process.execPath, [join(repo, 'dist', 'scripts', 'fake-pardot.js')], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] });
    let banner = '';
    await new Promise<void>((resolve, reject) => {
      fake!.stdout!.setEncoding('utf8').on('data', (d: string) => {
        banner += d;
        if (banner.includes('Stop with Ctrl-C.')) resolve();
      });
      fake!.on('exit', (code) => reject(new Error(`fake-pardot exited (${code}) before it was ready`)));
    });
    expect(existsSync(config)).toBe(true);
    expect(banner).toContain('Its config is in fake-pardot.config.json');
    expect(banner).toContain(JSON.stringify(JSON.parse(readFileSync(config, 'utf8'))));
    // It prints the same commands as the README block.
    const norm = (t: string) => t.replace(/[ \t]+/g, ' ');
    for (const line of commands!) expect(norm(banner)).toContain(norm(line));

    const seen: Record<string, string> = {};
    for (const line of commands!) {
      const redirect = /^(.*?)\s*>\s*(\S+)$/.exec(line);
      const cmd = redirect ? redirect[1]! : line;
      const [exe, ...args] = cmd.split(/\s+/);
      expect(exe, line).toBe('./bin/source-pardot-export');
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
    const catalog = JSON.parse(readFileSync(join(dir, 'catalog.json'), 'utf8')) as { streams: Array<{ stream: { name: string } }> };
    expect(catalog.streams.map((s) => s.stream.name)).toEqual(['prospects', 'visitors']);
    const read = out(/ read /);
    const streams = new Set(read.filter((m) => m.type === 'RECORD').map((m) => m.record.stream));
    expect([...streams].sort()).toEqual(['prospects', 'visitors']);
    expect(read.filter((m) => m.type === 'STATE').length).toBeGreaterThan(0);
    expect(read.find((m) => m.type === 'TRACE' && m.trace.type === 'ERROR')).toBeUndefined();
    const singer = out(/--catalog singer-catalog\.json/);
    expect(new Set(singer.filter((m) => m.type === 'RECORD').map((m) => m.stream))).toEqual(new Set(['prospects']));
    expect(singer.at(-1)!.type).toBe('STATE');

    // Ctrl-C (SIGINT here; SIGTERM likewise) stops it and removes its config.
    const exited = new Promise<number | null>((resolve) => fake!.once('exit', (code) => resolve(code)));
    fake.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(existsSync(config)).toBe(false);
    fake = undefined;
  });
});
