/**
 * Joins the CSV files of several exports of the same rows (each with the key and the cursor, and
 * its own share of the other columns) into ONE CSV document, one row per key, with memory bounded
 * whatever the row count: a grace hash join through temporary files.
 *
 * 1. Spill: every row of every part is parsed (CsvScanner) and appended, as a length-prefixed
 *    record (key, cursor, the row's other cells re-encoded as CSV text), to the file of its key's
 *    hash partition for that part. Writes are buffered per partition and go out through one queue.
 * 2. Join: partition by partition, the parts' files are read whole (a partition larger than
 *    MAX_PARTITION_BYTES is first split again by another hash, recursively) and each key that every
 *    part has with the same cursor becomes one CSV row: key, cursor, then each part's cells.
 *    Memory: about one partition's bytes at a time.
 * 3. Stragglers: a key missing from a part, or whose cursor differs between parts (the row changed
 *    between the part exports), is not joined; the newest cursor text seen for it is reported so
 *    the caller can re-read from there (export-read.ts documents the rule).
 *
 * Knows no Pardot: keys, cursors and columns are names given by the caller. The temporary folder
 * is removed by close(), which the caller calls in a finally.
 */
import { join as joinPath } from 'node:path';
import { CsvScanner } from './csv.js';
import type { CsvSource } from './types.js';
import { ConnectorError } from '../errors.js';

// node:fs/promises and node:os load on first use, not at every start of the executable (README
// "Performance": start-up): only a split window needs them.
const fsp = (): typeof import('node:fs/promises') => process.getBuiltinModule('node:fs/promises');

/** Hash partitions of the first level. */
export const SPILL_PARTITIONS = 128;
/** A partition whose files hold more bytes than this is split again (16 ways) before it is joined. */
export const MAX_PARTITION_BYTES = 48 * 1024 * 1024;
const RESPLIT_FANOUT = 16;
const MAX_DEPTH = 4;
/** Buffered bytes of one partition before they are appended to its file, and of all partitions. */
const FLUSH_PARTITION_BYTES = 64 * 1024;
const FLUSH_TOTAL_BYTES = 8 * 1024 * 1024;
/** Bytes of joined CSV per chunk handed to the extraction. */
const OUT_CHUNK_BYTES = 256 * 1024;

export interface JoinStats {
  /** Rows joined (emitted). */
  joined: number;
  /** Keys not joined: missing from a part, or cursors differ. */
  stragglers: number;
  /** Rows seen per part (duplicates of a key within a part count once, the first kept). */
  rowsPerPart: number[];
  /**
   * The earliest, over stragglers, of the newest cursor text seen for each among the parts (wall
   * times of one format compare as text); null when there is none. One value, whatever their count.
   */
  stragglerCursor: string | null;
  /** Bytes written to temporary files. */
  spilledBytes: number;
}

/** FNV-1a of a string, seeded. */
function hashKey(s: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const NEEDS_QUOTE = /[",\r\n]/;
function csvCell(v: string): string {
  return NEEDS_QUOTE.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** A length-prefixed record: u32 key bytes, key, u32 cursor bytes, cursor, u32 rest bytes, rest. */
function encodeRecord(key: string, cursor: string, rest: string): Buffer {
  const kl = Buffer.byteLength(key);
  const cl = Buffer.byteLength(cursor);
  const rl = Buffer.byteLength(rest);
  const b = Buffer.allocUnsafe(12 + kl + cl + rl);
  let o = 0;
  b.writeUInt32LE(kl, o);
  o += 4;
  o += b.write(key, o);
  b.writeUInt32LE(cl, o);
  o += 4;
  o += b.write(cursor, o);
  b.writeUInt32LE(rl, o);
  o += 4;
  b.write(rest, o);
  return b;
}

interface Rec {
  key: string;
  cursor: string;
  rest: Buffer;
}

function* decodeRecords(b: Buffer): Generator<Rec> {
  let o = 0;
  while (o < b.length) {
    const kl = b.readUInt32LE(o);
    o += 4;
    const key = b.toString('utf8', o, o + kl);
    o += kl;
    const cl = b.readUInt32LE(o);
    o += 4;
    const cursor = b.toString('utf8', o, o + cl);
    o += cl;
    const rl = b.readUInt32LE(o);
    o += 4;
    const rest = b.subarray(o, o + rl);
    o += rl;
    yield { key, cursor, rest };
  }
}

/** Buffered appends to a set of files, written one at a time through a queue. */
class SpillWriter {
  private pending = new Map<string, Buffer[]>();
  private pendingBytes = new Map<string, number>();
  private total = 0;
  private queue: Promise<void> = Promise.resolve();
  private failed: unknown = null;
  written = 0;

  add(path: string, rec: Buffer): void {
    let list = this.pending.get(path);
    if (!list) {
      list = [];
      this.pending.set(path, list);
      this.pendingBytes.set(path, 0);
    }
    list.push(rec);
    const n = (this.pendingBytes.get(path) as number) + rec.length;
    this.pendingBytes.set(path, n);
    this.total += rec.length;
    if (n >= FLUSH_PARTITION_BYTES) this.flushOne(path);
  }

  /** Resolves once buffered bytes are under the bound (backpressure for the reader). */
  async settle(): Promise<void> {
    if (this.total >= FLUSH_TOTAL_BYTES) for (const p of [...this.pending.keys()]) this.flushOne(p);
    await this.queue;
    if (this.failed) throw this.failed;
  }

  async flushAll(): Promise<void> {
    for (const p of [...this.pending.keys()]) this.flushOne(p);
    await this.queue;
    if (this.failed) throw this.failed;
  }

  private flushOne(path: string): void {
    const list = this.pending.get(path);
    if (!list || list.length === 0) return;
    const data = Buffer.concat(list);
    this.pending.delete(path);
    this.pendingBytes.delete(path);
    this.total -= data.length;
    this.written += data.length;
    this.queue = this.queue.then(async () => {
      if (this.failed) return;
      try {
        const fh = await fsp().open(path, 'a');
        try {
          await fh.write(data);
        } finally {
          await fh.close();
        }
      } catch (e) {
        this.failed = e;
      }
    });
  }
}

export interface SpillJoinOptions {
  parts: number;
  /** Column names of the key and the cursor (in every part). */
  key: string;
  cursor: string;
  /** Parent folder of the temporary folder (default: the OS's). */
  tmpRoot?: string;
  partitions?: number;
  maxPartitionBytes?: number;
}

export class SpillJoin {
  private readonly writer = new SpillWriter();
  /** Per part: its header without the key and cursor columns (null until a file of it was read). */
  private readonly restHeaders: (string[] | null)[];
  private readonly partitions: number;
  private readonly maxPartitionBytes: number;
  readonly stats: JoinStats;

  private constructor(
    readonly dir: string,
    private readonly o: SpillJoinOptions,
  ) {
    this.partitions = o.partitions ?? SPILL_PARTITIONS;
    this.maxPartitionBytes = o.maxPartitionBytes ?? MAX_PARTITION_BYTES;
    this.restHeaders = Array.from({ length: o.parts }, () => null);
    this.stats = { joined: 0, stragglers: 0, rowsPerPart: Array.from({ length: o.parts }, () => 0), stragglerCursor: null, spilledBytes: 0 };
  }

  static async create(o: SpillJoinOptions): Promise<SpillJoin> {
    const dir = await fsp().mkdtemp(joinPath(o.tmpRoot ?? process.getBuiltinModule('node:os').tmpdir(), 'pardot-join-'));
    return new SpillJoin(dir, o);
  }

  private file(level: string, part: number): string {
    return joinPath(this.dir, `p${part}-${level}.bin`);
  }

  /**
   * Spills one CSV file of a part. `skipRows` data rows are skipped (a download resumed after a
   * cut); `onRow` counts rows as they are taken (so a retry knows how many to skip).
   */
  async addFile(part: number, body: AsyncIterable<Buffer | string>, src: CsvSource, skipRows = 0, onRow?: () => void): Promise<void> {
    const sc = new CsvScanner(src);
    const dec = new TextDecoder('utf-8', { ignoreBOM: false });
    let header: string[] | null = null;
    let keyCol = -1;
    let curCol = -1;
    let restCols: number[] = [];
    let skip = skipRows;
    const take = (): void => {
      while (sc.next()) {
        const cells = sc.cells;
        const n = sc.count;
        if (header === null) {
          header = cells.slice(0, n);
          keyCol = header.indexOf(this.o.key);
          curCol = header.indexOf(this.o.cursor);
          if (keyCol < 0 || curCol < 0) {
            throw new ConnectorError(
              'CSV_HEADER_MISSING_FIELD',
              `Export file ${src.file} of stream ${src.stream} (export ${src.exportId}) has no '${keyCol < 0 ? this.o.key : this.o.cursor}' column, which every part of a split export needs to join its rows. Report it with the export id.`,
              { context: { stream: src.stream, exportId: src.exportId, file: src.file, line: 1 } },
            );
          }
          restCols = header.map((_, i) => i).filter((i) => i !== keyCol && i !== curCol);
          const rest = restCols.map((i) => header![i] as string);
          const known = this.restHeaders[part];
          if (known === null || known === undefined) this.restHeaders[part] = rest;
          else if (known.join('\u0000') !== rest.join('\u0000')) {
            throw new ConnectorError(
              'CSV_HEADER_MISMATCH',
              `Export file ${src.file} of stream ${src.stream} (export ${src.exportId}) has other columns than the export's first file; its rows cannot be joined. Run again; if it repeats, report it with the export id.`,
              { context: { stream: src.stream, exportId: src.exportId, file: src.file, line: 1 } },
            );
          }
          continue;
        }
        if (n !== header.length) {
          throw new ConnectorError(
            'CSV_COLUMN_COUNT',
            `Export file ${src.file} of stream ${src.stream} (export ${src.exportId}), line ${sc.rowLine}: expected ${header.length} cells (as in the header), got ${n}. The file is malformed: run again; if it repeats, report it to Pardot support with the export id.`,
            { context: { stream: src.stream, exportId: src.exportId, file: src.file, line: sc.rowLine, expected: header.length, got: n } },
          );
        }
        if (skip > 0) {
          skip--;
          continue;
        }
        const key = cells[keyCol] as string;
        let rest = '';
        for (let j = 0; j < restCols.length; j++) rest += (j === 0 ? '' : ',') + csvCell(cells[restCols[j] as number] as string);
        this.writer.add(this.file(String(hashKey(key, 0) % this.partitions), part), encodeRecord(key, cells[curCol] as string, rest));
        onRow?.();
      }
    };
    for await (const chunk of body) {
      sc.push(typeof chunk === 'string' ? chunk : dec.decode(chunk, { stream: true }));
      take();
      await this.writer.settle();
    }
    sc.push(dec.decode());
    sc.end();
    take();
    await this.writer.settle();
  }

  /** The joined CSV document (header line, then one row per joined key), in chunks. Call once, after every addFile. */
  async *joined(): AsyncGenerator<Buffer> {
    await this.writer.flushAll();
    this.stats.spilledBytes = this.writer.written;
    // A part without any file has no row: then no key is complete and no CSV is written at all
    // (its stragglers are still counted below).
    const complete = this.restHeaders.every((h) => h !== null);
    const header = complete ? [this.o.key, this.o.cursor, ...this.restHeaders.flatMap((h) => h as string[])].map(csvCell).join(',') + '\n' : '';
    let out: Buffer[] = [];
    let outBytes = 0;
    let headerSent = false;
    for (let p = 0; p < this.partitions; p++) {
      for await (const r of this.joinPartition(String(p), 1)) {
        if (!headerSent) {
          headerSent = true;
          out.push(Buffer.from(header));
          outBytes += header.length;
        }
        out.push(r);
        outBytes += r.length;
        if (outBytes >= OUT_CHUNK_BYTES) {
          yield Buffer.concat(out);
          out = [];
          outBytes = 0;
        }
      }
    }
    if (outBytes > 0) yield Buffer.concat(out);
  }

  /** The joined rows of one partition (a too large one is split again first, then joined piece by piece). */
  private async *joinPartition(level: string, depth: number): AsyncGenerator<Buffer> {
    const parts = this.o.parts;
    const sizes = await Promise.all(Array.from({ length: parts }, (_, i) => fsp().stat(this.file(level, i)).then((s) => s.size, () => 0)));
    const total = sizes.reduce((a, b) => a + b, 0);
    if (total === 0) return;
    if (total > this.maxPartitionBytes && depth < MAX_DEPTH) {
      // Split again by another hash, then join the pieces one by one.
      for (let i = 0; i < parts; i++) {
        const path = this.file(level, i);
        if (sizes[i] === 0) continue;
        await this.resplit(path, level, i, depth);
      }
      for (let s = 0; s < RESPLIT_FANOUT; s++) yield* this.joinPartition(`${level}_${s}`, depth + 1);
      return;
    }
    const map = new Map<string, { cursor: string; rests: (Buffer | undefined)[]; newest: string; bad: boolean }>();
    for (let i = 0; i < parts; i++) {
      if (sizes[i] === 0) continue;
      const path = this.file(level, i);
      const buf = await fsp().readFile(path);
      await fsp().rm(path, { force: true });
      for (const r of decodeRecords(buf)) {
        let e = map.get(r.key);
        if (!e) {
          e = { cursor: r.cursor, rests: new Array(parts), newest: r.cursor, bad: false };
          map.set(r.key, e);
        }
        if (e.rests[i] !== undefined) continue; // a key twice in one part: the first is kept
        e.rests[i] = r.rest;
        this.stats.rowsPerPart[i]!++;
        if (r.cursor !== e.cursor) e.bad = true;
        if (r.cursor > e.newest) e.newest = r.cursor;
      }
    }
    const chunks: Buffer[] = [];
    for (const [key, e] of map) {
      let complete = !e.bad;
      for (let i = 0; i < parts && complete; i++) if (e.rests[i] === undefined) complete = false;
      if (!complete) {
        this.stats.stragglers++;
        if (this.stats.stragglerCursor === null || e.newest < this.stats.stragglerCursor) this.stats.stragglerCursor = e.newest;
        continue;
      }
      chunks.push(Buffer.from(`${csvCell(key)},${csvCell(e.cursor)}`));
      for (let i = 0; i < parts; i++) {
        const rest = e.rests[i] as Buffer;
        if (((this.restHeaders[i] as string[] | null) ?? []).length > 0) {
          chunks.push(COMMA_BUF);
          chunks.push(rest);
        }
      }
      chunks.push(LF_BUF);
      this.stats.joined++;
      if (chunks.length >= 4096) {
        yield Buffer.concat(chunks.splice(0));
      }
    }
    map.clear();
    if (chunks.length > 0) yield Buffer.concat(chunks);
  }

  private async resplit(path: string, level: string, part: number, depth: number): Promise<void> {
    const fh = await fsp().open(path, 'r');
    try {
      // Records are read in slices of the file so the split itself stays bounded.
      const size = (await fh.stat()).size;
      let pos = 0;
      let carry: Buffer = Buffer.alloc(0);
      const slice = Buffer.allocUnsafe(4 * 1024 * 1024);
      while (pos < size || carry.length > 0) {
        const { bytesRead } = pos < size ? await fh.read(slice, 0, slice.length, pos) : { bytesRead: 0 };
        pos += bytesRead;
        const buf = carry.length > 0 ? Buffer.concat([carry, slice.subarray(0, bytesRead)]) : Buffer.from(slice.subarray(0, bytesRead));
        let o = 0;
        for (;;) {
          if (o + 4 > buf.length) break;
          const kl = buf.readUInt32LE(o);
          if (o + 8 + kl > buf.length) break;
          const cl = buf.readUInt32LE(o + 4 + kl);
          if (o + 12 + kl + cl > buf.length) break;
          const rl = buf.readUInt32LE(o + 8 + kl + cl);
          const end = o + 12 + kl + cl + rl;
          if (end > buf.length) break;
          const key = buf.toString('utf8', o + 4, o + 4 + kl);
          const sub = hashKey(key, depth) % RESPLIT_FANOUT;
          this.writer.add(this.file(`${level}_${sub}`, part), Buffer.from(buf.subarray(o, end)));
          o = end;
        }
        carry = Buffer.from(buf.subarray(o));
        await this.writer.settle();
        if (bytesRead === 0 && carry.length > 0) throw new Error(`SpillJoin: truncated spill file ${path}`);
      }
      await this.writer.flushAll();
    } finally {
      await fh.close();
      await fsp().rm(path, { force: true });
    }
  }

  /** Removes the temporary folder (every spill file). Safe to call more than once. */
  async close(): Promise<void> {
    await fsp().rm(this.dir, { recursive: true, force: true });
  }
}

const COMMA_BUF = Buffer.from(',');
const LF_BUF = Buffer.from('\n');
