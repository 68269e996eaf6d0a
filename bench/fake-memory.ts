/**
 * The fake Pardot's own memory while it serves a large lazy dataset (moved here from the test
 * suite: a memory figure on a loaded machine is a measurement, not a test). Prints figures.
 *
 *   npm run build && node dist/bench/fake-memory.js [--rows 200000] [--rows-per-file 100000]
 *
 * Runs the BUILT fake (dist/test/fake-pardot) in a child process of its own, so that the figures
 * are the server's alone, not this client's; creates one export of every row, downloads its files
 * here (bytes and lines counted, nothing kept), and prints the child's resident memory growth over
 * the downloads, peak sampled every 5 ms. V8 grows its young generation (up to 3 x 16 MB
 * semi-spaces) under any sustained allocation, retained or not: that headroom is printed apart from
 * the growth that is held. Exits non-zero only when the rows served are not the export's rows.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '200000' }, 'rows-per-file': { type: 'string', default: '100000' } } });
const ROWS = Number(values.rows);
const PER_FILE = Number(values['rows-per-file']);
const FAKE = pathToFileURL(join(import.meta.dirname, '..', 'test', 'fake-pardot', 'index.js')).href;
const BU = '0Uv000000000001AAA';
const NOW = '2024-12-30T00:00:00Z';

const CHILD = `
import { getHeapSpaceStatistics } from 'node:v8';
import { startFakePardot, lazyProspects } from ${JSON.stringify(FAKE)};
const src = lazyProspects(${ROWS}, { seed: 7, start: new Date('2024-01-01T00:00:00Z'), end: new Date('2024-12-29T00:00:00Z') });
const fake = await startFakePardot({ now: new Date('${NOW}'), data: { prospect: src }, rowsPerFile: ${PER_FILE}, pollsUntilComplete: 0 });
const sample = () => {
  const rss = process.memoryUsage().rss;
  const young = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
  return { rss, held: rss - young };
};
let base = sample();
let peak = base;
setInterval(() => { const s = sample(); peak = { rss: Math.max(peak.rss, s.rss), held: Math.max(peak.held, s.held) }; }, 5).unref();
process.on('message', (m) => {
  if (m === 'reset') { base = sample(); peak = base; process.send({ reset: true }); }
  if (m === 'report') process.send({ heldGrowth: peak.held - base.held, rssGrowth: peak.rss - base.rss, rows: fake.stats.rowsServed, count: fake.exports[0]?.rowCount });
  if (m === 'exit') void fake.close().then(() => process.exit(0));
});
process.send({ url: fake.url });
`;

type Msg = Record<string, number | string>;

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-fake-memory-'));
  const script = join(dir, 'child.mjs');
  writeFileSync(script, CHILD);
  const child = fork(script, [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = (): Promise<Msg> =>
    new Promise((resolve, reject) => {
      const onExit = (code: number | null): void => reject(new Error(`fake child exited with ${String(code)}`));
      child.once('exit', onExit);
      child.once('message', (m) => {
        child.off('exit', onExit);
        resolve(m as Msg);
      });
    });
  try {
    const { url } = (await next()) as { url: string };
    const tokenRes = await fetch(`${url}/services/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', client_id: 'test-client-id', client_secret: 'test-client-secret', refresh_token: 'test-refresh-token' }).toString(),
    });
    const tok = ((await tokenRes.json()) as { access_token: string }).access_token;
    const headers = { authorization: `Bearer ${tok}`, 'pardot-business-unit-id': BU };
    const created = (await (
      await fetch(`${url}/api/v5/exports`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ object: 'prospect', procedure: { name: 'filter_by_updated_at', arguments: { updated_after: '2023-12-31T12:00:00Z' } } }),
      })
    ).json()) as { id: number };
    let done: { state: string; resultRefs?: string | string[] } = { state: '' };
    for (let i = 0; i < 50 && done.state !== 'Complete'; i++) done = (await (await fetch(`${url}/api/v5/exports/${created.id}`, { headers })).json()) as typeof done;
    const refs = done.resultRefs === undefined ? [] : Array.isArray(done.resultRefs) ? done.resultRefs : [done.resultRefs];
    child.send('reset');
    await next();
    const t0 = performance.now();
    let lines = 0;
    let bytes = 0;
    for (const ref of refs) {
      await new Promise<void>((resolve, reject) => {
        httpGet(ref, { headers }, (res) => {
          res.on('data', (buf: Buffer) => {
            bytes += buf.length;
            for (let at = buf.indexOf(10); at !== -1; at = buf.indexOf(10, at + 1)) lines++;
          });
          res.on('end', resolve);
          res.on('error', reject);
        }).on('error', reject);
      });
    }
    const seconds = (performance.now() - t0) / 1000;
    child.send('report');
    const r = (await next()) as { heldGrowth: number; rssGrowth: number; rows: number; count: number };
    const mb = (n: number) => `${(n / 1048576).toFixed(1)} MB`;
    console.log(`fake Pardot serving ${r.count} lazy prospect rows (${refs.length} file(s), ${mb(bytes)}, ${lines} lines) in ${seconds.toFixed(1)} s`);
    console.log(`  resident memory growth while serving: ${mb(r.rssGrowth)}, of which held ${mb(r.heldGrowth)} (the rest: young-generation headroom)`);
    if (r.rows !== r.count || lines < r.count + refs.length) {
      console.error(`wrong output: ${r.rows} rows served, ${r.count} in the export, ${lines} lines`);
      return 1;
    }
    return 0;
  } finally {
    if (child.exitCode === null) {
      child.send('exit');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
