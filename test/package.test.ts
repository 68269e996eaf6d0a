/**
 * What ships and what stays out: `npm pack` holds only what the executable needs (bin/, the
 * compiled connector, package.json, README); credentials never reach git or a Docker build
 * context; no link points at a repository that does not exist.
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';

const repo = join(import.meta.dirname, '..');
const read = (f: string) => readFileSync(join(repo, f), 'utf8');

describe('package and ignore files', () => {
  it('npm pack ships bin/, dist/src JavaScript, the bundle (with the HTTP parser of undici as WebAssembly files), package.json and README.md only; the entry and the parse worker are in it (both forms)', async () => {
    const { stdout } = await promisify(execFile)('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: repo });
    const files = (JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path);
    const shipped = ['package.json', 'README.md', 'bin/source-pardot-export', 'bin/package.json', 'dist/bundle/cli.cjs', 'dist/bundle/cli.cjs.cache', 'dist/bundle/worker.js', 'dist/bundle/llhttp-wasm.wasm', 'dist/bundle/llhttp_simd-wasm.wasm'];
    const stray = files.filter((f) => !shipped.includes(f) && !/^dist\/src\/.+\.js$/.test(f));
    expect(stray).toEqual([]);
    for (const f of [...shipped, 'dist/src/cli.js', 'dist/src/extract/worker.js']) expect(files).toContain(f);
  });

  it('the executable (bundle and code cache) and the compiled files answer alike: spec, catalog, a usage error', async () => {
    const run = promisify(execFile);
    for (const args of [['spec'], ['catalog', '--format', 'singer']]) {
      const bundled = await run(join(repo, 'bin', 'source-pardot-export'), args);
      const files = await run(process.execPath, [join(repo, 'dist', 'src', 'cli.js'), ...args]);
      expect(bundled.stdout.length).toBeGreaterThan(100);
      expect(bundled.stdout).toBe(files.stdout);
    }
    const usage = await run(join(repo, 'bin', 'source-pardot-export'), ['nonsense']).catch((e: { code: number; stderr: string }) => e);
    expect((usage as { code: number }).code).toBe(2);
  });

  it('the launcher runs the compiled files when there is no bundle, and the bundle when its code cache is unusable (another V8, a damaged file)', async () => {
    const run = promisify(execFile);
    const expected = (await run(process.execPath, [join(repo, 'dist', 'src', 'cli.js'), 'catalog', '--streams', 'prospects'])).stdout;
    const tmp = mkdtempSync(join(tmpdir(), 'spe-launcher-'));
    try {
      // An install laid out as the package: bin/, dist/src and node_modules of this repository.
      mkdirSync(join(tmp, 'bin'));
      for (const f of ['source-pardot-export', 'package.json']) copyFileSync(join(repo, 'bin', f), join(tmp, 'bin', f));
      copyFileSync(join(repo, 'package.json'), join(tmp, 'package.json'));
      mkdirSync(join(tmp, 'dist'));
      symlinkSync(join(repo, 'dist', 'src'), join(tmp, 'dist', 'src'));
      symlinkSync(join(repo, 'node_modules'), join(tmp, 'node_modules'));
      const withoutBundle = await run(join(tmp, 'bin', 'source-pardot-export'), ['catalog', '--streams', 'prospects']);
      expect(withoutBundle.stdout).toBe(expected);

      mkdirSync(join(tmp, 'dist', 'bundle'));
      for (const f of ['cli.cjs', 'worker.js']) copyFileSync(join(repo, 'dist', 'bundle', f), join(tmp, 'dist', 'bundle', f));
      writeFileSync(join(tmp, 'dist', 'bundle', 'cli.cjs.cache'), Buffer.alloc(4096, 7));
      const badCache = await run(join(tmp, 'bin', 'source-pardot-export'), ['catalog', '--streams', 'prospects']);
      expect(badCache.stdout).toBe(expected);
      expect(badCache.stderr).toBe('');
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('the Dockerfile: a Node 22+ base by default, README.md in the image, and a build that stops when VERSION is not package.json\'s', async () => {
    const dockerfile = read('Dockerfile');
    const base = /^ARG BASE=node:(\d+)\b/m.exec(dockerfile);
    expect(base, 'ARG BASE=node:N...').not.toBeNull();
    expect(Number(base![1])).toBeGreaterThanOrEqual(22);
    expect(dockerfile).toMatch(/^COPY [^\n]*\bREADME\.md\b[^\n]* \.\/$/m);
    // The version check the build stage runs, run here as it is written there.
    const check = /^RUN node -e '([^']+)' "\$\{VERSION\}"$/m.exec(dockerfile);
    expect(check, 'the RUN line that checks VERSION').not.toBeNull();
    const version = (JSON.parse(read('package.json')) as { version: string }).version;
    const run = promisify(execFile);
    await run(process.execPath, ['-e', check![1]!, version], { cwd: repo });
    const wrong = await run(process.execPath, ['-e', check![1]!, '9.9.9'], { cwd: repo }).catch((e: { code: number; stderr: string }) => e);
    expect((wrong as { code: number }).code).toBe(1);
    expect((wrong as { stderr: string }).stderr).toContain(`VERSION is 9.9.9 but package.json says ${version}: build with --build-arg VERSION=${version}`);
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
