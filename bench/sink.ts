/**
 * The benchmark's counting sink, run as its own process (`node dist/bench/sink.js MODE ROWS
 * SAMPLE_EVERY`) with the measured program's stdout as its stdin, so that reading the output costs
 * the measured program's process nothing and the benchmark's own process (which also serves the
 * fake API) nothing either. It counts bytes and lines; in `records` mode it also checks each
 * RECORD message's id once (Airbyte or Singer envelope; ids 10,000,000 + i for i < ROWS) and keeps
 * every SAMPLE_EVERY-th record and every non-RECORD line. No line is held otherwise.
 * At the end of its input it prints one JSON summary line (SinkSummary) on its stdout.
 */
import { readSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

export const ID_BASE = 10_000_000;

export interface SinkSummary {
  bytes: number;
  lines: number;
  records: number;
  duplicates: number;
  badLines: number;
  missing: number;
  /** Wall-clock ms (performance.timeOrigin + now) of the first RECORD line / of the end of input. */
  firstRecordAtMs: number;
  endAtMs: number;
  /** CPU seconds this sink used (user + system). */
  cpuSeconds: number;
  /** Sample records as text, by row index. */
  samples: Array<[number, string]>;
  /** Every line that is not a RECORD (parsed). */
  others: Array<Record<string, any>>;
}

const wallNow = (): number => performance.timeOrigin + performance.now();

export class CountingSink {
  bytes = 0;
  lines = 0;
  records = 0;
  duplicates = 0;
  badLines = 0;
  firstRecordAtMs = 0;
  others: Array<Record<string, any>> = [];
  samples = new Map<number, string>();
  private seen: Uint8Array;
  private carry: Buffer | null = null;
  private static readonly REC = Buffer.from('{"type":"RECORD"');
  private static readonly SREC = Buffer.from('{"type":"RECORD","stream"');
  private static readonly ID = Buffer.from('{"id":');

  constructor(
    private readonly mode: 'records' | 'lines',
    private readonly rows: number,
    private readonly sampleEvery: number,
  ) {
    this.seen = new Uint8Array(mode === 'records' ? rows : 0);
  }

  write(chunk: Buffer): void {
    this.bytes += chunk.length;
    if (this.mode === 'lines') {
      // Count newlines only (a peer's output: checked by its line count).
      if (this.firstRecordAtMs === 0 && chunk.length > 0) this.firstRecordAtMs = wallNow();
      for (let p = chunk.indexOf(10); p !== -1; p = chunk.indexOf(10, p + 1)) this.lines++;
      return;
    }
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

  /**
   * Reads of a reused buffer: counts b[s, e) and handles its complete lines; returns where the
   * partial last line starts (the caller keeps those bytes in front of the next read).
   */
  scan(b: Buffer, s: number, e: number): number {
    this.bytes += e - s;
    if (this.mode === 'lines') {
      if (this.firstRecordAtMs === 0 && e > s) this.firstRecordAtMs = wallNow();
      for (let p = b.indexOf(10, s); p !== -1 && p < e; p = b.indexOf(10, p + 1)) this.lines++;
      return e;
    }
    let p = this.partialFrom;
    for (;;) {
      const nl = b.indexOf(10, s);
      if (nl === -1 || nl >= e) break;
      this.line(b, p, nl);
      p = nl + 1;
      s = p;
    }
    return p;
  }

  /** scan(): where the partial line starts (0 after the caller moved it to the front). */
  partialFrom = 0;

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
      if (this.firstRecordAtMs === 0) this.firstRecordAtMs = wallNow();
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
    for (let i = 0; i < this.seen.length; i++) if (!this.seen[i]) n++;
    return n;
  }

  summary(): SinkSummary {
    return {
      bytes: this.bytes,
      lines: this.lines,
      records: this.records,
      duplicates: this.duplicates,
      badLines: this.badLines,
      missing: this.mode === 'records' ? this.missing() : 0,
      firstRecordAtMs: this.firstRecordAtMs,
      endAtMs: wallNow(),
      cpuSeconds: ((u) => (u.user + u.system) / 1e6)(process.cpuUsage()),
      samples: [...this.samples],
      others: this.others,
    };
  }
}

function main(): void {
  const [mode, rows, every] = process.argv.slice(2);
  if (mode !== 'records' && mode !== 'lines') throw new Error('usage: sink.js records|lines ROWS SAMPLE_EVERY');
  const sink = new CountingSink(mode, Number(rows), Math.max(1, Number(every)));
  const done = (): void => {
    sink.end();
    process.stdout.write(JSON.stringify(sink.summary()) + '\n');
  };
  // Blocking reads into one reused buffer: a stream would allocate a Buffer per 64 KiB read
  // and cost the sink (and so the machine the measured program shares) ~2x the CPU.
  let buf = Buffer.allocUnsafeSlow(1 << 20);
  let have = 0; // a partial line kept at the front of buf
  for (;;) {
    if (have === buf.length) {
      const bigger = Buffer.allocUnsafeSlow(buf.length * 2);
      buf.copy(bigger, 0, 0, have);
      buf = bigger;
    }
    let n: number;
    try {
      n = readSync(0, buf, have, buf.length - have, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        // A non-blocking stdin: read it as a stream instead.
        process.stdin.on('data', (c: Buffer) => sink.write(c));
        process.stdin.on('end', done);
        return;
      }
      if (code === 'EOF') break;
      throw e;
    }
    if (n === 0) break;
    sink.partialFrom = 0;
    const rest = sink.scan(buf, have, have + n);
    have = have + n - rest;
    if (have > 0 && rest > 0) buf.copyWithin(0, rest, rest + have);
  }
  if (have > 0) {
    // A last line without '\n' (its bytes were counted by scan()).
    sink.bytes -= have;
    sink.write(Buffer.from(buf.subarray(0, have)));
  }
  done();
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
