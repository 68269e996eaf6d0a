/**
 * CSV parser benchmark for src/extract (which parser csv.ts uses, and why).
 *
 *   npm run build && node dist/bench/parsers.js [rows=200000] [runs=3]
 *
 * Generates prospect-like rows (70 columns: 44 String, 10 Integer, 8 Boolean, 8 DateTime; quoted
 * text with commas, doubled quotes and line breaks, empty cells, non-ASCII text) in memory, cut
 * into 64 KiB Buffer chunks like a download, and prints rows/s (best of `runs`) for:
 *   - csv-parse (columns: false) streaming, parse only and parse + our encoder
 *   - uDSV streaming (optional package `udsv`: skipped when not installed)
 *   - our string scanner (CsvScanner), parse only; the string path (CsvScanner +
 *     compileRowEncoder) parse + encode; and with a `new Function` unrolled encoder (does
 *     codegen pay?)
 *   - our byte path (ByteCsvEncoder via extractCsv): parse + encode fused, the one in use
 *   - the plain baseline: csv-parse columns: true + JSON.stringify (no typing)
 * One process, one core; JIT warm-up run first.
 */
import { parse as csvParse } from 'csv-parse';
import { Readable } from 'node:stream';
import { CsvScanner, extractCsv, extractCsvStrings } from '../src/extract/csv.js';
import { compileRowEncoder, type RowEncoder } from '../src/extract/encode.js';
import { createWallTimeConverter } from '../src/extract/timezone.js';
import { MULTI_VALUE_CELL } from '../src/pardot/wire.js';
import type { FieldDef, PardotType } from '../src/streams.js';

const ROWS = Number(process.argv[2] ?? 200_000);
const RUNS = Number(process.argv[3] ?? 3);
const CHUNK = 64 * 1024;
const TZ = 'America/New_York';
const SRC = { stream: 'prospects', exportId: 'bench', file: 'bench.csv', multiValue: MULTI_VALUE_CELL };

// 70 columns in the proportions of the prospect object.
const FIELDS: FieldDef[] = [];
const add = (type: PardotType, n: number, prefix: string): void => {
  for (let i = 0; i < n; i++) FIELDS.push({ name: `${prefix}${i}`, type });
};
add('Integer', 10, 'int');
add('String', 44, 'str');
add('Boolean', 8, 'bool');
add('DateTime', 8, 'date');
// Interleave types like a real header (id first, strings, dates scattered).
FIELDS.sort((a, b) => (a.name.length * 7 + a.name.charCodeAt(a.name.length - 1)) % 11 - (b.name.length * 7 + b.name.charCodeAt(b.name.length - 1)) % 11);

let seed = 42;
function rnd(n: number): number {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed % n;
}
const WORDS = ['alpha', 'beta', 'Müller', 'O\'Brien', 'São Paulo', 'naïve', 'data', 'sales', 'Acme, Inc.', '東京', 'engineer', 'VP "Ops"'];

function cellFor(type: PardotType, row: number): string {
  if (rnd(10) < 3) return ''; // nulls
  switch (type) {
    case 'Integer':
      return String(row * 7 + rnd(100000));
    case 'Boolean':
      return rnd(2) ? 'true' : 'false';
    case 'DateTime': {
      const d = 1 + rnd(28);
      return `202${rnd(5)}-${String(1 + rnd(12)).padStart(2, '0')}-${String(d).padStart(2, '0')} ${String(rnd(24)).padStart(2, '0')}:${String(rnd(60)).padStart(2, '0')}:${String(rnd(60)).padStart(2, '0')}`;
    }
    default: {
      const k = rnd(20);
      let s = '';
      const words = 1 + rnd(5);
      for (let i = 0; i < words; i++) s += (i ? ' ' : '') + (WORDS[rnd(WORDS.length)] as string);
      if (k === 0) s += '\nsecond line\r\nthird';
      if (k === 1) s = `${s}@example.com`;
      return /[",\r\n]/.test(s) || k < 3 ? `"${s.replace(/"/g, '""')}"` : s;
    }
  }
}

function generate(): Buffer[] {
  const parts: string[] = [FIELDS.map((f) => f.name).join(',') + '\r\n'];
  for (let r = 0; r < ROWS; r++) parts.push(FIELDS.map((f) => cellFor(f.type, r)).join(',') + '\r\n');
  const all = Buffer.from(parts.join(''), 'utf8');
  const chunks: Buffer[] = [];
  for (let i = 0; i < all.length; i += CHUNK) chunks.push(all.subarray(i, i + CHUNK));
  return chunks;
}

async function* body(chunks: Buffer[]): AsyncGenerator<Buffer> {
  for (const c of chunks) yield c;
}

type Runner = (chunks: Buffer[]) => Promise<number>;

const runners: [string, Runner][] = [];

runners.push([
  'csv-parse columns:false, parse only',
  async (chunks) => {
    let n = 0;
    const p = Readable.from(chunks, { objectMode: false }).pipe(csvParse({ columns: false }));
    for await (const _rec of p) n++;
    return n - 1;
  },
]);

runners.push([
  'csv-parse columns:false, parse + encode',
  async (chunks) => {
    let n = 0;
    let enc: RowEncoder | null = null;
    let sink = 0;
    const p = Readable.from(chunks, { objectMode: false }).pipe(csvParse({ columns: false }));
    for await (const rec of p as AsyncIterable<string[]>) {
      if (enc === null) {
        enc = compileRowEncoder(FIELDS, rec, TZ, SRC, SRC);
        continue;
      }
      sink += enc(rec, n + 2, null).length;
      n++;
    }
    if (sink === 0) throw new Error('no output');
    return n;
  },
]);

runners.push([
  'plain baseline: csv-parse columns:true + JSON.stringify',
  async (chunks) => {
    let n = 0;
    let sink = 0;
    const p = Readable.from(chunks, { objectMode: false }).pipe(csvParse({ columns: true }));
    for await (const rec of p) {
      sink += JSON.stringify(rec).length;
      n++;
    }
    if (sink === 0) throw new Error('no output');
    return n;
  },
]);

type UdsvParser = { chunk: (s: string, parse: unknown, onData: (row: string[]) => void) => void; stringArrs: unknown; end: () => unknown };
type Udsv = { inferSchema: (s: string) => unknown; initParser: (schema: unknown) => UdsvParser };
let udsv: Udsv | null = null;
try {
  const name = 'udsv';
  udsv = (await import(name)) as Udsv;
} catch {
  udsv = null;
}
if (udsv) {
  const u = udsv;
  const run = (encode: boolean): Runner =>
    async (chunks) => {
      let n = 0;
      let sink = 0;
      const dec = new TextDecoder();
      let parser: UdsvParser | null = null;
      let enc: RowEncoder | null = null;
      const onRow = (row: string[]): void => {
        if (encode) {
          enc ??= compileRowEncoder(FIELDS, FIELDS.map((f) => f.name), TZ, SRC, SRC);
          sink += enc(row, n + 2, null).length;
        }
        n++;
      };
      for await (const c of body(chunks)) {
        const s = dec.decode(c, { stream: true });
        parser ??= u.initParser(u.inferSchema(s));
        parser.chunk(s, parser.stringArrs, onRow);
      }
      parser?.end();
      if (encode && sink === 0) throw new Error('no output');
      return n;
    };
  runners.push(['uDSV stringArrs streaming, parse only', run(false)]);
  runners.push(['uDSV stringArrs streaming, parse + encode', run(true)]);
} else {
  console.log('(uDSV not installed: `npm install --no-save udsv` to include it)');
}

runners.push([
  'own CsvScanner, parse only',
  async (chunks) => {
    const sc = new CsvScanner(SRC);
    const dec = new TextDecoder('utf-8', { ignoreBOM: true });
    let n = 0;
    let cells = 0;
    for await (const c of body(chunks)) {
      sc.push(dec.decode(c, { stream: true }));
      while (sc.next()) {
        cells += sc.count;
        n++;
      }
    }
    sc.push(dec.decode());
    sc.end();
    while (sc.next()) n++;
    if (cells === 0) throw new Error('no cells');
    return n - 1;
  },
]);

runners.push([
  'own string path extractCsvStrings (parse + encode)',
  async (chunks) => {
    let n = 0;
    for await (const b of extractCsvStrings(body(chunks), { ...SRC, fields: FIELDS, timezone: TZ })) n += b.lines.length;
    return n;
  },
]);

runners.push([
  'own byte path extractCsv (parse + encode) [CHOSEN]',
  async (chunks) => {
    let n = 0;
    for await (const b of extractCsv(body(chunks), { ...SRC, fields: FIELDS, timezone: TZ })) n += b.lines.length;
    return n;
  },
]);

runners.push([
  'own byte path extractCsv, only 5 of 70 columns requested',
  async (chunks) => {
    let n = 0;
    const few = FIELDS.filter((f, i) => i % 14 === 0);
    for await (const b of extractCsv(body(chunks), { ...SRC, fields: few, timezone: TZ })) n += b.lines.length;
    return n;
  },
]);

// Code-generated (unrolled) encoder, to see whether `new Function` would pay.
function compileUnrolled(fields: readonly FieldDef[], header: string[], tz: string): (cells: string[]) => string {
  const conv = createWallTimeConverter(tz);
  const types = new Map(fields.map((f) => [f.name, f.type]));
  const helpers = {
    conv,
    int: (c: string): string => {
      if (!/^-?\d+$/.test(c)) throw new Error('bad');
      return c;
    },
    bool: (c: string): string => {
      const l = c.toLowerCase();
      if (l === 'true' || l === '1') return 'true';
      if (l === 'false' || l === '0') return 'false';
      throw new Error('bad');
    },
  };
  let code = 'let c; let out = "{";\n';
  let first = true;
  header.forEach((h, i) => {
    const t = types.get(h);
    if (!t) return;
    const key = JSON.stringify((first ? '' : ',') + JSON.stringify(h) + ':');
    first = false;
    const v =
      t === 'String'
        ? 'JSON.stringify(c)'
        : t === 'Integer'
          ? 'h.int(c)'
          : t === 'Boolean'
            ? 'h.bool(c)'
            : '(\'"\' + (h.conv(c) ?? (() => { throw new Error("bad"); })()) + \'"\')';
    code += `c = cells[${i}]; out += ${key} + (c.length === 0 ? "null" : ${v});\n`;
  });
  code += 'return out + "}";';
  const fn = new Function('h', 'cells', code) as (h: unknown, cells: string[]) => string;
  return (cells) => fn(helpers, cells);
}

runners.push([
  'own CsvScanner + new Function unrolled encoder',
  async (chunks) => {
    const sc = new CsvScanner(SRC);
    const dec = new TextDecoder('utf-8', { ignoreBOM: true });
    let n = 0;
    let sink = 0;
    let enc: ((cells: string[]) => string) | null = null;
    const drain = (): void => {
      while (sc.next()) {
        if (enc === null) {
          enc = compileUnrolled(FIELDS, sc.cells.slice(0, sc.count), TZ);
          continue;
        }
        sink += enc(sc.cells).length;
        n++;
      }
    };
    for await (const c of body(chunks)) {
      sc.push(dec.decode(c, { stream: true }));
      drain();
    }
    sc.push(dec.decode());
    sc.end();
    drain();
    if (sink === 0) throw new Error('no output');
    return n;
  },
]);

async function main(): Promise<void> {
  const t0 = performance.now();
  const chunks = generate();
  const bytes = chunks.reduce((a, c) => a + c.length, 0);
  console.log(
    `${ROWS} rows x ${FIELDS.length} columns, ${(bytes / 1e6).toFixed(1)} MB in ${chunks.length} chunks of 64 KiB (generated in ${((performance.now() - t0) / 1000).toFixed(1)} s); node ${process.version}; best of ${RUNS}`,
  );
  const warm = chunks.slice(0, Math.min(chunks.length, 80));
  for (const [name, run] of runners) {
    // Warm-up on the first ~5 MB (the last chunk cut mid-row is fine for csv-parse? use whole rows).
    try {
      await run(warm);
    } catch {
      /* a cut row at the end of the warm-up slice may fail: ignore */
    }
    let best = Infinity;
    let rows = 0;
    try {
      for (let i = 0; i < RUNS; i++) {
        const s = performance.now();
        rows = await run(chunks);
        const ms = performance.now() - s;
        if (ms < best) best = ms;
      }
      if (rows !== ROWS) throw new Error(`${rows} rows, expected ${ROWS}`);
    } catch (e) {
      console.log(`${name.padEnd(52)} FAILED: ${(e instanceof Error ? e.message : String(e)).slice(0, 160)}`);
      continue;
    }
    const rps = Math.round(rows / (best / 1000));
    console.log(`${name.padEnd(52)} ${String(rps).padStart(9)} rows/s  ${(bytes / 1e6 / (best / 1000)).toFixed(0).padStart(4)} MB/s`);
  }
}

await main();
