/**
 * The throughput / memory / API-economy benchmark (`npm run bench`). Prints figures; not a test.
 *
 *   npm run bench -- [--rows N] [--sizes a,b,c] [--files 10] [--runs 1] [--keep]
 *                    [--baseline-max-rows 1000000] [--no-baseline] [--singer] [--node-arg=--cpu-prof ...]
 *                    [--max-concurrent-requests 2]   (2: one download at a time, parsing inline)
 *
 * For each N: generates N prospect rows with every exportable prospect field (70 columns; quoted
 * text with commas, quotes and line breaks, non-ASCII text, nulls, dates as wall times in the API
 * user's timezone, booleans, integers) into ~10 CSV files ONCE (cached in os.tmpdir(), reused by
 * later runs; --keep leaves them there at the end, otherwise they are removed), serves them from
 * the loopback fake Pardot in its static-file mode (the fake's own renderer is slower than the
 * connector), and runs the BUILT connector (`bin/source-pardot-export read`, full refresh of
 * prospects, one window) with stdout piped into a sink that counts bytes and lines and checks
 * every record's id (no line is held). Peak RSS: the child's VmHWM from /proc every 50 ms, and
 * the connector's own figure (process.resourceUsage().maxRSS) from its summary LOG.
 * Then the plain baseline on the same files: csv-parse (columns: true) + JSON.stringify per row,
 * no connector around it, in this process; and the ratio.
 */
import { spawn } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { parse as csvParse } from 'csv-parse';
import { headerLine, rowRenderer } from '../test/fake-pardot/csv.js';
import { lazyProspects } from '../test/fake-pardot/data.js';
import { FIELDS } from '../test/fake-pardot/fields.js';
import { startFakePardot } from '../test/fake-pardot/server.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'source-pardot-export');
const TZ = 'America/New_York';
const SEED = 7;
const DAY = 86_400_000;
// Rows' dates span 300 days ending yesterday (fixed in the cache's manifest); the connector's
// start_date is the span's start and window_days 365, so one export covers the data. A cache
// older than 60 days is regenerated (the window would no longer reach today in one export).
const SPAN_DAYS = 300;
const ID_BASE = 10_000_000; // lazyProspects: id = 10,000,000 + i
const GEN_VERSION = 1;

const COLUMNS = FIELDS.prospect.filter((f) => f.exportable).map((f) => ({ name: f.name, type: f.type }));

interface Manifest {
  version: number;
  rows: number;
  files: string[];
  fileRows: number[];
  bytes: number;
  columns: number;
  startMs: number;
  endMs: number;
}

// ---------------------------------------------------------------- generation (worker threads)

interface GenJob {
  path: string;
  from: number;
  to: number;
}

function source(startMs: number, endMs: number) {
  return lazyProspects(Number.MAX_SAFE_INTEGER, { seed: SEED, start: new Date(startMs), end: new Date(endMs) });
}

async function generateFiles(jobs: GenJob[], startMs: number, endMs: number): Promise<void> {
  const render = rowRenderer(COLUMNS, TZ, '\n');
  const src = source(startMs, endMs);
  for (const job of jobs) {
    const fh = await open(job.path, 'w');
    try {
      let text = headerLine(COLUMNS.map((c) => c.name), '\n');
      for (let i = job.from; i < job.to; i++) {
        text += render(src.row(i));
        if (text.length > 1 << 20) {
          await fh.write(text);
          text = '';
        }
      }
      await fh.write(text);
    } finally {
      await fh.close();
    }
  }
}

async function ensureData(rows: number, files: number): Promise<Manifest> {
  const dir = join(tmpdir(), `pardot-bench-${rows}-${files}-s${SEED}-v${GEN_VERSION}`);
  const mf = join(dir, 'manifest.json');
  if (existsSync(mf)) {
    const m = JSON.parse(readFileSync(mf, 'utf8')) as Manifest;
    if (m.version === GEN_VERSION && Date.now() - m.endMs < 60 * DAY && m.files.every((f) => existsSync(f))) return m;
  }
  mkdirSync(dir, { recursive: true });
  const endMs = Math.floor(Date.now() / DAY) * DAY - DAY;
  const startMs = endMs - SPAN_DAYS * DAY;
  const per = Math.ceil(rows / files);
  const jobs: GenJob[] = [];
  for (let k = 0; k * per < rows; k++) jobs.push({ path: join(dir, `prospects-${k + 1}.csv`), from: k * per, to: Math.min(rows, (k + 1) * per) });
  const t0 = performance.now();
  const threads = Math.max(1, Math.min(cpus().length, jobs.length));
  await Promise.all(
    Array.from({ length: threads }, (_, w) => {
      const mine = jobs.filter((_, k) => k % threads === w);
      return new Promise<void>((resolve, reject) => {
        const worker = new Worker(new URL(import.meta.url), { workerData: { jobs: mine, startMs, endMs } });
        worker.once('error', reject);
        worker.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`generator exited ${code}`))));
      });
    }),
  );
  let bytes = 0;
  for (const j of jobs) bytes += (await open(j.path, 'r').then(async (fh) => ((await fh.stat()).size + (await fh.close(), 0))));
  const m: Manifest = { version: GEN_VERSION, rows, files: jobs.map((j) => j.path), fileRows: jobs.map((j) => j.to - j.from), bytes, columns: COLUMNS.length, startMs, endMs };
  writeFileSync(mf, JSON.stringify(m));
  console.log(`  generated ${rows.toLocaleString('en-US')} rows in ${jobs.length} files, ${(bytes / 1e6).toFixed(0)} MB, in ${((performance.now() - t0) / 1000).toFixed(1)} s (${dir})`);
  return m;
}

// ---------------------------------------------------------------- the counting sink

/** Counts stdout bytes and lines, checks each RECORD's id once, keeps a few sample records. */
class CountingSink {
  bytes = 0;
  lines = 0;
  records = 0;
  duplicates = 0;
  badLines = 0;
  others: Array<Record<string, any>> = [];
  samples = new Map<number, string>();
  private seen: Uint8Array;
  private carry: Buffer | null = null;
  private static readonly REC = Buffer.from('{"type":"RECORD"');
  private static readonly SREC = Buffer.from('{"type":"RECORD","stream"');
  private static readonly ID = Buffer.from('{"id":');

  constructor(
    private readonly rows: number,
    private readonly sampleEvery: number,
  ) {
    this.seen = new Uint8Array(rows);
  }

  write(chunk: Buffer): void {
    this.bytes += chunk.length;
    let buf = chunk;
    if (this.carry) {
      buf = Buffer.concat([this.carry, chunk]);
      this.carry = null;
    }
    let p = 0;
    for (;;) {
      const nl = buf.indexOf(10, p);
      if (nl === -1) break;
      this.line(buf, p, nl);
      p = nl + 1;
    }
    if (p < buf.length) this.carry = Buffer.from(buf.subarray(p));
  }

  end(): void {
    if (this.carry && this.carry.length > 0) {
      this.line(this.carry, 0, this.carry.length);
      this.carry = null;
    }
  }

  private line(b: Buffer, s: number, e: number): void {
    this.lines++;
    if (b[s + 2] === 0x74 && (b.compare(CountingSink.REC, 0, 16, s, s + 16) === 0 || b.compare(CountingSink.SREC, 0, 25, s, s + 25) === 0)) {
      this.records++;
      const at = b.indexOf(CountingSink.ID, s);
      if (at === -1 || at > e) {
        this.badLines++;
        return;
      }
      let id = 0;
      for (let j = at + 6; j < e; j++) {
        const c = b[j]!;
        if (c < 0x30 || c > 0x39) break;
        id = id * 10 + (c - 0x30);
      }
      const i = id - ID_BASE;
      if (i < 0 || i >= this.rows) {
        this.badLines++;
        return;
      }
      if (this.seen[i]) this.duplicates++;
      this.seen[i] = 1;
      if (i % this.sampleEvery === 3) this.samples.set(i, b.toString('utf8', s, e));
      return;
    }
    try {
      this.others.push(JSON.parse(b.toString('utf8', s, e)) as Record<string, any>);
    } catch {
      this.badLines++;
    }
  }

  missing(): number {
    let n = 0;
    for (let i = 0; i < this.rows; i++) if (!this.seen[i]) n++;
    return n;
  }
}

// ---------------------------------------------------------------- one connector run

interface RunResult {
  rows: number;
  seconds: number;
  /** From spawn to the first RECORD line: start-up, token, export creation, polling, first bytes. */
  firstRecordSeconds: number;
  connectorSeconds: number | null;
  peakRssMb: number;
  selfReportedRssMb: number | null;
  apiCalls: Record<string, number>;
  fakeCalls: Record<string, number>;
  stdoutBytes: number;
  lines: number;
  problems: string[];
}

function readHwmKb(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function shebangFlags(): string[] {
  const first = readFileSync(BIN, 'utf8').split('\n', 1)[0] ?? '';
  const m = /^#!.*?\bnode\b(.*)$/.exec(first);
  return m ? m[1]!.trim().split(/\s+/).filter(Boolean) : [];
}

async function runConnector(m: Manifest, singer: boolean, nodeArgs: string[], maxConcurrentRequests?: number): Promise<RunResult> {
  const fake = await startFakePardot({
    userTimezone: TZ,
    pollsUntilComplete: 1,
    staticResults: { prospect: { files: m.files, rowCount: m.rows, startMs: m.startMs, endMs: m.endMs } },
  });
  const dir = join(tmpdir(), `pardot-bench-run-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  try {
    const config = {
      client_id: 'test-client-id',
      client_secret: 'test-client-secret',
      refresh_token: 'test-refresh-token',
      pardot_business_unit_id: '0Uv000000000001AAA',
      start_date: new Date(m.startMs).toISOString(),
      timezone: TZ,
      window_days: 365,
      api_base_url: fake.url,
      auth_base_url: fake.url,
      poll_interval_seconds: 0.05,
      poll_max_interval_seconds: 0.2,
      // Bounds the per-window call estimate (polls up to this deadline) the API call ceiling uses.
      export_timeout_minutes: 2,
      ...(maxConcurrentRequests === undefined ? {} : { max_concurrent_requests: maxConcurrentRequests }),
    };
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    // The stream's schema as `discover` gives it (all 70 fields).
    const disc = await new Promise<string>((resolve, reject) => {
      const c = spawn(process.execPath, [BIN, 'discover', '--config', join(dir, 'config.json')], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      c.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      c.on('error', reject);
      c.on('close', () => resolve(out));
    });
    const catalogMsg = disc.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>).find((x) => x.type === 'CATALOG');
    const stream = (catalogMsg?.catalog.streams as Array<Record<string, any>>).find((s) => s.name === 'prospects');
    if (!stream) throw new Error('discover gave no prospects stream');
    let args: string[];
    if (singer) {
      const props = Object.keys(stream.json_schema.properties as object);
      const singerCatalog = {
        streams: [
          {
            tap_stream_id: 'prospects',
            stream: 'prospects',
            schema: stream.json_schema,
            metadata: [
              { breadcrumb: [], metadata: { selected: true, 'replication-method': 'FULL_TABLE' } },
              ...props.map((p) => ({ breadcrumb: ['properties', p], metadata: { inclusion: 'available', selected: true } })),
            ],
          },
        ],
      };
      writeFileSync(join(dir, 'catalog.json'), JSON.stringify(singerCatalog));
      args = ['--config', join(dir, 'config.json'), '--catalog', join(dir, 'catalog.json')];
    } else {
      writeFileSync(join(dir, 'catalog.json'), JSON.stringify({ streams: [{ stream, sync_mode: 'full_refresh', destination_sync_mode: 'overwrite' }] }));
      args = ['read', '--config', join(dir, 'config.json'), '--catalog', join(dir, 'catalog.json')];
    }

    const sink = new CountingSink(m.rows, Math.max(1, Math.floor(m.rows / 7)));
    const t0 = performance.now();
    // The node flags of the executable's `#!/usr/bin/env -S node ...` line, so that this node runs
    // the connector exactly as `./bin/source-pardot-export` would.
    const child = spawn(process.execPath, [...shebangFlags(), ...nodeArgs, BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-20_000)));
    let hwm = 0;
    const pid = child.pid!;
    const timer = setInterval(() => (hwm = Math.max(hwm, readHwmKb(pid))), 50);
    let firstRecordAt = 0;
    child.stdout.on('data', (c: Buffer) => {
      sink.write(c);
      if (firstRecordAt === 0 && sink.records > 0) firstRecordAt = performance.now();
      // Just before the end, the child's VmHWM: read on every chunk is too costly; the timer does it.
    });
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (c) => {
        hwm = Math.max(hwm, readHwmKb(pid));
        resolve(c);
      });
    });
    await new Promise<void>((r) => (child.stdout.readableEnded ? r() : child.stdout.once('end', () => r())));
    clearInterval(timer);
    sink.end();
    const seconds = (performance.now() - t0) / 1000;

    const problems: string[] = [];
    if (code !== 0) problems.push(`exit code ${code}: ${stderr.slice(-2000)}`);
    const summaryText: string | undefined = singer
      ? /Sync summary[\s\S]*$/.exec(stderr)?.[0]
      : sink.others.filter((x) => x.type === 'LOG' && String(x.log.message).startsWith('Sync summary')).at(-1)?.log.message;
    const apiCalls: Record<string, number> = {};
    let selfRss: number | null = null;
    let connectorSeconds: number | null = null;
    if (summaryText) {
      const callsText = /API calls: ([^.]*?)(?:\.|\)|$)/m.exec(summaryText)?.[1] ?? '';
      for (const mm of callsText.matchAll(/([a-z]+) (\d+)/g)) apiCalls[mm[1]!] = Number(mm[2]);
      const r = /Peak RSS: ([\d.]+) MB/.exec(summaryText);
      if (r) selfRss = Number(r[1]);
      const s = /Sync summary(?: \(|: )([\d.]+) s/.exec(summaryText);
      if (s) connectorSeconds = Number(s[1]);
    } else problems.push('no Sync summary found');
    // Correctness of the run.
    const errors = sink.others.filter((x) => x.type === 'TRACE' && x.trace.type === 'ERROR');
    if (errors.length) problems.push(`error trace: ${errors[0]!.trace.error.message}`);
    if (sink.records !== m.rows) problems.push(`records ${sink.records} != rows ${m.rows}`);
    if (sink.lines !== sink.records + sink.others.length) problems.push(`lines ${sink.lines} != records + other messages`);
    if (sink.duplicates) problems.push(`${sink.duplicates} duplicate ids`);
    if (sink.badLines) problems.push(`${sink.badLines} unreadable lines`);
    const missing = sink.missing();
    if (missing) problems.push(`${missing} ids missing`);
    problems.push(...spotCheck(sink.samples, singer, m));
    return {
      rows: sink.records,
      seconds,
      firstRecordSeconds: firstRecordAt === 0 ? seconds : (firstRecordAt - t0) / 1000,
      connectorSeconds,
      peakRssMb: hwm / 1024,
      selfReportedRssMb: selfRss,
      apiCalls,
      fakeCalls: { ...fake.stats.calls },
      stdoutBytes: sink.bytes,
      lines: sink.lines,
      problems,
    };
  } finally {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A few records compared field by field with the generator's rows. */
function spotCheck(samples: Map<number, string>, singer: boolean, m: Manifest): string[] {
  const out: string[] = [];
  if (samples.size === 0) return ['no sample records'];
  const src = source(m.startMs, m.endMs);
  for (const [i, line] of samples) {
    const msg = JSON.parse(line) as Record<string, any>;
    const data = (singer ? msg.record : msg.record.data) as Record<string, unknown>;
    const row = src.row(i);
    for (const c of COLUMNS) {
      const want = row[c.name];
      const got = data[c.name];
      let ok: boolean;
      if (want === null || want === undefined) ok = got === null;
      else if (want instanceof Date) ok = typeof got === 'string' && Date.parse(got) === want.getTime() && /[+-]\d\d:\d\d$/.test(got);
      else ok = got === want;
      if (!ok) out.push(`row ${i} field ${c.name}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
    }
    if (Object.keys(data).length !== COLUMNS.length) out.push(`row ${i}: ${Object.keys(data).length} fields, want ${COLUMNS.length}`);
  }
  return out.slice(0, 10);
}

// ---------------------------------------------------------------- the plain baseline

async function baseline(m: Manifest, maxRows: number): Promise<{ rows: number; bytes: number; seconds: number }> {
  let rows = 0;
  let bytes = 0;
  let outBytes = 0;
  const t0 = performance.now();
  for (let k = 0; k < m.files.length && rows < maxRows; k++) {
    const parser = createReadStream(m.files[k]!, { highWaterMark: 64 * 1024 }).pipe(csvParse({ columns: true }));
    for await (const rec of parser) {
      outBytes += JSON.stringify(rec).length;
      rows++;
    }
    bytes += (await open(m.files[k]!, 'r').then(async (fh) => ((await fh.stat()).size + (await fh.close(), 0))));
  }
  if (outBytes < 0) console.log(outBytes); // keep the work observable
  return { rows, bytes, seconds: (performance.now() - t0) / 1000 };
}

// ---------------------------------------------------------------- main

const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      rows: { type: 'string' },
      sizes: { type: 'string' },
      files: { type: 'string', default: '10' },
      runs: { type: 'string', default: '1' },
      keep: { type: 'boolean', default: false },
      'baseline-max-rows': { type: 'string', default: '1000000' },
      'no-baseline': { type: 'boolean', default: false },
      singer: { type: 'boolean', default: false },
      'node-arg': { type: 'string', multiple: true, default: [] },
      // The connector's max_concurrent_requests (default 3): 2 leaves one download at a time,
      // so parsing runs inline on the main thread, as with a single usable CPU.
      'max-concurrent-requests': { type: 'string' },
    },
    strict: true,
  });
  const sizes = (values.sizes ?? values.rows ?? '1000000').split(',').map((s) => Number(s.replace(/[_,]/g, '')));
  if (sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('--rows / --sizes: positive integers');
  const files = Number(values.files);
  const runs = Math.max(1, Number(values.runs));
  console.log(
    `source-pardot-export benchmark: Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ` +
      `load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}, protocol ${values.singer ? 'Singer' : 'Airbyte'}`,
  );
  const table: string[] = [];
  let failed = false;
  for (const n of sizes) {
    console.log(`\nN = ${fmt(n)}`);
    const m = await ensureData(n, files);
    let best: RunResult | null = null;
    let worstRss = 0;
    for (let r = 0; r < runs; r++) {
      const load = loadavg()[0]!.toFixed(2);
      const mcr = values['max-concurrent-requests'];
      const res = await runConnector(m, values.singer, values['node-arg'], mcr === undefined ? undefined : Number(mcr));
      console.log(
        `  run ${r + 1}: ${fmt(res.rows)} records in ${res.seconds.toFixed(2)} s = ${fmt(res.rows / res.seconds)} records/s, ` +
          `${fmt(m.bytes / 1e6 / res.seconds, 1)} MB/s CSV in, ${fmt(res.stdoutBytes / 1e6 / res.seconds, 1)} MB/s out, ` +
          `peak RSS ${res.peakRssMb.toFixed(1)} MB (self-reported ${res.selfReportedRssMb ?? '?'} MB), load before ${load}; ` +
          `first record after ${res.firstRecordSeconds.toFixed(2)} s, ${fmt(res.rows / Math.max(res.seconds - res.firstRecordSeconds, 1e-3))} records/s from there` +
          (res.problems.length ? `\n  PROBLEMS: ${res.problems.join('; ')}` : ''),
      );
      if (res.problems.length) failed = true;
      if (!best || res.seconds < best.seconds) best = res;
      worstRss = Math.max(worstRss, res.peakRssMb);
    }
    // Throughput: the best run; peak RSS: the worst run.
    const b = { ...best!, peakRssMb: worstRss };
    const calls = Object.entries(b.apiCalls)
      .filter(([, v]) => v > 0)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    const fakeTotal = Object.values(b.fakeCalls).reduce((a, x) => a + x, 0);
    console.log(`  API calls (connector summary): ${calls}; seen by the fake: ${fakeTotal}`);
    let ratio = '';
    if (!values['no-baseline']) {
      const bl = await baseline(m, Number(values['baseline-max-rows']));
      const blRate = bl.rows / bl.seconds;
      const rate = b.rows / b.seconds;
      ratio = `${(rate / blRate).toFixed(1)}x`;
      console.log(
        `  baseline (csv-parse columns:true + JSON.stringify, ${bl.rows < n ? `first ${fmt(bl.rows)} rows` : 'all rows'}): ` +
          `${bl.seconds.toFixed(2)} s = ${fmt(blRate)} rows/s, ${fmt(bl.bytes / 1e6 / bl.seconds, 1)} MB/s; connector / baseline = ${ratio}`,
      );
    }
    table.push(
      `| ${fmt(n)} | ${fmt(m.bytes / 1e6)} | ${b.seconds.toFixed(1)} | ${fmt(b.rows / b.seconds)} | ${fmt(b.rows / Math.max(b.seconds - b.firstRecordSeconds, 1e-3))} | ${fmt(m.bytes / 1e6 / b.seconds, 1)} | ${b.peakRssMb.toFixed(0)} | ${calls} | ${ratio || 'n/a'} |`,
    );
    if (!values.keep) rmSync(join(m.files[0]!, '..'), { recursive: true, force: true });
  }
  console.log(
    `\n(records/s and seconds: best of ${runs} run(s), wall time from spawn to exit; "after 1st record": rows over the time from the first RECORD line to exit; peak RSS: worst run)`,
  );
  console.log(`| N rows | CSV MB | seconds | records/s | records/s after 1st record | MB/s CSV in | peak RSS MB | API calls | vs baseline |`);
  console.log(`|---:|---:|---:|---:|---:|---:|---:|---|---:|`);
  for (const l of table) console.log(l);
  console.log(`\nload average after: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  if (failed) {
    console.log('\nSOME RUNS HAD PROBLEMS (see above).');
    process.exitCode = 1;
  }
}

if (isMainThread) {
  main().catch((e: unknown) => {
    console.error(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exitCode = 1;
  });
} else {
  const wd = workerData as { jobs: GenJob[]; startMs: number; endMs: number };
  generateFiles(wd.jobs, wd.startMs, wd.endMs)
    .then(() => parentPort?.close())
    .catch((e: unknown) => {
      throw e;
    });
}
