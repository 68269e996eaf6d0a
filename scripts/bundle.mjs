// Bundles the compiled connector (dist/src, from tsc) for the executable (bin/source-pardot-export):
//   dist/bundle/cli.cjs        the whole command line (connector code and the parts of undici it
//                              uses), one script wrapped as a function (require, bundleUrl)
//   dist/bundle/cli.cjs.cache  V8's code cache for it (compiled functions), made by a training run
//   dist/bundle/worker.js      the CSV parse worker (an ES module, started by new Worker)
//   dist/bundle/llhttp*.wasm   undici's HTTP/1 parser, read on the first connection
// Why: start-up (bench/README.md, start-up). Node spends most of a small run's start loading
// and compiling code: one file instead of ~200 saves the resolve, stat, read and wrap of each, and
// the code cache saves compiling the functions start-up runs (Node 22 has module.enableCompileCache
// for this; Node 20 does not, so the launcher hands the cache to vm.Script itself, and V8 ignores a
// cache made by another V8 or with other flags). The bundle is built from the same JavaScript the
// tests run through the executable, so it is what they test.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

const root = join(import.meta.dirname, '..');
const out = join(root, 'dist/bundle');
// Whitespace and syntax minified (922 -> 656 KB: less to read and convert at each start); names are
// kept, so stack traces still name functions.
const common = { bundle: true, platform: 'node', target: 'node20', legalComments: 'none', logLevel: 'warning', minifyWhitespace: true, minifySyntax: true };

// undici's HTTP client module loads its HTTP/2 client, and that loads node:http2 (~20 ms of a start on
// the project's machine), although undici speaks HTTP/2 only where allowH2 is set, which the
// connector never does. The HTTP/2 client is loaded on its first use instead: same code, same
// behaviour, later.
const lazyHttp2Client = {
  name: 'lazy-undici-http2-client',
  setup(b) {
    b.onResolve({ filter: /^\.\/client-h2\.js$/ }, (args) =>
      args.importer.endsWith(join('undici', 'lib', 'dispatcher', 'client.js'))
        ? { path: join(args.resolveDir, 'client-h2.js'), namespace: 'lazy-h2' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-h2' }, (args) => ({
      contents: `let real; module.exports = function connectH2 (...args) { real ??= require(${JSON.stringify(args.path)}); return real(...args) }`,
      loader: 'js',
      resolveDir: root,
    }));
  },
};

// undici's HTTP/1 parser (llhttp) is WebAssembly that undici ships as base64 text in two modules
// (with and without SIMD), 142 KB of the bundle that every start would read and convert although
// only one is compiled, at the first connection. Here they are written beside the bundle as the
// binary modules (54 KB each) and read from there when undici first asks: the same bytes (undici's
// modules export the decoded Buffer, which the build writes as it is), later. bench/README.md, start-up.
const require = createRequire(join(root, 'package.json'));
const llhttpFiles = {
  name: 'llhttp-wasm-files',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/llhttp\/llhttp(_simd)?-wasm\.js$/ }, (args) =>
      args.importer.endsWith(join('undici', 'lib', 'dispatcher', 'client-h1.js'))
        ? { path: join(args.resolveDir, args.path), namespace: 'llhttp-wasm-file' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'llhttp-wasm-file' }, (args) => {
      const name = basename(args.path, '.js') + '.wasm';
      const bytes = require(args.path);
      if (!Buffer.isBuffer(bytes) || bytes.length < 1000) throw new Error(`${args.path} no longer exports the WebAssembly bytes: check scripts/bundle.mjs against this undici`);
      writeFileSync(join(out, name), bytes);
      return {
        contents: `module.exports = require('node:fs').readFileSync(require('node:url').fileURLToPath(new URL(${JSON.stringify(name)}, __bundleUrl)))`,
        loader: 'js',
      };
    });
  },
};

mkdirSync(out, { recursive: true });
for (const f of readdirSync(out)) if (f.endsWith('.wasm')) rmSync(join(out, f));
await build({
  ...common,
  entryPoints: [join(root, 'dist/src/cli.js')],
  outfile: join(out, 'cli.cjs'),
  format: 'cjs',
  // The launcher compiles this file as a script and calls it: require resolves Node's built-ins,
  // bundleUrl (this file's URL) stands for import.meta.url (the worker and package.json are found
  // from it).
  define: { 'import.meta.url': '__bundleUrl' },
  banner: { js: '(function (require, __bundleUrl) {' },
  footer: { js: '})' },
  plugins: [lazyHttp2Client, llhttpFiles],
});
await build({ ...common, entryPoints: [join(root, 'dist/src/extract/worker.js')], outfile: join(out, 'worker.js'), format: 'esm',
  // CommonJS dependencies call require() for Node's built-ins; an ES module has none of its own.
  banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
});
const cli = readFileSync(join(out, 'cli.cjs'), 'utf8');
// (Lines of comments aside: undici's JSDoc types say import('...').)
if (cli.split('\n').some((l) => /\bimport\(/.test(l) && !/^\s*(\*|\/\/)/.test(l))) throw new Error('dist/bundle/cli.cjs has a dynamic import(), which a vm.Script without a loader cannot run');

// The code cache: the launcher's own loading (bin/source-pardot-export, with its node flags: V8
// rejects a cache made under other flags) runs a read whose token request fails at once (loopback
// port 1), so every function start-up runs up to the first request is compiled, then the cache is
// written at exit. No network beyond loopback; the files are removed.
const cache = join(out, 'cli.cjs.cache');
rmSync(cache, { force: true });
const dir = mkdtempSync(join(tmpdir(), 'spe-code-cache-'));
try {
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({ client_id: 'x', client_secret: 'x', refresh_token: 'x', pardot_business_unit_id: '0Uv000000000001AAA', timezone: 'America/New_York', api_base_url: 'http://127.0.0.1:1', auth_base_url: 'http://127.0.0.1:1' }),
  );
  writeFileSync(join(dir, 'catalog.json'), JSON.stringify({ streams: [{ stream: { name: 'prospects', json_schema: {} }, sync_mode: 'incremental', cursor_field: ['updatedAt'], destination_sync_mode: 'append' }] }));
  const r = spawnSync(join(root, 'bin/source-pardot-export'), ['read', '--config', join(dir, 'config.json'), '--catalog', join(dir, 'catalog.json')], {
    env: { ...process.env, SOURCE_PARDOT_EXPORT_WRITE_CODE_CACHE: cache },
    encoding: 'utf8',
  });
  if (!existsSync(cache)) throw new Error(`the code cache training run wrote no cache (exit ${r.status}): ${r.stderr}${r.stdout}`.slice(0, 2000));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
