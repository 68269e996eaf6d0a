/**
 * `npm run demo`: the connector working with no Pardot account. Starts the loopback fake Pardot
 * with generated data, runs `discover`, `catalog` and a full `read` of every stream through the
 * real executable, printing each command it ran, where its config and catalog are, one sample
 * record and what happened. Its temp directory is removed at the end, on success or failure.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateData, startFakePardot } from '../test/fake-pardot/index.js';
import { fakeQueryObjects } from '../test/helpers/query-objects.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'source-pardot-export');

/** Runs the executable, printing the command first; `saveTo` keeps its stdout in a file. */
function run(args: string[], saveTo?: string): Promise<{ code: number | null; text: string; lines: Array<Record<string, any>> }> {
  console.log(`$ ./bin/source-pardot-export ${args.join(' ')}${saveTo ? ` > ${saveTo}` : ''}`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (saveTo) writeFileSync(saveTo, out);
      const lines = saveTo ? [] : out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>);
      resolve({ code, text: out, lines });
    });
  });
}

/** Per stream: rows emitted (counted here) and the connector's summary's windows or pages, exports and API calls. */
function printTable(names: string[], lines: Array<Record<string, any>>, summary: string): void {
  const rows = new Map<string, number>();
  for (const m of lines) if (m.type === 'RECORD') rows.set(m.record.stream, (rows.get(m.record.stream) ?? 0) + 1);
  const table = names.map((name) => {
    // "prospects: COMPLETE, 261 rows, 5 windows, 5 exports, 25 API calls, 1.1 s" (query streams: pages).
    const m = new RegExp(`(?:^|; |: )${name}: \\w+, \\d+ rows, (\\d+) (windows|pages), (\\d+) exports, (\\d+) API calls`).exec(summary);
    return [name, m ? (m[2] === 'windows' ? 'export' : 'query') : '?', String(rows.get(name) ?? 0), m ? `${m[1]} ${m[1] === "1" ? m[2]!.slice(0, -1) : m[2]}` : "?", m?.[3] ?? '?', m?.[4] ?? '?'];
  });
  const head = ['stream', 'path', 'rows', 'windows / pages', 'exports', 'API calls'];
  const width = head.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((v, i) => (i < 2 ? v.padEnd(width[i]!) : v.padStart(width[i]!))).join('  ');
  console.log(line(head));
  for (const r of table) console.log(line(r));
  // The run's own calls (the daily budget, the timezone evidence, the custom field list) belong to no stream.
  const perStream = table.reduce((n, r) => n + (Number(r[5]) || 0), 0);
  const byKind = /API calls: ([^.]*)\./.exec(summary)?.[1] ?? '';
  const all = [...byKind.matchAll(/(\w+) (\d+)/g)].filter((m) => m[1] !== 'token').reduce((n, m) => n + Number(m[2]), 0);
  console.log(line(['(the run itself)', '', '', '', '', String(all - perStream)]));
  console.log(line(['total', '', String(table.reduce((n, r) => n + Number(r[2]), 0)), '', '', String(all)]));
}

async function main() {
  const now = Date.now();
  const start = new Date(now - 2 * 365 * 86_400_000);
  const timezone = 'America/New_York';
  const fake = await startFakePardot({
    userTimezone: timezone,
    data: generateData({ seed: 42, start, end: new Date(now - 5 * 60_000) }),
    // The v5 query objects (campaigns, lists, users, ...), with a token cap of 25 records so the
    // query streams show their continuation past Pardot's cap (100,000 for real).
    queryObjects: fakeQueryObjects({ seed: 42, start, end: new Date(now - 5 * 60_000), count: 60 }),
    queryTokenCap: 25,
    rowsPerFile: 100,
    pollsUntilComplete: 2,
  });
  const dir = mkdtempSync(join(tmpdir(), 'pardot-demo-'));
  // Ctrl-C mid-run: the children stop with the terminal's signal; the folder goes too.
  process.once('SIGINT', () => {
    rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  });
  try {
    const config = {
      client_id: 'test-client-id',
      client_secret: 'test-client-secret',
      refresh_token: 'test-refresh-token',
      pardot_business_unit_id: '0Uv000000000001AAA',
      start_date: start.toISOString(),
      timezone,
      window_days: 180,
      api_base_url: fake.url,
      auth_base_url: fake.url,
      poll_interval_seconds: 0.05,
      poll_max_interval_seconds: 0.2,
      // Bounds the per-window call estimate (polls up to this deadline) the API call ceiling uses.
      export_timeout_minutes: 2,
    };
    const configPath = join(dir, 'config.json');
    writeFileSync(configPath, JSON.stringify(config, null, 2), { mode: 0o600 });
    console.log(`Fake Pardot on ${fake.url} (API user timezone ${timezone}), data from ${start.toISOString().slice(0, 10)}.`);
    console.log(`Config for it: ${configPath}; the catalog goes next to it (the folder is removed at the end).\n`);

    const disc = await run(['discover', '--config', configPath]);
    const streams = disc.lines.find((m) => m.type === 'CATALOG')?.catalog.streams as Array<{ name: string; supported_sync_modes: string[] }>;
    if (disc.code !== 0 || !streams) throw new Error('discover failed');
    console.log(`discover: ${streams.length} streams: ${streams.map((s) => s.name).join(', ')}`);

    const catalogPath = join(dir, 'catalog.json');
    const cat = await run(['catalog', '--config', configPath], catalogPath);
    if (cat.code !== 0) throw new Error('catalog failed');
    console.log(`catalog: every stream, incremental where the stream supports it (append_dedup on id), in ${catalogPath}`);
    // The fake's counters before the read, so the figures below are the read's alone (discover and
    // catalog made calls too).
    const before = { ...fake.stats.calls, total: fake.stats.totalApiCalls };
    const t0 = Date.now();
    const read = await run(['read', '--config', configPath, '--catalog', catalogPath]);
    const secs = (Date.now() - t0) / 1000;
    const error = read.lines.find((m) => m.type === 'TRACE' && m.trace.type === 'ERROR');
    if (read.code !== 0 || error) throw new Error(`read failed: ${error?.trace.error.message ?? `exit ${read.code}`}`);

    console.log(`read: ${secs.toFixed(1)} s\n`);
    const sample = read.lines.find((m) => m.type === 'RECORD' && m.record.stream === 'prospects');
    if (sample) {
      const d = sample.record.data as Record<string, unknown>;
      const some = Object.fromEntries(Object.entries(d).filter(([, v]) => v !== null).slice(0, 8));
      console.log(`one RECORD (prospects; ${Object.keys(some).length} of its ${Object.keys(d).length} fields shown):\n  ${JSON.stringify(some)}\n`);
    }
    const summary = read.lines.filter((m) => m.type === 'LOG' && m.log.message.startsWith('Sync summary')).at(-1)?.log.message as string | undefined;
    printTable(streams.map((s) => s.name), read.lines, summary ?? '');
    const c = fake.stats.calls;
    const kinds = (['account', 'create', 'read', 'download', 'cancel', 'query', 'objects'] as const).map((k) => `${k} ${c[k] - before[k]}`);
    console.log(
      `\n(the run itself): the daily budget, the timezone evidence and the custom field list, of no one stream.\n` +
        `API calls the fake counted during the read: ${fake.stats.totalApiCalls - before.total} (${kinds.join(', ')}), ` +
        `and ${c.token - before.token} token request(s), which Pardot does not count.`,
    );
    if (summary) console.log(`\nthe connector's own summary: ${summary}`);
  } finally {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`demo failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
