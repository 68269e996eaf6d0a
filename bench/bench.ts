/**
 * The throughput / memory / start-up / API-economy benchmark (`npm run bench`). Prints figures;
 * not a test.
 *
 *   npm run bench -- [--profile narrow,wide] [--rows N | --sizes a,b,c] [--runs 1] [--keep]
 *                    [--peers python,miller | --no-peers] [--no-baseline] [--baseline-max-rows 1000000]
 *                    [--singer] [--node-arg=--cpu-prof ...] [--max-concurrent-requests 2] [--bin PATH]
 *
 * Two data profiles (both through the same connector code; nothing in it knows either):
 *   - narrow: today's (issue 6) prospects, lazyProspects: 70 columns, ~575 bytes a row, dates in
 *     America/New_York, 10 files;
 *   - wide: issue 13's text-heavy prospects (bench/wide.ts): 70 columns, ~790 bytes a row, ~20 %
 *     empty cells, half the text cells quoted for commas, ~5 % with doubled quotes, line breaks,
 *     emoji or CJK, dates in America/Los_Angeles, 6 files.
 * For each profile and N, the rows are generated into CSV files ONCE (cached in os.tmpdir(); --keep
 * leaves them there at the end, otherwise they are removed), served by the loopback fake Pardot in
 * its static-file mode (the fake's own renderer is slower than the connector), and each run (the
 * runs interleave the programs, so they share the machine's state of the moment):
 *   1. the BUILT connector, `bin/source-pardot-export read` run as an executable (its launcher and
 *      node flags included), full refresh of prospects in one window;
 *   2. the Python peer, bench/peer.py: csv.DictReader + per-type conversion + json.dumps of a
 *      RECORD message per row, over the same files (python3; "not installed" when absent);
 *   3. Miller, `mlr --icsv --ojsonl cat` over the same files ("not installed" when absent).
 * Every program's stdout goes to a counting sink in its OWN process (bench/sink.ts), which checks
 * the connector's and the Python peer's records (each id once, none missing; a few connector
 * records compared field by field with the generator) and counts Miller's lines. Times are wall
 * time from spawn to the program's exit. Peak RSS: the program's VmHWM from /proc every 50 ms (and
 * the connector's own figure from its summary LOG). Start-up: spawn to the first request the fake
 * API receives (the token request). The fake answers the export's first poll "Processing" and the
 * second "Complete" (poll interval 0.05 s): that wait is in the connector's time.
 * Then the in-process csv-parse (columns: true) + JSON.stringify baseline (as before issue 13).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, open as openFd, createReadStream, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { parse as csvParse } from 'csv-parse';
import { headerLine, rowRenderer, type Row } from '../test/fake-pardot/csv.js';
import { lazyProspects } from '../test/fake-pardot/data.js';
import { FIELDS } from '../test/fake-pardot/fields.js';
import { startFakePardot } from '../test/fake-pardot/server.js';
import type { SinkSummary } from './sink.js';
import { WIDE_TZ, wideProspects } from './wide.js';

const ROOT = join(import.meta.dirname, '..', '..');
let BIN = join(ROOT, 'bin', 'source-pardot-export');
const SINK = join(import.meta.dirname, 'sink.js');
const PEER_PY = join(ROOT, 'bench', 'peer.py');
const SEED = 7;
const DAY = 86_400_000;
// Rows' dates span 300 days ending yesterday (fixed in the cache's manifest); the connector's
// start_date is the span's start and window_days 365, so one export covers the data. A cache
// older than 60 days is regenerated (the window would no longer reach today in one export).
const SPAN_DAYS = 300;
const ID_BASE = 10_000_000; // both generators: id = 10,000,000 + i

const COLUMNS = FIELDS.prospect.filter((f) => f.exportable).map((f) => ({ name: f.name, type: f.type }));

type ProfileName = 'narrow' | 'wide';
interface Profile {
  name: ProfileName;
  tz: string;
  files: number;
  version: number;
  source(startMs: number, endMs: number): { row(i: number): Row };
}
const PROFILES: Record<ProfileName, Profile> = {
  narrow: {
    name: 'narrow',
    tz: 'America/New_York',
    files: 10,
    version: 1,
    source: (startMs, endMs) => lazyProspects(Number.MAX_SAFE_INTEGER, { seed: SEED, start: new Date(startMs), end: new Date(endMs) }),
  },
  wide: { name: 'wide', tz: WIDE_TZ, files: 6, version: 1, source: (startMs, endMs) => wideProspects(SEED, startMs, endMs) },
};

interface Manifest {
  profile: ProfileName;
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

async function generateFiles(profile: Profile, jobs: GenJob[], startMs: number, endMs: number): Promise<void> {
  const render = rowRenderer(COLUMNS, profile.tz, '\n');
  const src = profile.source(startMs, endMs);
  for (const job of jobs) await writeCsvFile(job.path, headerLine(COLUMNS.map((c) => c.name), '\n'), job.from, job.to, (i) => render(src.row(i)));
}

/** Writes a CSV file: the header line, then rows [from, to) as `row(i)` renders them, 1 MB at a time. */
export async function writeCsvFile(path: string, header: string, from: number, to: number, row: (i: number) => string): Promise<void> {
  const fh = await open(path, 'w');
  try {
    let text = header;
    for (let i = from; i < to; i++) {
      text += row(i);
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

async function ensureData(profile: Profile, rows: number): Promise<Manifest> {
  const files = profile.files;
  // The narrow profile keeps its cache directory name from before issue 13.
  const dir = join(tmpdir(), `pardot-bench-${profile.name === 'narrow' ? '' : 'wide-'}${rows}-${files}-s${SEED}-v${profile.version}`);
  const mf = join(dir, 'manifest.json');
  if (existsSync(mf)) {
    const m = JSON.parse(readFileSync(mf, 'utf8')) as Manifest;
    if (m.version === profile.version && Date.now() - m.endMs < 60 * DAY && m.files.every((f) => existsSync(f))) return { ...m, profile: profile.name };
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
        const worker = new Worker(new URL(import.meta.url), { workerData: { benchGen: true, profile: profile.name, jobs: mine, startMs, endMs } });
        worker.once('error', reject);
        worker.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`generator exited ${code}`))));
      });
    }),
  );
  let bytes = 0;
  for (const j of jobs) bytes += (await stat(j.path)).size;
  const m: Manifest = { profile: profile.name, version: profile.version, rows, files: jobs.map((j) => j.path), fileRows: jobs.map((j) => j.to - j.from), bytes, columns: COLUMNS.length, startMs, endMs };
  writeFileSync(mf, JSON.stringify(m));
  console.log(`  generated ${fmt(rows)} ${profile.name} rows in ${jobs.length} files, ${(bytes / 1e6).toFixed(0)} MB, in ${((performance.now() - t0) / 1000).toFixed(1)} s (${dir})`);
  return m;
}

// ---------------------------------------------------------------- running a program into the sink

function readHwmKb(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** CPU seconds (user + system) of each thread of `pid`, by thread id; empty once it is gone. */
function threadCpu(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const t of tids) {
    const cpu = statCpu(`/proc/${pid}/task/${t}/stat`);
    if (cpu !== null) out.set(Number(t), cpu);
  }
  return out;
}

/** utime + stime of a /proc stat file, in seconds (clock ticks of 1/100 s). */
function statCpu(path: string): number | null {
  try {
    const text = readFileSync(path, 'utf8');
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return null;
  }
}

/**
 * Where a program's CPU went, from the last /proc sample before it exited (up to 50 ms short):
 * its main thread (tid = pid), its other threads busiest first; and the sink process's own figure.
 */
export interface CpuSplit {
  main: number;
  others: number[];
  sink: number;
}

export interface Measured {
  cpu: CpuSplit;
  code: number | null;
  /** Wall-clock ms at spawn. */
  spawnedAtMs: number;
  seconds: number;
  peakRssMb: number;
  stderr: string;
  sink: SinkSummary;
}

/**
 * Spawns `cmd args` with its stdout going straight into a sink process (the pipe is between the
 * two children: this process neither reads nor copies the output), samples its VmHWM, and waits
 * for both. `seconds` is spawn to the program's exit.
 */
export async function measure(
  cmd: string,
  args: string[],
  mode: 'records' | 'lines',
  rows: number,
  // bench/custom.ts: the child's environment (its TMPDIR), and a hook called at each 50 ms sample.
  opts: { env?: NodeJS.ProcessEnv; onSample?: (pid: number) => void } = {},
): Promise<Measured> {
  // A real pipe between the two, as a shell's `program | sink` makes (child_process's 'pipe' is a
  // UNIX socket pair): a FIFO opened at both ends here, handed to the children, closed here.
  const fifo = join(tmpdir(), `pardot-bench-fifo-${process.pid}`);
  rmSync(fifo, { force: true });
  let ends: { r: number; w: number } | null = null;
  if (spawnSync('mkfifo', [fifo]).status === 0) {
    // The read end's open blocks (in the thread pool) until the write end opens.
    const r = new Promise<number>((resolve, reject) => openFd(fifo, 'r', (e, fd) => (e ? reject(e) : resolve(fd))));
    const w = openSync(fifo, 'w');
    ends = { r: await r, w };
    rmSync(fifo, { force: true });
  }
  const sink = spawn(process.execPath, [SINK, mode, String(rows), String(Math.max(1, Math.floor(rows / 7)))], {
    stdio: [ends === null ? 'pipe' : ends.r, 'pipe', 'inherit'],
  });
  let sinkOut = '';
  sink.stdout!.setEncoding('utf8').on('data', (d: string) => (sinkOut += d));
  const sinkClosed = new Promise<number | null>((resolve, reject) => {
    sink.on('error', reject);
    sink.on('close', (c) => resolve(c));
  });
  const spawnedAtMs = performance.timeOrigin + performance.now();
  const t0 = performance.now();
  let child: ChildProcess;
  try {
    child = spawn(cmd, args, { stdio: ['ignore', ends === null ? sink.stdin! : ends.w, 'pipe'], ...(opts.env ? { env: opts.env } : {}) });
  } finally {
    // The child holds the pipe's write end now; the sink sees EOF at its exit.
    if (ends === null) sink.stdin!.destroy();
    else {
      closeSync(ends.w);
      closeSync(ends.r);
    }
  }
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-20_000)));
  let hwm = 0;
  const pid = child.pid;
  const threads = new Map<number, number>();
  const sample = (): void => {
    if (pid === undefined) return;
    hwm = Math.max(hwm, readHwmKb(pid));
    for (const [t, c] of threadCpu(pid)) threads.set(t, c);
    opts.onSample?.(pid);
  };
  const timer = pid === undefined ? null : setInterval(sample, 50);
  const code = await new Promise<number | null>((resolve) => {
    child.on('error', (e) => {
      stderr += String(e);
      resolve(-1);
    });
    child.on('exit', (c) => {
      if (pid !== undefined) hwm = Math.max(hwm, readHwmKb(pid));
      resolve(c);
    });
  });
  const seconds = (performance.now() - t0) / 1000;
  if (timer) clearInterval(timer);
  await sinkClosed;
  const cpu: CpuSplit = {
    main: threads.get(pid ?? -1) ?? 0,
    others: [...threads].filter(([t]) => t !== pid).map(([, c]) => c).sort((a, b) => b - a),
    sink: NaN,
  };
  let summary: SinkSummary;
  try {
    summary = JSON.parse(sinkOut) as SinkSummary;
  } catch {
    throw new Error(`the sink gave no summary: ${sinkOut.slice(0, 200)}`);
  }
  cpu.sink = summary.cpuSeconds;
  return { cpu, code, spawnedAtMs, seconds, peakRssMb: hwm / 1024, stderr, sink: summary };
}

function installed(cmd: string, args: string[]): string | null {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? (r.stdout || r.stderr).trim().split('\n')[0]! : null;
}

// ---------------------------------------------------------------- one connector run

interface RunResult {
  rows: number;
  seconds: number;
  /** Spawn to the first request the fake receives. */
  startupSeconds: number | null;
  /** Spawn to the first RECORD line the sink reads. */
  firstRecordSeconds: number;
  peakRssMb: number;
  selfReportedRssMb: number | null;
  apiCalls: Record<string, number>;
  fakeCalls: Record<string, number>;
  stdoutBytes: number;
  cpu: CpuSplit;
  /** CPU seconds of this process (the fake API serving the files) during the run. */
  fakeCpu: number;
  problems: string[];
}

/** The executable's own node flags (an older launcher's `exec node FLAGS "$0"` line, or its #! line; today none), for --node-arg runs. */
function launcherFlags(): string[] {
  const text = readFileSync(BIN, 'utf8');
  const m = /exec node((?: --?[\w-]+(?:=\S+)?)*) "\$0"/.exec(text) ?? /^#!.*?\bnode\b(.*)$/m.exec(text.split('\n', 1)[0] ?? '');
  return m ? m[1]!.trim().split(/\s+/).filter(Boolean) : [];
}

async function writeInputs(dir: string, m: Manifest, singer: boolean, maxConcurrentRequests: number | undefined, fakeUrl: string): Promise<string[]> {
  const profile = PROFILES[m.profile];
  const config = {
    ...benchConfig(m.startMs, profile.tz, fakeUrl),
    ...(maxConcurrentRequests === undefined ? {} : { max_concurrent_requests: maxConcurrentRequests }),
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  // The stream's schema as `discover` gives it (all 68 fields).
  const stream = await discoverProspects(BIN, join(dir, 'config.json'));
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
    return ['--config', join(dir, 'config.json'), '--catalog', join(dir, 'catalog.json')];
  }
  writeFileSync(join(dir, 'catalog.json'), JSON.stringify({ streams: [{ stream, sync_mode: 'full_refresh', destination_sync_mode: 'overwrite' }] }));
  return ['read', '--config', join(dir, 'config.json'), '--catalog', join(dir, 'catalog.json')];
}

/** The connector's config against the loopback fake: one window from startMs, fast polls. */
export function benchConfig(startMs: number, timezone: string, fakeUrl: string): Record<string, unknown> {
  return {
    client_id: 'test-client-id',
    client_secret: 'test-client-secret',
    refresh_token: 'test-refresh-token',
    pardot_business_unit_id: '0Uv000000000001AAA',
    start_date: new Date(startMs).toISOString(),
    timezone,
    window_days: 365,
    api_base_url: fakeUrl,
    auth_base_url: fakeUrl,
    poll_interval_seconds: 0.05,
    poll_max_interval_seconds: 0.2,
    // Bounds the per-window call estimate (polls up to this deadline) the API call ceiling uses.
    export_timeout_minutes: 2,
  };
}

/**
 * The prospects stream as `discover` gives it against the fake. Run asynchronously: since issue 11
 * discover reads the custom fields from the fake, which answers from this process's event loop
 * (spawnSync would wait for ever).
 */
export async function discoverProspects(bin: string, configPath: string): Promise<Record<string, any>> {
  const disc = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
    const c = spawn(bin, ['discover', '--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    c.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    c.on('error', reject);
    c.on('close', () => resolve({ stdout, stderr }));
  });
  const catalogMsg = disc.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, any>)
    .find((x) => x.type === 'CATALOG');
  const stream = (catalogMsg?.catalog.streams as Array<Record<string, any>> | undefined)?.find((s) => s.name === 'prospects');
  if (!stream) throw new Error(`discover gave no prospects stream: ${disc.stderr}`);
  return stream;
}

async function runConnector(m: Manifest, singer: boolean, nodeArgs: string[], maxConcurrentRequests?: number): Promise<RunResult> {
  const fake = await startFakePardot({
    userTimezone: PROFILES[m.profile].tz,
    pollsUntilComplete: 1,
    staticResults: { prospect: { files: m.files, rowCount: m.rows, startMs: m.startMs, endMs: m.endMs } },
  });
  const dir = join(tmpdir(), `pardot-bench-run-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  try {
    const args = await writeInputs(dir, m, singer, maxConcurrentRequests, fake.url);
    // As a data engineer runs it: the executable itself (with --node-arg: node, the launcher's
    // flags, those args, then the same file).
    const [cmd, argv] = nodeArgs.length === 0 ? [BIN, args] : [process.execPath, [...launcherFlags(), ...nodeArgs, BIN, ...args]];
    // discover (in writeInputs) also reached the fake: start-up is to the read's first request.
    const logFrom = fake.log.length;
    const c0 = process.cpuUsage();
    const run = await measure(cmd, argv, 'records', m.rows);
    const c1 = process.cpuUsage(c0);
    const sink = run.sink;
    const firstRequestAt = fake.log.length > logFrom ? fake.log[logFrom]!.at : null;

    const problems: string[] = [];
    if (run.code !== 0) problems.push(`exit code ${run.code}: ${run.stderr.slice(-2000)}`);
    const summaryText: string | undefined = singer
      ? /Sync summary[\s\S]*$/.exec(run.stderr)?.[0]
      : sink.others.filter((x) => x.type === 'LOG' && String(x.log.message).startsWith('Sync summary')).at(-1)?.log.message;
    const apiCalls: Record<string, number> = {};
    let selfRss: number | null = null;
    if (summaryText) {
      const callsText = /API calls: ([^.]*?)(?:\.|\)|$)/m.exec(summaryText)?.[1] ?? '';
      for (const mm of callsText.matchAll(/([a-z]+) (\d+)/g)) apiCalls[mm[1]!] = Number(mm[2]);
      const r = /Peak RSS: ([\d.]+) MB/.exec(summaryText);
      if (r) selfRss = Number(r[1]);
    } else problems.push('no Sync summary found');
    const errors = sink.others.filter((x) => x.type === 'TRACE' && x.trace.type === 'ERROR');
    if (errors.length) problems.push(`error trace: ${errors[0]!.trace.error.message}`);
    problems.push(...checkSink(sink, m.rows, true));
    problems.push(...spotCheck(sink.samples, singer, m));
    return {
      rows: sink.records,
      seconds: run.seconds,
      startupSeconds: firstRequestAt === null ? null : (firstRequestAt - run.spawnedAtMs) / 1000,
      firstRecordSeconds: sink.firstRecordAtMs === 0 ? run.seconds : (sink.firstRecordAtMs - run.spawnedAtMs) / 1000,
      peakRssMb: run.peakRssMb,
      selfReportedRssMb: selfRss,
      apiCalls,
      fakeCalls: { ...fake.stats.calls },
      stdoutBytes: sink.bytes,
      cpu: run.cpu,
      fakeCpu: (c1.user + c1.system) / 1e6,
      problems,
    };
  } finally {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function checkSink(s: SinkSummary, rows: number, records: boolean): string[] {
  const p: string[] = [];
  if (records) {
    if (s.records !== rows) p.push(`records ${s.records} != rows ${rows}`);
    if (s.lines !== s.records + s.others.length) p.push(`lines ${s.lines} != records + other messages`);
    if (s.duplicates) p.push(`${s.duplicates} duplicate ids`);
    if (s.missing) p.push(`${s.missing} ids missing`);
    if (s.badLines) p.push(`${s.badLines} unreadable lines`);
  } else if (s.lines !== rows) p.push(`lines ${s.lines} != rows ${rows}`);
  return p;
}

/** A few records compared field by field with the generator's rows. */
function spotCheck(samples: Array<[number, string]>, singer: boolean, m: Manifest): string[] {
  const out: string[] = [];
  if (samples.length === 0) return ['no sample records'];
  const src = PROFILES[m.profile].source(m.startMs, m.endMs);
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

// ---------------------------------------------------------------- the peers

interface PeerResult {
  rows: number;
  seconds: number;
  peakRssMb: number;
  cpu: CpuSplit;
  problems: string[];
}

type PeerName = 'python' | 'miller';

async function runPeer(peer: PeerName, m: Manifest, typesPath: string): Promise<PeerResult> {
  const run =
    peer === 'python'
      ? await measure('python3', [PEER_PY, typesPath, PROFILES[m.profile].tz, 'prospects', ...m.files], 'records', m.rows)
      : await measure('mlr', ['--icsv', '--ojsonl', 'cat', ...m.files], 'lines', m.rows);
  const problems: string[] = [];
  if (run.code !== 0) problems.push(`exit code ${run.code}: ${run.stderr.slice(-1000)}`);
  problems.push(...checkSink(run.sink, m.rows, peer === 'python'));
  return { rows: peer === 'python' ? run.sink.records : run.sink.lines, seconds: run.seconds, peakRssMb: run.peakRssMb, cpu: run.cpu, problems };
}

/** The in-process csv-parse + JSON.stringify baseline (no typing, no process of its own). */
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
    bytes += (await stat(m.files[k]!)).size;
  }
  if (outBytes < 0) console.log(outBytes); // keep the work observable
  return { rows, bytes, seconds: (performance.now() - t0) / 1000 };
}

// ---------------------------------------------------------------- main

const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
/** "main 3.1, threads 4.2+4.0+0.3 (busiest first), sink 1.2". */
const cpuText = (c: CpuSplit): string => {
  const top = c.others.filter((x) => x >= 0.05);
  const rest = c.others.slice(top.length).reduce((a, x) => a + x, 0);
  return `main thread ${c.main.toFixed(2)}, other threads ${top.map((x) => x.toFixed(2)).join('+') || '0'}${rest > 0 ? ` (+${rest.toFixed(2)} in ${c.others.length - top.length} more)` : ''}, sink ${c.sink.toFixed(2)}`;
};
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const range = (xs: number[], d = 1, unit = ''): string =>
  xs.length === 0 ? 'n/a' : xs.length === 1 ? `${fmt(xs[0]!, d)}${unit}` : `${fmt(Math.min(...xs), d)}-${fmt(Math.max(...xs), d)}${unit}`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      profile: { type: 'string', default: 'narrow,wide' },
      rows: { type: 'string' },
      sizes: { type: 'string' },
      runs: { type: 'string', default: '1' },
      keep: { type: 'boolean', default: false },
      peers: { type: 'string', default: 'python,miller' },
      'no-peers': { type: 'boolean', default: false },
      'baseline-max-rows': { type: 'string', default: '1000000' },
      'no-baseline': { type: 'boolean', default: false },
      singer: { type: 'boolean', default: false },
      'node-arg': { type: 'string', multiple: true, default: [] },
      // Another build of the connector (A/B comparisons): the path of its executable.
      bin: { type: 'string' },
      // The connector's max_concurrent_requests (default 3): 2 leaves one download at a time,
      // so parsing runs inline on the main thread, as with a single usable CPU.
      'max-concurrent-requests': { type: 'string' },
    },
    strict: true,
  });
  const sizes = (values.sizes ?? values.rows ?? '1000000').split(',').map((s) => Number(s.replace(/[_,]/g, '')));
  if (sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('--rows / --sizes: positive integers');
  const profiles = values.profile.split(',').map((p) => {
    if (p !== 'narrow' && p !== 'wide') throw new Error(`--profile: narrow and/or wide, not ${p}`);
    return PROFILES[p];
  });
  const runs = Math.max(1, Number(values.runs));
  if (values.bin !== undefined) BIN = values.bin;
  const wantPeers = values['no-peers'] ? [] : (values.peers.split(',').filter(Boolean) as PeerName[]);
  const peers: PeerName[] = [];
  const versions: string[] = [];
  for (const p of wantPeers) {
    if (p !== 'python' && p !== 'miller') throw new Error(`--peers: python and/or miller, not ${p}`);
    const v = p === 'python' ? installed('python3', ['--version']) : installed('mlr', ['--version']);
    if (v === null) versions.push(`${p}: not installed (${p === 'python' ? 'python3' : 'mlr'} not found), no figure`);
    else {
      peers.push(p);
      versions.push(`${p}: ${v}`);
    }
  }
  console.log(
    `source-pardot-export benchmark: Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ` +
      `load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}, protocol ${values.singer ? 'Singer' : 'Airbyte'}; peers: ${versions.join('; ') || 'none'}`,
  );
  const table: string[] = [];
  let failed = false;
  for (const profile of profiles) {
    for (const n of sizes) {
      console.log(`\n${profile.name} profile, N = ${fmt(n)}`);
      const m = await ensureData(profile, n);
      console.log(`  ${fmt(m.bytes / 1e6)} MB of CSV in ${m.files.length} files, ${fmt(m.bytes / m.rows)} bytes a row`);
      const typesPath = join(tmpdir(), `pardot-bench-types-${process.pid}.json`);
      writeFileSync(typesPath, JSON.stringify(Object.fromEntries(COLUMNS.map((c) => [c.name, c.type]))));
      const conn: RunResult[] = [];
      const peerRuns: Record<PeerName, PeerResult[]> = { python: [], miller: [] };
      const ratios: Record<PeerName, number[]> = { python: [], miller: [] };
      try {
        for (let r = 0; r < runs; r++) {
          const load = loadavg()[0]!.toFixed(2);
          const mcr = values['max-concurrent-requests'];
          const res = await runConnector(m, values.singer, values['node-arg'], mcr === undefined ? undefined : Number(mcr));
          conn.push(res);
          const rate = res.rows / res.seconds;
          console.log(
            `  run ${r + 1} connector: ${fmt(res.rows)} records in ${res.seconds.toFixed(2)} s = ${fmt(rate)} records/s, ` +
              `${fmt(m.bytes / 1e6 / res.seconds, 1)} MB/s CSV in, ${fmt(res.stdoutBytes / 1e6 / res.seconds, 1)} MB/s out, ` +
              `peak RSS ${res.peakRssMb.toFixed(1)} MB (self-reported ${res.selfReportedRssMb ?? '?'} MB), load before ${load}; ` +
              `start-up (spawn to 1st API request) ${res.startupSeconds === null ? '?' : (res.startupSeconds * 1000).toFixed(0)} ms, ` +
              `first record after ${res.firstRecordSeconds.toFixed(2)} s, ${fmt(res.rows / Math.max(res.seconds - res.firstRecordSeconds, 1e-3))} records/s from there; ` +
              `CPU s: ${cpuText(res.cpu)}, fake API (this process) ${res.fakeCpu.toFixed(2)}` +
              (res.problems.length ? `\n  PROBLEMS: ${res.problems.join('; ')}` : ''),
          );
          if (res.problems.length) failed = true;
          for (const p of peers) {
            const pr = await runPeer(p, m, typesPath);
            peerRuns[p].push(pr);
            const prRate = pr.rows / pr.seconds;
            ratios[p].push(rate / prRate);
            console.log(
              `  run ${r + 1} ${p === 'python' ? 'Python peer' : 'Miller'}: ${fmt(pr.rows)} records in ${pr.seconds.toFixed(2)} s = ${fmt(prRate)} records/s, ` +
                `peak RSS ${pr.peakRssMb.toFixed(1)} MB; connector / ${p} = ${(rate / prRate).toFixed(2)}x; CPU s: ${cpuText(pr.cpu)}` +
                (pr.problems.length ? `\n  PROBLEMS: ${pr.problems.join('; ')}` : ''),
            );
            if (pr.problems.length) failed = true;
          }
        }
      } finally {
        rmSync(typesPath, { force: true });
      }
      // Throughput: the best run of each program; ratios: per run (same moment), median and range;
      // peak RSS: the worst run; start-up: the median.
      const best = conn.reduce((a, b) => (b.seconds < a.seconds ? b : a));
      const worstRss = Math.max(...conn.map((c) => c.peakRssMb));
      const startups = conn.map((c) => c.startupSeconds).filter((x): x is number => x !== null).map((x) => x * 1000);
      const calls = Object.entries(best.apiCalls)
        .filter(([, v]) => v > 0)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      console.log(`  API calls (connector summary): ${calls}; seen by the fake: ${Object.values(best.fakeCalls).reduce((a, x) => a + x, 0)}`);
      console.log(
        `  connector: best ${fmt(best.rows / best.seconds)} records/s, all runs ${range(conn.map((c) => c.rows / c.seconds), 0)}; ` +
          `peak RSS ${range(conn.map((c) => c.peakRssMb))} MB; start-up ${range(startups, 0, ' ms')} (median ${fmt(median(startups), 0)} ms)`,
      );
      const peerCells: string[] = [];
      for (const p of ['python', 'miller'] as const) {
        if (!peers.includes(p)) {
          peerCells.push(wantPeers.includes(p) ? 'not installed' : 'not run');
          continue;
        }
        const bestP = Math.max(...peerRuns[p].map((x) => x.rows / x.seconds));
        console.log(
          `  ${p}: best ${fmt(bestP)} records/s, peak RSS ${range(peerRuns[p].map((x) => x.peakRssMb))} MB; ` +
            `connector / ${p} per run: ${ratios[p].map((x) => x.toFixed(2) + 'x').join(', ')} (median ${median(ratios[p]).toFixed(2)}x)`,
        );
        peerCells.push(`${median(ratios[p]).toFixed(1)}x (${range(ratios[p])}x; ${fmt(bestP)}/s)`);
      }
      let ratio = 'n/a';
      if (!values['no-baseline']) {
        const bl = await baseline(m, Number(values['baseline-max-rows']));
        const blRate = bl.rows / bl.seconds;
        ratio = `${(best.rows / best.seconds / blRate).toFixed(1)}x`;
        console.log(
          `  baseline (in-process csv-parse columns:true + JSON.stringify, ${bl.rows < n ? `first ${fmt(bl.rows)} rows` : 'all rows'}): ` +
            `${bl.seconds.toFixed(2)} s = ${fmt(blRate)} rows/s, ${fmt(bl.bytes / 1e6 / bl.seconds, 1)} MB/s; connector (best) / baseline = ${ratio}`,
        );
      }
      table.push(
        `| ${profile.name} | ${fmt(n)} | ${fmt(m.bytes / 1e6)} | ${best.seconds.toFixed(1)} | ${fmt(best.rows / best.seconds)} | ` +
          `${fmt(best.rows / Math.max(best.seconds - best.firstRecordSeconds, 1e-3))} | ${fmt(m.bytes / 1e6 / best.seconds, 1)} | ${worstRss.toFixed(0)} | ` +
          `${fmt(median(startups), 0)} | ${peerCells.join(' | ')} | ${ratio} | ${calls} |`,
      );
      if (!values.keep) rmSync(join(m.files[0]!, '..'), { recursive: true, force: true });
    }
  }
  console.log(
    `\n(seconds, records/s: the connector's best of ${runs} run(s), wall time from spawn to exit; "after 1st record": rows over the time from the ` +
      `first RECORD line to exit; peak RSS: worst run; start-up: median, spawn to the first API request; vs Python / Miller: ` +
      `median of the per-run ratios (range; the peer's best records/s); vs csv-parse: best over the in-process baseline)`,
  );
  console.log(`| profile | N rows | CSV MB | seconds | records/s | records/s after 1st record | MB/s CSV in | peak RSS MB | start-up ms | vs Python peer | vs Miller | vs csv-parse | API calls |`);
  console.log(`|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|`);
  for (const l of table) console.log(l);
  console.log(`\nload average after: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  if (failed) {
    console.log('\nSOME RUNS HAD PROBLEMS (see above).');
    process.exitCode = 1;
  }
}

// Run as the program (not when bench/custom.ts imports measure()); a generator worker of this file.
if (isMainThread && process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    console.error(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exitCode = 1;
  });
} else if (!isMainThread && (workerData as { benchGen?: boolean } | null)?.benchGen === true) {
  const wd = workerData as { profile: ProfileName; jobs: GenJob[]; startMs: number; endMs: number };
  generateFiles(PROFILES[wd.profile], wd.jobs, wd.startMs, wd.endMs)
    .then(() => parentPort?.close())
    .catch((e: unknown) => {
      throw e;
    });
}
