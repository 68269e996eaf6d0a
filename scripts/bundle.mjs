// Bundles the compiled connector (dist/src, from tsc) into two files, dist/bundle/cli.js and the
// parse worker dist/bundle/worker.js, which the executable runs when they are there. Why: start-up.
// Node spends most of a small run's start loading modules file by file (undici and ajv are ~150
// CommonJS files: a resolve, stat, read and wrap each); one file loads in a fraction of that
// (README "Performance": start-up). The bundle is built from the same JavaScript the tests run
// through the executable, so it is what they test.
import { build } from 'esbuild';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
await build({
  entryPoints: { cli: join(root, 'dist/src/cli.js'), worker: join(root, 'dist/src/extract/worker.js') },
  outdir: join(root, 'dist/bundle'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // CommonJS dependencies call require() for Node's built-ins; an ES module has none of its own.
  banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
  legalComments: 'none',
  logLevel: 'warning',
});
