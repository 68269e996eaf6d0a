/**
 * The custom-field benchmark of issue 11 (`npm run bench:custom`). Prints figures; not a test.
 *
 *   npm run bench:custom -- [--profile throughput,join] [--rows N] [--join-rows N] [--runs 2]
 *                           [--files 6] [--keep] [--node-arg=--heapsnapshot-near-heap-limit=1 ...] [--bin PATH]
 *
 * Two profiles, both a full-refresh `read` of prospects through the BUILT executable, end to end,
 * against the loopback fake Pardot in static-file mode, stdout through a FIFO into the counting
 * sink process (bench/bench.ts's measure(): VmHWM sampled every 50 ms, CPU per thread):
 *
 *   - throughput: the same N prospect rows (the narrow profile's generator, lazyProspects, dates in
 *     America/New_York) exported (A) with the 68 standard fields and (B) with 40 custom fields
 *     added (makeCustomFields(40): text kinds, Number, Date, Checkbox/Multi-Select, multiple
 *     responses), 108 fields in one export. Runs interleave A, B, A, B... Per run: records/s, MB/s
 *     of CSV in, ns of wall time and of connector CPU per cell (rows x columns) and per CSV byte.
 *   - join: N (1,000,000) prospects with 250 fields (68 standard + 182 custom): the connector
 *     splits each window into 2 exports (src/sync/export-read.ts splitFields) and joins them by
 *     id through temporary files. Peak RSS (VmHWM and the connector's own "Sync summary"), wall
 *     time, records/s, temporary disk at its peak (the pardot-join-* folder in the connector's
 *     TMPDIR, a folder this bench creates for it and removes), and whether it was removed.
 *
 * The catalog is the one `discover` writes against the fake (custom fields as x-pardot-custom
 * schema properties). Each export's files are rendered for exactly the fields it requests
 * (`exportColumns` + `rowRenderer`, byte for byte what the fake would serve from its data): the
 * lists are computed beforehand with the connector's own catalog parsing and split
 * (parseAirbyteCatalog, requestedFields, splitFields), files cached by the list's hash, generated
 * in worker threads; the fake's staticResults function serves the cached files for a requested
 * list, and a list without files is reported as a problem. Every run's sink checks the count,
 * each id once, none missing, and a few records field by field (standard and custom) against the
 * generator. Generated files are removed at the end unless --keep.
 */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { parseAirbyteCatalog } from '../src/protocol/catalog.js';
import type { ExportStreamDef } from '../src/streams.js';
import { requestedFields, splitFields } from '../src/sync/export-plan.js';
import { headerLine, rowRenderer, type Row } from '../test/fake-pardot/csv.js';
import { apiFieldIdOf, exportColumns, type FakeCustomField } from '../test/fake-pardot/custom-fields.js';
import { lazyProspects } from '../test/fake-pardot/data.js';
import { fieldDef } from '../test/fake-pardot/fields.js';
import { startFakePardot, type StaticResult } from '../test/fake-pardot/server.js';
import { customValue, expectedCustomValue, makeCustomFields, withCustomValues } from '../test/helpers/custom-fields.js';
import { benchConfig, discoverProspects, measure, writeCsvFile, type CpuSplit } from './bench.js';

const ROOT = join(import.meta.dirname, '..', '..');
let BIN = join(ROOT, 'bin', 'source-pardot-export');
const SEED = 7;
const TZ = 'America/New_York';
const DAY = 86_400_000;
const SPAN_DAYS = 300;
const ID_BASE = 10_000_000; // lazyProspects: id = 10,000,000 + i
const VERSION = 1;

// ---------------------------------------------------------------- the rows

/** Row i of the data set: the narrow profile's standard fields plus the given custom fields' values. */
function source(customs: readonly FakeCustomField[], startMs: number, endMs: number): { row(i: number): Row } {
  const base = lazyProspects(Number.MAX_SAFE_INTEGER, { seed: SEED, start: new Date(startMs), end: new Date(endMs) });
  return customs.length === 0 ? base : withCustomValues(base, customs, SEED);
}

// ---------------------------------------------------------------- static files per requested list

interface GenJob {
  path: string;
  from: number;
  to: number;
  names: string[];
}

interface PartFiles {
  names: string[];
  files: string[];
  rowCount: number;
  bytes: number;
}

interface DataSet {
  dir: string;
  rows: number;
  startMs: number;
  endMs: number;
  customs: FakeCustomField[];
  /** Files by the hash of the requested field list. */
  parts: Map<string, PartFiles>;
}

const listHash = (names: readonly string[]): string => createHash('sha256').update(names.join('\n')).digest('hex').slice(0, 16);

/** Worker: renders its jobs' files (header + rows from..to) for exactly their field lists. */
async function generateFiles(jobs: GenJob[], nCustom: number, startMs: number, endMs: number): Promise<void> {
  const all = makeCustomFields(nCustom, { seed: SEED });
  for (const job of jobs) {
    const { columns, header } = exportColumns('prospect', job.names, all, {});
    const render = rowRenderer(columns, TZ, '\n');
    const src = source(
      all.filter((f) => job.names.includes(apiFieldIdOf(f))),
      startMs,
      endMs,
    );
    await writeCsvFile(job.path, headerLine(header, '\n'), job.from, job.to, (i) => render(src.row(i)));
  }
}

/** The files of each field list (cached in os.tmpdir() by rows, custom count and the list's hash). */
async function ensureData(name: string, rows: number, nCustom: number, lists: string[][], filesPer: number): Promise<DataSet> {
  const dir = join(tmpdir(), `pardot-bench-custom-${name}-${rows}-c${nCustom}-f${filesPer}-s${SEED}-v${VERSION}`);
  mkdirSync(dir, { recursive: true });
  const spanFile = join(dir, 'span.json');
  let span: { startMs: number; endMs: number } | null = existsSync(spanFile) ? (JSON.parse(readFileSync(spanFile, 'utf8')) as { startMs: number; endMs: number }) : null;
  if (span === null || Date.now() - span.endMs > 60 * DAY) {
    // A cache older than 60 days is regenerated (the 365-day window must still reach today).
    for (const e of readdirSync(dir)) rmSync(join(dir, e), { recursive: true, force: true });
    const endMs = Math.floor(Date.now() / DAY) * DAY - DAY;
    span = { startMs: endMs - SPAN_DAYS * DAY, endMs };
    writeFileSync(spanFile, JSON.stringify(span));
  }
  const parts = new Map<string, PartFiles>();
  const jobs: GenJob[] = [];
  const todo: Array<{ h: string; mf: string; part: PartFiles }> = [];
  for (const names of lists) {
    const h = listHash(names);
    const sub = join(dir, `fields-${h}`);
    const mf = join(sub, 'manifest.json');
    if (existsSync(mf)) {
      const p = JSON.parse(readFileSync(mf, 'utf8')) as PartFiles;
      if (p.files.every((f) => existsSync(f)) && p.names.join('\n') === names.join('\n')) {
        parts.set(h, p);
        continue;
      }
    }
    mkdirSync(sub, { recursive: true });
    const per = Math.ceil(rows / filesPer);
    const files: string[] = [];
    for (let k = 0; k * per < rows; k++) {
      const path = join(sub, `prospects-${k + 1}.csv`);
      files.push(path);
      jobs.push({ path, from: k * per, to: Math.min(rows, (k + 1) * per), names });
    }
    todo.push({ h, mf, part: { names, files, rowCount: rows, bytes: 0 } });
  }
  if (jobs.length > 0) {
    const t0 = performance.now();
    const threads = Math.max(1, Math.min(cpus().length, jobs.length));
    // Biggest jobs spread first: rows x columns.
    jobs.sort((a, b) => (b.to - b.from) * b.names.length - (a.to - a.from) * a.names.length);
    await Promise.all(
      Array.from({ length: threads }, (_, w) => {
        const mine = jobs.filter((_, k) => k % threads === w);
        return new Promise<void>((resolve, reject) => {
          const worker = new Worker(new URL(import.meta.url), { workerData: { customGen: true, jobs: mine, nCustom, startMs: span.startMs, endMs: span.endMs } });
          worker.once('error', reject);
          worker.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`generator exited ${code}`))));
        });
      }),
    );
    let total = 0;
    for (const t of todo) {
      for (const f of t.part.files) t.part.bytes += (await stat(f)).size;
      total += t.part.bytes;
      writeFileSync(t.mf, JSON.stringify(t.part));
      parts.set(t.h, t.part);
    }
    console.log(
      `  generated ${fmt(rows)} rows for ${todo.length} field list(s) (${todo.map((t) => t.part.names.length).join(', ')} fields) in ${jobs.length} files, ` +
        `${fmt(total / 1e6)} MB, in ${((performance.now() - t0) / 1000).toFixed(1)} s on ${threads} threads (${dir})`,
    );
  }
  return { dir, rows, startMs: span.startMs, endMs: span.endMs, customs: makeCustomFields(nCustom, { seed: SEED }), parts };
}

// ---------------------------------------------------------------- catalog (discover against the fake)

interface Inputs {
  args: string[];
  /** The field list of each export of the window, as the connector will request them. */
  lists: string[][];
  /** The union of the fields, as emitted. */
  fields: string[];
}

/** Writes config.json and catalog.json (from `discover` run against a fake with these custom fields). */
async function writeInputs(dir: string, customs: FakeCustomField[], startMs: number): Promise<Inputs> {
  const fake = await startFakePardot({ userTimezone: TZ, customFields: { prospect: customs } });
  try {
    const cfg = join(dir, 'config.json');
    writeFileSync(cfg, JSON.stringify(benchConfig(startMs, TZ, fake.url)));
    const stream = await discoverProspects(BIN, cfg);
    const props = stream.json_schema.properties as Record<string, Record<string, unknown>>;
    const customProps = Object.values(props).filter((p) => p['x-pardot-custom'] === true).length;
    if (customProps !== customs.length) throw new Error(`discover wrote ${customProps} custom field properties, want ${customs.length}`);
    const catalog = { streams: [{ stream, sync_mode: 'full_refresh', destination_sync_mode: 'overwrite' }] };
    writeFileSync(join(dir, 'catalog.json'), JSON.stringify(catalog));
    // The connector's own reading of that catalog and its split of the window's fields.
    const cs = parseAirbyteCatalog(catalog)[0]!;
    const fields = requestedFields(cs);
    const lists = splitFields(fields, cs.stream as ExportStreamDef).map((l) => l.map((f) => f.name));
    return { args: ['read', '--config', cfg, '--catalog', join(dir, 'catalog.json')], lists, fields: fields.map((f) => f.name) };
  } finally {
    await fake.close();
  }
}

// ---------------------------------------------------------------- one run

interface RunResult {
  label: string;
  rows: number;
  fields: number;
  exports: number;
  csvBytes: number;
  seconds: number;
  peakRssMb: number;
  selfReportedRssMb: number | null;
  cpu: CpuSplit;
  stdoutBytes: number;
  load: number;
  /** Temporary disk: peak of the pardot-join-* folder (bytes of its files; disk blocks). */
  tmpPeakBytes: number;
  tmpPeakBlocks: number;
  tmpLeft: string[];
  /** Largest VmRSS (200 ms samples) while the join folder grew (spill) and while it shrank (join). */
  rssSpillMb: number;
  rssJoinMb: number;
  joinLog: string | null;
  apiCalls: string;
  /** The connector's WARN logs. */
  warns: string[];
  problems: string[];
}

function vmRssKb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Bytes and allocated bytes of the pardot-join-* folders under `root`. */
function joinDirSize(root: string): { bytes: number; blocks: number } {
  let bytes = 0;
  let blocks = 0;
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch {
    return { bytes, blocks };
  }
  for (const e of entries) {
    if (!e.startsWith('pardot-join-')) continue;
    let files: string[];
    try {
      files = readdirSync(join(root, e));
    } catch {
      continue;
    }
    for (const f of files) {
      try {
        const s = lstatSync(join(root, e, f));
        bytes += s.size;
        blocks += s.blocks * 512;
      } catch {
        // removed meanwhile
      }
    }
  }
  return { bytes, blocks };
}

async function runOnce(label: string, data: DataSet, inputs: Inputs, nodeArgs: string[]): Promise<RunResult> {
  const served = new Set<string>();
  const misses: string[] = [];
  const fake = await startFakePardot({
    userTimezone: TZ,
    pollsUntilComplete: 1,
    customFields: { prospect: data.customs },
    staticResults: {
      prospect: (requested): StaticResult | undefined => {
        const names = requested ?? [];
        const p = data.parts.get(listHash(names));
        if (!p) {
          misses.push(`${names.length} fields (${names.slice(0, 3).join(', ')}...)`);
          return undefined;
        }
        served.add(listHash(names));
        return { files: p.files, rowCount: p.rowCount, startMs: data.startMs, endMs: data.endMs };
      },
    },
  });
  const dir = mkdtempSync(join(tmpdir(), 'pardot-bench-custom-run-'));
  const tmp = join(dir, 'tmp');
  mkdirSync(tmp);
  try {
    // The config's URLs name this fake: rewrite them (the catalog stays).
    const cfgPath = inputs.args[2]!;
    const cfg = JSON.parse(readFileSync(cfgPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...cfg, api_base_url: fake.url, auth_base_url: fake.url }));
    const args = ['read', '--config', join(dir, 'config.json'), '--catalog', inputs.args[4]!];
    const launcher = /exec node (.*?) "\$0"/.exec(readFileSync(BIN, 'utf8'))?.[1]?.split(/\s+/).filter(Boolean) ?? [];
    const [cmd, argv] = nodeArgs.length === 0 ? [BIN, args] : [process.execPath, [...launcher, ...nodeArgs, BIN, ...args]];
    let tmpPeak = { bytes: 0, blocks: 0 };
    let tick = 0;
    // Resident memory by phase of a split window: spill (the join folder grows) and join (it shrinks).
    let joinStarted = false;
    const rssMax = { spill: 0, join: 0 };
    const load = loadavg()[0]!;
    const run = await measure(cmd, argv, 'records', data.rows, {
      env: { ...process.env, TMPDIR: tmp },
      onSample: (pid) => {
        // Every 4th sample (200 ms): the folder holds up to a few hundred files.
        if (tick++ % 4 !== 0) return;
        const s = joinDirSize(tmp);
        if (s.bytes > tmpPeak.bytes) tmpPeak = s;
        else if (s.bytes < tmpPeak.bytes * 0.99) joinStarted = true;
        const rss = vmRssKb(pid) / 1024;
        if (tmpPeak.bytes > 0) rssMax[joinStarted ? 'join' : 'spill'] = Math.max(rssMax[joinStarted ? 'join' : 'spill'], rss);
      },
    });
    const left = readdirSync(tmp);
    const sink = run.sink;
    const problems: string[] = [];
    if (run.code !== 0) problems.push(`exit code ${run.code}: ${run.stderr.slice(-2000)}`);
    if (misses.length) problems.push(`no static files for requested list(s): ${misses.join('; ')}`);
    const logs = sink.others.filter((x) => x.type === 'LOG').map((x) => String(x.log.message));
    const summary = logs.filter((m) => m.startsWith('Sync summary')).at(-1);
    let selfRss: number | null = null;
    let apiCalls = '';
    if (summary) {
      apiCalls = /API calls: ([^.]*?)(?:\.|\)|$)/m.exec(summary)?.[1] ?? '';
      const r = /Peak RSS: ([\d.]+) MB/.exec(summary);
      if (r) selfRss = Number(r[1]);
    } else problems.push('no Sync summary found');
    const errors = sink.others.filter((x) => x.type === 'TRACE' && x.trace.type === 'ERROR');
    if (errors.length) problems.push(`error trace: ${errors[0]!.trace.error.message}`);
    const warns = sink.others.filter((x) => x.type === 'LOG' && x.log.level === 'WARN').map((x) => String(x.log.message));
    if (sink.records !== data.rows) problems.push(`records ${sink.records} != rows ${data.rows}`);
    if (sink.duplicates) problems.push(`${sink.duplicates} duplicate ids`);
    if (sink.missing) problems.push(`${sink.missing} ids missing`);
    if (sink.badLines) problems.push(`${sink.badLines} unreadable lines`);
    if (left.length) problems.push(`temporary files left in the connector's TMPDIR: ${left.join(', ')}`);
    if (served.size !== inputs.lists.length) problems.push(`${served.size} field lists served, want ${inputs.lists.length}`);
    problems.push(...spotCheck(sink.samples, data, inputs.fields));
    const csvBytes = inputs.lists.reduce((a, l) => a + (data.parts.get(listHash(l))?.bytes ?? 0), 0);
    const fakeExports = fake.exports.length;
    if (fakeExports !== inputs.lists.length) problems.push(`${fakeExports} exports created, want ${inputs.lists.length}`);
    return {
      label,
      rows: sink.records,
      fields: inputs.fields.length,
      exports: fakeExports,
      csvBytes,
      seconds: run.seconds,
      peakRssMb: run.peakRssMb,
      selfReportedRssMb: selfRss,
      cpu: run.cpu,
      stdoutBytes: sink.bytes,
      load,
      tmpPeakBytes: tmpPeak.bytes,
      tmpPeakBlocks: tmpPeak.blocks,
      tmpLeft: left,
      rssSpillMb: rssMax.spill,
      rssJoinMb: rssMax.join,
      joinLog: logs.find((m) => m.includes(' joined ')) ?? null,
      apiCalls,
      problems,
      warns,
    };
  } finally {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Sample records compared field by field (standard and custom) with the generator's rows. */
function spotCheck(samples: Array<[number, string]>, data: DataSet, fields: string[]): string[] {
  const out: string[] = [];
  if (samples.length === 0) return ['no sample records'];
  const byName = new Map(data.customs.map((f) => [apiFieldIdOf(f), f]));
  const std = source([], data.startMs, data.endMs);
  let customChecked = 0;
  for (const [i, line] of samples) {
    const got = (JSON.parse(line) as { record: { data: Record<string, unknown> } }).record.data;
    const row = std.row(i);
    const id = ID_BASE + i;
    for (const name of fields) {
      const cf = byName.get(name);
      const g = got[name];
      let ok: boolean;
      let want: unknown;
      if (cf) {
        want = expectedCustomValue(cf, customValue(cf, id, SEED));
        ok = isDeepStrictEqual(g, want);
        customChecked++;
      } else {
        want = row[name];
        const type = fieldDef('prospect', name)?.type;
        if (want === null || want === undefined) ok = g === null;
        else if (want instanceof Date && type === 'DateTime')
          ok = typeof g === 'string' && Date.parse(g) === want.getTime() && /[+-]\d\d:\d\d$/.test(g);
        else ok = g === want;
      }
      if (!ok) out.push(`row ${i} field ${name}: got ${JSON.stringify(g)}, want ${JSON.stringify(want)}`);
    }
    if (Object.keys(got).length !== fields.length) out.push(`row ${i}: ${Object.keys(got).length} fields, want ${fields.length}`);
  }
  if (customChecked === 0 && data.customs.length > 0) out.push('no custom value checked');
  return out.slice(0, 10);
}

// ---------------------------------------------------------------- main

const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const cpuOf = (c: CpuSplit): number => c.main + c.others.reduce((a, x) => a + x, 0);
const cpuText = (c: CpuSplit): string => {
  const top = c.others.filter((x) => x >= 0.05);
  return `main ${c.main.toFixed(2)}, other threads ${top.map((x) => x.toFixed(2)).join('+') || '0'}, sink ${c.sink.toFixed(2)}`;
};

function describe(r: RunResult): string {
  const cells = r.rows * r.fields;
  const cpu = cpuOf(r.cpu);
  return (
    `  ${r.label}: ${fmt(r.rows)} records x ${r.fields} fields (${r.exports} export(s), ${fmt(r.csvBytes / 1e6)} MB CSV) in ${r.seconds.toFixed(2)} s = ` +
    `${fmt(r.rows / r.seconds)} records/s, ${fmt(r.csvBytes / 1e6 / r.seconds, 1)} MB/s CSV, ${fmt((r.seconds * 1e9) / cells, 1)} ns/cell wall, ` +
    `connector CPU ${cpu.toFixed(1)} s = ${fmt((cpu * 1e9) / cells, 1)} ns/cell, ${fmt((cpu * 1e9) / r.csvBytes, 2)} ns/CSV byte; ` +
    `peak RSS ${r.peakRssMb.toFixed(1)} MB (self-reported ${r.selfReportedRssMb ?? '?'} MB); load before ${r.load.toFixed(2)}; ` +
    `output ${fmt(r.stdoutBytes / 1e6)} MB; CPU s: ${cpuText(r.cpu)}` +
    (r.tmpPeakBytes > 0 ? `; temporary files at peak ${fmt(r.tmpPeakBytes / 1e6)} MB (${fmt(r.tmpPeakBlocks / 1e6)} MB on disk), left after: ${r.tmpLeft.length === 0 ? 'none' : r.tmpLeft.join(',')}; ` +
        `largest VmRSS while spilling ${r.rssSpillMb.toFixed(0)} MB, while joining ${r.rssJoinMb.toFixed(0)} MB` : '') +
    (r.joinLog ? `\n    connector: ${r.joinLog}` : '') +
    `\n    API calls (connector summary): ${r.apiCalls}` +
    (r.warns.length ? `\n    connector WARN: ${r.warns.slice(0, 3).map((w) => w.slice(0, 200)).join(' | ')}` : '') +
    (r.problems.length ? `\n  PROBLEMS: ${r.problems.join('; ')}` : '')
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      profile: { type: 'string', default: 'throughput,join' },
      rows: { type: 'string', default: '1000000' },
      'join-rows': { type: 'string', default: '1000000' },
      custom: { type: 'string', default: '40' },
      'join-custom': { type: 'string', default: '182' },
      runs: { type: 'string', default: '2' },
      'join-runs': { type: 'string', default: '1' },
      files: { type: 'string', default: '6' },
      keep: { type: 'boolean', default: false },
      'node-arg': { type: 'string', multiple: true, default: [] },
      bin: { type: 'string' },
    },
    strict: true,
  });
  if (values.bin !== undefined) BIN = values.bin;
  const num = (s: string, what: string): number => {
    const n = Number(s.replace(/[_,]/g, ''));
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${what}: a positive integer`);
    return n;
  };
  const profiles = values.profile.split(',').filter(Boolean);
  for (const p of profiles) if (p !== 'throughput' && p !== 'join') throw new Error(`--profile: throughput and/or join, not ${p}`);
  const filesPer = num(values.files, 'files');
  console.log(
    `source-pardot-export custom-field benchmark (issue 11): Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ` +
      `load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`,
  );
  const work = mkdtempSync(join(tmpdir(), 'pardot-bench-custom-inputs-'));
  const table: string[] = [];
  const cleanup: string[] = [];
  let failed = false;
  try {
    if (profiles.includes('throughput')) {
      const rows = num(values.rows, 'rows');
      const nCustom = num(values.custom, 'custom');
      const runs = num(values.runs, 'runs');
      console.log(`\nthroughput: ${fmt(rows)} prospects, (A) 68 standard fields, (B) the same rows + ${nCustom} custom fields, ${runs} interleaved run(s) each`);
      const customs = makeCustomFields(nCustom, { seed: SEED });
      // The span is fixed by the data cache: read it first from a generation with no lists.
      const probe = await ensureData('tp', rows, nCustom, [], filesPer);
      const inA = await writeInputs(join(work, mkdirIn(work, 'a')), [], probe.startMs);
      const inB = await writeInputs(join(work, mkdirIn(work, 'b')), customs, probe.startMs);
      const data = await ensureData('tp', rows, nCustom, [...inA.lists, ...inB.lists], filesPer);
      cleanup.push(data.dir);
      const dataA: DataSet = { ...data, customs: [] };
      console.log(`  A: ${inA.fields.length} fields in ${inA.lists.length} export(s); B: ${inB.fields.length} fields in ${inB.lists.length} export(s)`);
      const res: { A: RunResult[]; B: RunResult[] } = { A: [], B: [] };
      for (let r = 0; r < runs; r++) {
        // Interleaved, and the order alternates (A B, B A, ...) so neither always runs first.
        const order: Array<'A' | 'B'> = r % 2 === 0 ? ['A', 'B'] : ['B', 'A'];
        for (const v of order) {
          const x = await runOnce(`run ${r + 1} ${v} (${v === 'A' ? '68 standard' : `68 standard + ${nCustom} custom`})`, v === 'A' ? dataA : { ...data }, v === 'A' ? inA : inB, values['node-arg']);
          res[v].push(x);
          console.log(describe(x));
          if (x.problems.length) failed = true;
        }
      }
      for (const v of ['A', 'B'] as const) {
        for (const x of res[v]) table.push(row(v === 'A' ? 'throughput A: 68 standard' : `throughput B: 68 + ${nCustom} custom`, x));
      }
      const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
      const per = (v: 'A' | 'B', f: (x: RunResult) => number) => med(res[v].map(f));
      const mbs = (x: RunResult) => x.csvBytes / 1e6 / x.seconds;
      const nsCell = (x: RunResult) => (cpuOf(x.cpu) * 1e9) / (x.rows * x.fields);
      const nsByte = (x: RunResult) => (cpuOf(x.cpu) * 1e9) / x.csvBytes;
      console.log(
        `  B / A (medians): MB/s CSV ${(per('B', mbs) / per('A', mbs)).toFixed(2)}x; connector CPU per cell ${(per('B', nsCell) / per('A', nsCell)).toFixed(2)}x; ` +
          `CPU per CSV byte ${(per('B', nsByte) / per('A', nsByte)).toFixed(2)}x; records/s ${(per('B', (x) => x.rows / x.seconds) / per('A', (x) => x.rows / x.seconds)).toFixed(2)}x`,
      );
    }
    if (profiles.includes('join')) {
      const rows = num(values['join-rows'], 'join-rows');
      const nCustom = num(values['join-custom'], 'join-custom');
      const runs = num(values['join-runs'], 'join-runs');
      console.log(`\njoin: ${fmt(rows)} prospects with 68 standard + ${nCustom} custom fields (split exports joined by id), ${runs} run(s)`);
      const customs = makeCustomFields(nCustom, { seed: SEED });
      const probe = await ensureData('join', rows, nCustom, [], filesPer);
      const inJ = await writeInputs(join(work, mkdirIn(work, 'j')), customs, probe.startMs);
      console.log(`  ${inJ.fields.length} fields in ${inJ.lists.length} exports per window (${inJ.lists.map((l) => l.length).join(' + ')} fields, each with id and updatedAt)`);
      const data = await ensureData('join', rows, nCustom, inJ.lists, filesPer);
      cleanup.push(data.dir);
      for (let r = 0; r < runs; r++) {
        const x = await runOnce(`run ${r + 1} join (${inJ.fields.length} fields)`, data, inJ, values['node-arg']);
        console.log(describe(x));
        table.push(row(`join: 68 + ${nCustom} custom`, x));
        if (x.problems.length) failed = true;
        if (x.peakRssMb > 300) console.log(`  peak RSS ${x.peakRssMb.toFixed(1)} MB is OVER the 300 MB bound`);
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
    if (!values.keep) for (const d of cleanup) rmSync(d, { recursive: true, force: true });
    else if (cleanup.length) console.log(`\n(kept the generated files: ${cleanup.join(', ')})`);
  }
  console.log(
    `\n| run | rows | fields | exports | CSV MB | seconds | records/s | MB/s CSV | connector CPU s | CPU ns/cell | CPU ns/CSV byte | peak RSS MB (self-reported) | temp disk peak MB | load before |`,
  );
  console.log(`|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|`);
  for (const l of table) console.log(l);
  console.log(`\nload average after: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  if (failed) {
    console.log('\nSOME RUNS HAD PROBLEMS (see above).');
    process.exitCode = 1;
  }
}

function mkdirIn(parent: string, name: string): string {
  mkdirSync(join(parent, name), { recursive: true });
  return name;
}

function row(what: string, x: RunResult): string {
  const cpu = cpuOf(x.cpu);
  return (
    `| ${what} | ${fmt(x.rows)} | ${x.fields} | ${x.exports} | ${fmt(x.csvBytes / 1e6)} | ${x.seconds.toFixed(1)} | ${fmt(x.rows / x.seconds)} | ` +
    `${fmt(x.csvBytes / 1e6 / x.seconds, 1)} | ${cpu.toFixed(1)} | ${fmt((cpu * 1e9) / (x.rows * x.fields), 1)} | ${fmt((cpu * 1e9) / x.csvBytes, 2)} | ` +
    `${x.peakRssMb.toFixed(0)} (${x.selfReportedRssMb ?? '?'}) | ${x.tmpPeakBytes > 0 ? fmt(x.tmpPeakBytes / 1e6) : '-'} | ${x.load.toFixed(2)} |`
  );
}

if (isMainThread) {
  if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
    main().catch((e: unknown) => {
      console.error(`bench:custom failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      process.exitCode = 1;
    });
  }
} else if ((workerData as { customGen?: boolean } | null)?.customGen === true) {
  const wd = workerData as { jobs: GenJob[]; nCustom: number; startMs: number; endMs: number };
  generateFiles(wd.jobs, wd.nCustom, wd.startMs, wd.endMs)
    .then(() => parentPort?.close())
    .catch((e: unknown) => {
      throw e;
    });
}
