/**
 * What ships and what stays out: `npm pack` holds only what the executable needs (bin/, the
 * compiled connector, package.json, README); credentials never reach git or a Docker build
 * context; no link points at a repository that does not exist.
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';

const repo = join(import.meta.dirname, '..');
const read = (f: string) => readFileSync(join(repo, f), 'utf8');

describe('package and ignore files', () => {
  it('npm pack ships bin/, dist/src JavaScript, the bundle, package.json and README.md only; the entry and the parse worker are in it (both forms)', async () => {
    const { stdout } = await promisify(execFile)('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: repo });
    const files = (JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path);
    const stray = files.filter((f) => !['package.json', 'README.md', 'bin/source-pardot-export'].includes(f) && !/^dist\/src\/.+\.js$/.test(f) && !/^dist\/bundle\/(cli|worker)\.js$/.test(f));
    expect(stray).toEqual([]);
    for (const f of ['bin/source-pardot-export', 'dist/src/cli.js', 'dist/src/extract/worker.js', 'dist/bundle/cli.js', 'dist/bundle/worker.js']) expect(files).toContain(f);
  });

  it('the bundle and the compiled files answer alike (the Docker image runs the compiled files): spec, catalog, a usage error', async () => {
    const run = promisify(execFile);
    for (const args of [['spec'], ['catalog', '--format', 'singer']]) {
      const bundled = await run(process.execPath, [join(repo, 'dist', 'bundle', 'cli.js'), ...args]);
      const files = await run(process.execPath, [join(repo, 'dist', 'src', 'cli.js'), ...args]);
      expect(bundled.stdout.length).toBeGreaterThan(100);
      expect(bundled.stdout).toBe(files.stdout);
    }
    const usage = await run(process.execPath, [join(repo, 'dist', 'bundle', 'cli.js'), 'nonsense']).catch((e: { code: number; stderr: string }) => e);
    expect((usage as { code: number }).code).toBe(2);
  });

  it('secrets/ and .env are ignored by git and by docker build', () => {
    for (const f of ['.gitignore', '.dockerignore']) {
      const lines = read(f).split('\n').map((l) => l.trim());
      expect(lines.some((l) => /^\/?secrets\/?$/.test(l)), `${f}: secrets/`).toBe(true);
      expect(lines, `${f}: .env`).toContain('.env');
    }
  });

  it('documentationUrl and repository point somewhere real or are absent', () => {
    const spec = JSON.parse(read('spec.json')) as Record<string, unknown>;
    const pkg = JSON.parse(read('package.json')) as Record<string, unknown>;
    const meta = parseYaml(read('metadata.yaml')) as { data: Record<string, string> };
    const links = [spec.documentationUrl, pkg.repository, pkg.homepage, meta.data.documentationUrl].filter((v) => v !== undefined);
    for (const l of links) expect(JSON.stringify(l)).not.toMatch(/github\.com\/source-pardot-export/);
    expect(meta.data.documentationUrl).toMatch(/^https:\/\/developer\.salesforce\.com\//);
  });
});
