/**
 * Queue benchmark: how busy the connector keeps Pardot's export queue. Prints figures; not a test.
 *
 *   npm run bench:queue -- [--processing-ms 1000] [--runs 3] [--profiles full,incremental] [--bin LABEL=PATH ...]
 *
 * Pardot processes a business unit's exports one at a time, oldest first, so a sync's wall time is
 * at least the sum of its exports' processing times. Against the project's fake Pardot run in that
 * mode (each export takes --processing-ms, one after the other: the fake's `processingMs`), the
 * executable reads as a data engineer runs it, with the poll schedule scaled to the processing time
 * (first poll after half of it, at most twice it), and the figure is
 *
 *   queue utilization = exports x processing time / wall time of the read (spawn to exit)
 *
 * with the status reads and API calls per export from the fake's own counters. Profiles:
 * - full: a full refresh of five export streams, four 120-day windows each (and the window that
 *   closes each full refresh);
 * - incremental: seven export streams from a state a week old: one small window each.
 * `--bin LABEL=PATH` compares other builds (default: this checkout's bin/source-pardot-export).
 * QUEUE_TRACE=1 prints each export's timeline: created, started, done, and its status reads.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { generateData } from '../test/fake-pardot/data.js';
import { startFakePardot, type FakePardot } from '../test/fake-pardot/server.js';
import { benchConfig } from './bench.js';

const ROOT = join(import.meta.dirname, '..', '..');
const DAY = 86_400_000;
const TZ = 'America/Los_Angeles';
const { values } = parseArgs({
  options: {
    'processing-ms': { type: 'string', default: '1000' },
    runs: { type: 'string', default: '3' },
    profiles: { type: 'string', default: 'full,incremental' },
    bin: { type: 'string', multiple: true },
  },
});
const P = Number(values['processing-ms']);
const runs = Number(values.runs);
const bins = (values.bin ?? [`this=${join(ROOT, 'bin', 'source-pardot-export')}`]).map((b) => {
  const i = b.indexOf('=');
  return i < 0 ? { label: b, path: b } : { label: b.slice(0, i), path: b.slice(i + 1) };
});

interface Profile {
  streams: string[];
  mode: 'full_refresh' | 'incremental';
  days: number;
}
const PROFILES: Record<string, Profile> = {
  full: { streams: ['prospects', 'visitors', 'visitor_activities', 'list_memberships', 'prospect_accounts'], mode: 'full_refresh', days: 480 },
  incremental: {
    streams: ['prospects', 'visitors', 'visitor_activities', 'list_memberships', 'prospect_accounts', 'external_activities', 'deleted_visitors'],
    mode: 'incremental',
    days: 480,
  },
};

interface Figures {
  wallMs: number;
  exports: number;
  busyMs: number;
  readsPerExport: number;
  callsPerExport: number;
  records: number;
  code: number | null;
  /** Spawn to the first export created, and the last export complete to exit (ms). */
  leadMs: number;
  tailMs: number;
}

/** One read by `bin` against a fake whose exports take P ms each, one at a time. */
async function once(bin: string, profile: Profile): Promise<Figures> {
  const now = Date.now();
  const start = now - profile.days * DAY;
  const data = generateData({ seed: 5, start: new Date(start), end: new Date(now - 10 * 60_000), counts: { prospect: 400 } });
  // activityDate as a date alone: what every build reads (the queue figure does not depend on the cell's form).
  const fake: FakePardot = await startFakePardot({ userTimezone: TZ, data, rowsPerFile: 500, processingMs: P, activityDateCells: 'date' });
  const dir = mkdtempSync(join(tmpdir(), 'spe-queue-'));
  try {
    const config = join(dir, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({
        ...benchConfig(start, TZ, fake.url),
        window_days: 120,
        // The poll schedule scaled to the processing time, as the defaults (30 s, 60 s) are to exports of about a minute.
        poll_interval_seconds: P / 2000,
        poll_max_interval_seconds: (2 * P) / 1000,
        export_timeout_minutes: 60,
      }),
    );
    const catalog = join(dir, 'catalog.json');
    writeFileSync(catalog, JSON.stringify({ streams: profile.streams.map((name) => configured(name, profile.mode)) }));
    const args = ['read', '--config', config, '--catalog', catalog];
    if (profile.mode === 'incremental') {
      const state = join(dir, 'state.json');
      const at = new Date(now - 7 * DAY).toISOString().replace(/\.\d{3}Z$/, 'Z');
      writeFileSync(state, JSON.stringify(profile.streams.map((name) => ({ type: 'STREAM', stream: { stream_descriptor: { name }, stream_state: { [cursorOf(name)]: at, state_version: 1 } } }))));
      args.push('--state', state);
    }
    const t0 = performance.now();
    const spawnedAt = Date.now();
    const { code, records } = await run(bin, args);
    const wallMs = performance.now() - t0;
    const exitedAt = spawnedAt + wallMs;
    const q = fake.queueStats();
    if (process.env.QUEUE_TRACE) {
      for (const e of q.exports) {
        const reads = fake.log.filter((r) => r.route === 'read' && r.path.endsWith(`/exports/${e.id}`)).map((r) => r.at - e.completedAt!);
        console.log(`  export ${e.id} ${e.object}: created ${e.createdAt - spawnedAt} ms, started ${e.startedAt! - spawnedAt}, done ${e.completedAt! - spawnedAt}; reads at done${reads.map((x) => (x >= 0 ? '+' : '') + x).join(', ')} ms`);
      }
    }
    const exports = q.exports.length;
    const reads = q.exports.reduce((s, e) => s + e.reads, 0);
    const calls = fake.stats.calls;
    const exportCalls = calls.create + calls.read + calls.download + calls.cancel;
    return {
      wallMs,
      exports,
      busyMs: q.busyMs,
      readsPerExport: reads / Math.max(1, exports),
      callsPerExport: exportCalls / Math.max(1, exports),
      records,
      code,
      leadMs: (q.firstCreatedAt ?? exitedAt) - spawnedAt,
      tailMs: exitedAt - (q.lastCompletedAt ?? exitedAt),
    };
  } finally {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function cursorOf(stream: string): string {
  return stream === 'external_activities' ? 'createdAt' : 'updatedAt';
}

function configured(name: string, mode: Profile['mode']) {
  return {
    stream: { name, json_schema: {}, supported_sync_modes: ['full_refresh', 'incremental'], source_defined_cursor: true, default_cursor_field: [cursorOf(name)] },
    sync_mode: mode,
    destination_sync_mode: mode === 'incremental' ? 'append_dedup' : 'overwrite',
    ...(mode === 'incremental' ? { cursor_field: [cursorOf(name)] } : {}),
    primary_key: [['id']],
  };
}

/** Runs the executable; counts RECORD lines on the way (stdout is a pipe, as under a platform). */
function run(bin: string, args: string[]): Promise<{ code: number | null; records: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let records = 0;
    let tail = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const text = tail + chunk;
      const lines = text.split('\n');
      tail = lines.pop()!;
      for (const l of lines) if (l.startsWith('{"type":"RECORD"')) records++;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, records }));
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pct = (x: number) => `${(100 * x).toFixed(1)} %`;

console.log(`queue benchmark: exports of ${P} ms each, processed one at a time; poll schedule ${P / 2} ms first, ${2 * P} ms at most; ${runs} run(s) each; load ${loadavg()[0]!.toFixed(2)}`);
for (const name of values.profiles.split(',')) {
  const profile = PROFILES[name];
  if (!profile) throw new Error(`unknown profile ${name} (full, incremental)`);
  for (const b of bins) {
    const rs: Figures[] = [];
    for (let i = 0; i < runs; i++) rs.push(await once(b.path, profile));
    const util = rs.map((r) => (r.exports * P) / r.wallMs);
    const r0 = rs[0]!;
    console.log(
      `${name.padEnd(11)} ${b.label.padEnd(8)} utilization median ${pct(median(util))} (range ${pct(Math.min(...util))}..${pct(Math.max(...util))}), ` +
        `wall ${(median(rs.map((r) => r.wallMs)) / 1000).toFixed(2)} s for ${r0.exports} exports (${((r0.exports * P) / 1000).toFixed(1)} s of processing), ` +
        `spawn to first export ${median(rs.map((r) => r.leadMs)).toFixed(0)} ms, last export done to exit ${median(rs.map((r) => r.tailMs)).toFixed(0)} ms, ` +
        `status reads/export ${median(rs.map((r) => r.readsPerExport)).toFixed(2)}, export calls/export ${median(rs.map((r) => r.callsPerExport)).toFixed(2)}, ` +
        `records ${rs.map((r) => r.records).join('/')}, exit ${rs.map((r) => r.code).join('/')}`,
    );
  }
}
console.log(`load at the end ${loadavg()[0]!.toFixed(2)}`);
