/**
 * Start-up benchmark (issue 13: process start to the first API request). Prints figures; not a test.
 *
 *   npm run bench:startup -- [--runs 15] [--bin LABEL=PATH ...] [--forms airbyte,singer]
 *
 * Spawns the executable (as a data engineer runs it: the launcher and its node flags included)
 * with a read whose config points at a loopback HTTP server here, and takes the time from spawn
 * to the moment that server receives the first request (the token request), as bench.ts does for
 * its runs; the server answers 503 and the process is killed there. Both protocols: the Airbyte
 * form (`read --config C --catalog K`, K the configured catalog of prospects) and the Singer form
 * (`--config C --catalog K`, K the Singer catalog of every stream). stdout is a pipe, as in bench.ts.
 * Runs interleave, in each round: `node -e 0` (spawn to exit: Node's own floor at the same moment),
 * then each executable in each form, so every figure shares the machine's state. Prints the median
 * and range of each, and the load average over the run. `--bin LABEL=PATH` (repeatable) compares
 * other builds (default: this checkout's bin/source-pardot-export).
 *
 * NODE_EXTRA_CA_CERTS: Node 20 reads and parses that file's certificates while it starts, before any
 * JavaScript runs (~43 ms for the 144 certificates of a system bundle on the project's machine, whose
 * environment sets it). When it is set, every figure is taken twice per round, with the environment
 * as it is and without that variable, so the connector's own start-up can be told from Node's.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const ROOT = join(import.meta.dirname, '..', '..');
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '15' },
    bin: { type: 'string', multiple: true },
    forms: { type: 'string', default: 'airbyte,singer' },
  },
});
const runs = Number(values.runs);
const bins = (values.bin ?? [`this=${join(ROOT, 'bin', 'source-pardot-export')}`]).map((b) => {
  const i = b.indexOf('=');
  return i < 0 ? { label: b, path: b } : { label: b.slice(0, i), path: b.slice(i + 1) };
});
const forms = values.forms.split(',') as Array<'airbyte' | 'singer'>;

let onRequest: ((at: number) => void) | null = null;
const server = createServer((req, res) => {
  const at = performance.now();
  const f = onRequest;
  onRequest = null;
  f?.(at);
  req.resume();
  res.statusCode = 503;
  res.end();
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

const dir = mkdtempSync(join(tmpdir(), 'spe-startup-'));
const config = join(dir, 'config.json');
writeFileSync(
  config,
  JSON.stringify({
    client_id: 'test-client-id',
    client_secret: 'test-client-secret',
    refresh_token: 'test-refresh-token',
    pardot_business_unit_id: '0Uv000000000001AAA',
    start_date: '2024-01-01T00:00:00Z',
    timezone: 'America/New_York',
    api_base_url: url,
    auth_base_url: url,
  }),
);
const catalogs = { airbyte: join(dir, 'airbyte.json'), singer: join(dir, 'singer.json') };
const first = bins[0]!.path;
writeFileSync(catalogs.airbyte, spawnSync(first, ['catalog', '--streams', 'prospects'], { encoding: 'utf8' }).stdout);
writeFileSync(catalogs.singer, spawnSync(first, ['catalog', '--format', 'singer'], { encoding: 'utf8' }).stdout);

const extraCa = process.env.NODE_EXTRA_CA_CERTS;
const withoutExtraCa = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_EXTRA_CA_CERTS'));
const envs: Array<{ suffix: string; env: NodeJS.ProcessEnv }> = [
  { suffix: '', env: process.env },
  ...(extraCa !== undefined ? [{ suffix: ' (no NODE_EXTRA_CA_CERTS)', env: withoutExtraCa }] : []),
];

/** Spawn to the first request (or to exit, for `node -e 0`), in ms; NaN if no request came. */
function once(cmd: string, args: string[], untilRequest: boolean, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise<number>((resolve) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'], env });
    child.stdout.resume();
    let done = false;
    if (untilRequest) {
      const mine = (at: number) => {
        done = true;
        resolve(at - t0);
        child.kill('SIGKILL');
      };
      onRequest = mine;
      child.on('exit', () => {
        if (onRequest === mine) onRequest = null;
        if (!done) resolve(NaN);
      });
    } else child.on('exit', () => resolve(performance.now() - t0));
  }).then((ms) => new Promise<number>((r) => setTimeout(() => r(ms), 100))); // let the killed process go
}

const results = new Map<string, number[]>();
const add = (k: string, v: number) => results.set(k, [...(results.get(k) ?? []), v]);
const loads: number[] = [];
try {
  for (let i = 0; i < runs; i++) {
    loads.push(loadavg()[0]!);
    for (const { suffix, env } of envs) {
      add(`node -e 0${suffix}`, await once(process.execPath, ['-e', '0'], false, env));
      for (const b of bins) {
        for (const form of forms) {
          const args = form === 'airbyte' ? ['read', '--config', config, '--catalog', catalogs.airbyte] : ['--config', config, '--catalog', catalogs.singer];
          add(`${b.label} ${form}${suffix}`, await once(b.path, args, true, env));
        }
      }
    }
  }
  loads.push(loadavg()[0]!);
} finally {
  server.close();
  rmSync(dir, { recursive: true, force: true });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
};
console.log(`start-up, spawn to the first API request (node -e 0: spawn to exit); ${runs} interleaved rounds, Node ${process.version}`);
if (extraCa !== undefined) console.log(`NODE_EXTRA_CA_CERTS=${extraCa} is set: Node parses its certificates at every start; each figure also without it`);
for (const [k, xs] of results) {
  const ok = xs.filter((x) => !Number.isNaN(x));
  const missed = xs.length - ok.length;
  console.log(
    `${k.padEnd(52)} median ${median(ok).toFixed(0).padStart(4)} ms, range ${Math.min(...ok).toFixed(0)}-${Math.max(...ok).toFixed(0)} ms` +
      (missed > 0 ? ` (${missed} runs made no request)` : ''),
  );
}
console.log(`load average (1 min) over the run: ${Math.min(...loads).toFixed(2)}-${Math.max(...loads).toFixed(2)}`);
