/**
 * The worker's share of the work, alone, in one thread: EncodedRowsFeeder (parse + encode into the
 * Airbyte record envelope, reused output buffers, 64 KiB input chunks copied as from the input
 * ring) over CSV files, with its CPU time. For deciding whether an encoder change helps: run it
 * before and after, on the same files (it prints CPU seconds, so the machine's load matters less).
 *
 *   node dist/bench/encoder.js FILE.csv [more files] [--runs 3] [--tz America/Los_Angeles]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { EncodedRowsFeeder, OUT_BUFFER_BYTES } from '../src/extract/csv.js';
import { MULTI_VALUE_CELL } from '../src/pardot/wire.js';
import { EXPORT_STREAMS } from '../src/streams.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { runs: { type: 'string', default: '3' }, tz: { type: 'string', default: 'America/Los_Angeles' } },
});
const stream = EXPORT_STREAMS.find((s) => s.name === 'prospects')!;
const files = positionals.map((f) => readFileSync(f));
const bytes = files.reduce((a, f) => a + f.length, 0);
const frame = { head: '{"type":"RECORD","record":{"stream":"prospects","data":', tail: ',"emitted_at":1700000000000}}\n' };
const CHUNK = 64 * 1024;
const slot = Buffer.allocUnsafeSlow(CHUNK);
const spare = [Buffer.allocUnsafeSlow(OUT_BUFFER_BYTES), Buffer.allocUnsafeSlow(OUT_BUFFER_BYTES)];
for (let r = 0; r < Number(values.runs); r++) {
  let rows = 0;
  let out = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (const f of files) {
    const pool = [...spare];
    const feeder = new EncodedRowsFeeder(
      { stream: 'prospects', exportId: 'bench', file: 'f', fields: stream.fields, timezone: values.tz, multiValue: MULTI_VALUE_CELL, frame },
      () => pool.pop() ?? Buffer.allocUnsafeSlow(OUT_BUFFER_BYTES),
    );
    const emit = (b: { data: Buffer; ends: Uint32Array }): void => {
      rows += b.ends.length;
      out += b.data.length;
      pool.push(Buffer.from(b.data.buffer as ArrayBuffer)); // "written": back to the pool
    };
    for (let p = 0; p < f.length; p += CHUNK) {
      const n = f.copy(slot, 0, p, Math.min(f.length, p + CHUNK));
      feeder.push(slot.subarray(0, n), emit, true);
    }
    feeder.end(emit);
  }
  const c = process.cpuUsage(c0);
  const cpu = (c.user + c.system) / 1e6;
  const wall = (performance.now() - t0) / 1000;
  console.log(`run ${r + 1}: ${rows} rows, ${(bytes / 1e6).toFixed(0)} MB in, ${(out / 1e6).toFixed(0)} MB out: CPU ${cpu.toFixed(2)} s (${(bytes / 1e6 / cpu).toFixed(1)} MB/s, ${Math.round(rows / cpu)} rows/s of CPU), wall ${wall.toFixed(2)} s`);
}
