/**
 * The CSV extraction's memory over a large body (moved here from the test suite: a memory figure
 * on a loaded machine is a measurement, not a test). Prints figures.
 *
 *   npm run build && node --expose-gc dist/bench/extract-memory.js [--rows 1000000]
 *
 * Streams `--rows` generated rows (quoted cells with commas, doubled quotes and line breaks,
 * booleans, wall-time dates, integers) through extractCsv on this thread, 2,000 rows a chunk, and
 * prints the rows out, the seconds, and the heap growth after a full GC sampled every 100 batches
 * (with --expose-gc; without it, resident memory, which moves more). Holding the rows would take
 * about 170 MB per million. Exits non-zero only when a row is lost.
 */
import { parseArgs } from 'node:util';
import { extractCsv } from '../src/extract/index.js';
import type { FieldDef } from '../src/streams.js';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '1000000' } } });
const ROWS = Number(values.rows);
const PER_CHUNK = 2000;

const fields: FieldDef[] = [
  { name: 'id', type: 'Integer' },
  { name: 'email', type: 'String' },
  { name: 'notes', type: 'String' },
  { name: 'optedOut', type: 'Boolean' },
  { name: 'updatedAt', type: 'DateTime' },
  { name: 'score', type: 'Integer' },
];

async function* body(): AsyncGenerator<Buffer> {
  yield Buffer.from('id,email,notes,optedOut,updatedAt,score\n');
  for (let start = 0; start < ROWS; start += PER_CHUNK) {
    let s = '';
    for (let i = start; i < Math.min(ROWS, start + PER_CHUNK); i++) {
      s += `${i},user${i}@example.com,"note, with ""quotes""\nand a line",${i % 2 ? 'true' : 'false'},2024-0${(i % 9) + 1}-1${i % 10} 1${i % 10}:00:00,${i % 100}\n`;
    }
    yield Buffer.from(s);
  }
}

const gc = (globalThis as { gc?: () => void }).gc;
const measure = (): number => {
  gc?.();
  return gc ? process.memoryUsage().heapUsed : process.memoryUsage().rss;
};
const before = measure();
let peak = before;
let count = 0;
let batches = 0;
const t0 = performance.now();
const opts = { stream: 'prospects', exportId: 'bench', file: 'generated', fields, timezone: 'America/New_York', multiValue: { separator: ';', jsonArray: true } };
for await (const b of extractCsv(body(), opts)) {
  count += b.lines.length;
  if (++batches % 100 === 0) peak = Math.max(peak, measure());
}
const seconds = (performance.now() - t0) / 1000;
const what = gc ? 'heap after a full GC' : 'resident memory (run with --expose-gc for the heap)';
console.log(`extractCsv: ${count} rows in ${seconds.toFixed(1)} s (${Math.round(count / seconds)} rows/s)`);
console.log(`  ${what}: grew by at most ${((peak - before) / 1048576).toFixed(1)} MB`);
if (count !== ROWS) {
  console.error(`lost rows: ${ROWS - count}`);
  process.exitCode = 1;
}
