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
import type { CsvSource } from './types.js';
import { ConnectorError } from '../errors.js';

// node:fs/promises and node:os load on first use, not at every start of the executable (README
// "Performance": start-up): only a split window needs them.
const fsp = (): typeof import('node:fs/promises') => process.getBuiltinModule('node:fs/promises');

/** Hash partitions of the first level. */
export const SPILL_PARTITIONS = 256;
/**
 * A partition whose files hold more bytes than this is split again (16 ways) before it is joined:
 * the join holds about two partitions' bytes at a time (one per shard), and a buffer's memory
 * counts ~2.7 times in RSS before V8 frees it (measured), so 16 MB keeps the join under ~100 MB
 * above the spill's own footprint whatever the row count.
 */
export const MAX_PARTITION_BYTES = 16 * 1024 * 1024;
const RESPLIT_FANOUT = 16;
const MAX_DEPTH = 4;
/** Buffered bytes of one partition before they are appended to its file, and of all partitions. */
const FLUSH_PARTITION_BYTES = 64 * 1024;
const FLUSH_TOTAL_BYTES = 16 * 1024 * 1024;
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
  /**
   * Like stragglerCursor, over the stragglers that a part has and an earlier part lacks, or whose
   * cursors differ: rows that may have changed into the window while its parts were made. A row
   * only missing from the later parts left the window after the earlier ones were made (its new
   * cursor lies past them), so it does not count here. null when there is none.
   */
  holdBackCursor: string | null;
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

/** A spill record: u32 key bytes, key, u32 cursor bytes, cursor, u32 rest bytes, rest (CSV cells). */
/** A record whose rest is byte ranges of `buf` joined by commas. */
function encodeRecordBytes(key: string, cursor: string, buf: Buffer, pieces: ReadonlyArray<readonly [number, number]>): Buffer {
  const kl = Buffer.byteLength(key);
  const cl = Buffer.byteLength(cursor);
  let rl = pieces.length > 0 ? pieces.length - 1 : 0;
  for (const [a, z] of pieces) rl += z - a;
  const out = Buffer.allocUnsafe(12 + kl + cl + rl);
  let o = 0;
  out.writeUInt32LE(kl, o);
  o += 4;
  o += out.write(key, o);
  out.writeUInt32LE(cl, o);
  o += 4;
  o += out.write(cursor, o);
  out.writeUInt32LE(rl, o);
  o += 4;
  for (let i = 0; i < pieces.length; i++) {
    if (i > 0) out[o++] = 0x2c;
    const [a, z] = pieces[i]!;
    o += buf.copy(out, o, a, z);
  }
  return out;
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

/**
 * Rows of CSV bytes (RFC 4180: quoted cells with commas, doubled quotes and line breaks; rows end
 * in LF or CRLF; blank lines skipped; a UTF-8 BOM stripped), with the bounds of a row's first
 * cells, found with Buffer#indexOf and never decoded but for the cells asked for.
 */
class RawRows {
  buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  private bomChecked = false;
  /** The row's bytes [rowStart, rowEnd), line end excluded. */
  rowStart = 0;
  rowEnd = 0;
  /** Cells bounded (quotes included): [cellStart[i], cellEnd[i]). */
  cells = 0;
  cellStart = new Int32Array(16);
  cellEnd = new Int32Array(16);
  /** Where the cells after those bounded start (-1: none). */
  tailStart = -1;

  constructor(private readonly src: CsvSource) {}

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.buf = this.pos < this.buf.length ? Buffer.concat([this.buf.subarray(this.pos), chunk]) : chunk;
    this.pos = 0;
  }

  /** The text of bounded cell i (quotes removed, doubled quotes undone). */
  cellText(i: number): string {
    const a = this.cellStart[i]!;
    const z = this.cellEnd[i]!;
    if (z > a && this.buf[a] === QUOTE) return this.buf.toString('utf8', a + 1, z - 1).replace(/""/g, '"');
    return this.buf.toString('utf8', a, z);
  }

  cellTexts(): string[] {
    return Array.from({ length: this.cells }, (_, i) => this.cellText(i));
  }

  /**
   * The next row, with its first `want` cells bounded (-1: every cell). False when no complete row
   * is in the buffer (more bytes needed), or at the end.
   */
  next(want: number, eof: boolean): boolean {
    const b = this.buf;
    const len = b.length;
    let p = this.pos;
    if (!this.bomChecked) {
      if (len - p < 3 && !eof) return false;
      this.bomChecked = true;
      if (b[p] === 0xef && b[p + 1] === 0xbb && b[p + 2] === 0xbf) p += 3;
    }
    while (p < len && (b[p] === LF || (b[p] === CR && p + 1 < len && b[p + 1] === LF))) p += b[p] === LF ? 1 : 2;
    this.pos = p;
    if (p >= len) return false;
    this.rowStart = p;
    this.tailStart = -1;
    let n = 0;
    for (;;) {
      if (want >= 0 && n === want) {
        // The cells asked for are bounded: the rest of the row is its tail, up to the line end.
        const end = this.lineEnd(p, eof);
        if (end < 0) return false;
        this.tailStart = p;
        this.finish(end);
        this.cells = n;
        return true;
      }
      if (n === this.cellStart.length) {
        const grow = (a: Int32Array) => {
          const x = new Int32Array(a.length * 2);
          x.set(a);
          return x;
        };
        this.cellStart = grow(this.cellStart);
        this.cellEnd = grow(this.cellEnd);
      }
      const cs = p;
      let ce: number;
      if (b[p] === QUOTE) {
        const close = this.closingQuote(p, eof);
        if (close < 0) return false;
        ce = close + 1;
        p = ce;
        if (p < len && b[p] !== COMMA && b[p] !== LF && b[p] !== CR) {
          throw new ConnectorError(
            'CSV_INVALID_CLOSING_QUOTE',
            `Export file ${this.src.file} of stream ${this.src.stream} (export ${this.src.exportId}): text follows the closing quote of a cell (${JSON.stringify(b.toString('utf8', p, Math.min(len, p + 20)))}); the file is not valid CSV. Report it to Pardot support with the export id.`,
            { context: { stream: this.src.stream, exportId: this.src.exportId, file: this.src.file } },
          );
        }
      } else {
        const comma = b.indexOf(COMMA, p);
        const nl = b.indexOf(LF, p);
        if (comma >= 0 && (nl < 0 || comma < nl)) ce = comma;
        else if (nl >= 0) ce = nl > p && b[nl - 1] === CR ? nl - 1 : nl;
        else {
          if (!eof) return false;
          ce = len > p && b[len - 1] === CR ? len - 1 : len;
        }
        p = ce;
      }
      this.cellStart[n] = cs;
      this.cellEnd[n] = ce;
      n++;
      if (p < len && b[p] === COMMA) {
        p++;
        continue;
      }
      // The row ends here: LF, CRLF, a CR at the very end, or the end of the file.
      if (p >= len) {
        if (!eof) return false;
        this.finish(len, len);
      } else if (b[p] === LF) this.finish(p, p + 1);
      else if (b[p] === CR && p + 1 < len && b[p + 1] === LF) this.finish(p, p + 2);
      else if (b[p] === CR && p + 1 >= len) {
        if (!eof) return false;
        this.finish(p, len);
      } else this.finish(p, p + 1);
      this.cells = n;
      return true;
    }
  }

  /** Sets the row's end (line end excluded) and where the next row starts. */
  private finish(end: number, next?: number): void {
    if (next === undefined) {
      // From lineEnd: `end` is the LF (or the buffer's end at eof).
      const b = this.buf;
      this.rowEnd = end > this.rowStart && b[end - 1] === CR ? end - 1 : end;
      this.pos = end < b.length ? end + 1 : end;
      return;
    }
    this.rowEnd = end;
    this.pos = next;
  }

  /** Position of the LF ending the row from p (quoted line breaks skipped), the end at eof, or -1: more bytes needed. */
  private lineEnd(p: number, eof: boolean): number {
    const b = this.buf;
    for (;;) {
      const nl = b.indexOf(LF, p);
      const q = b.indexOf(QUOTE, p);
      if (q < 0 || (nl >= 0 && nl < q)) {
        if (nl >= 0) return nl;
        return eof ? b.length : -1;
      }
      const close = this.closingQuote(q, eof);
      if (close < 0) return -1;
      p = close + 1;
    }
  }

  /** Position of the quote closing the quoted cell opening at q, or -1: more bytes needed. */
  private closingQuote(q: number, eof: boolean): number {
    const b = this.buf;
    const len = b.length;
    let s = q + 1;
    for (;;) {
      const e = b.indexOf(QUOTE, s);
      if (e < 0) {
        if (eof) {
          throw new ConnectorError(
            'CSV_UNTERMINATED_QUOTE',
            `Export file ${this.src.file} of stream ${this.src.stream} (export ${this.src.exportId}) ends inside a quoted cell: a quote is never closed. The file is cut short or malformed: run again; if it repeats, report it to Pardot support with the export id.`,
            { context: { stream: this.src.stream, exportId: this.src.exportId, file: this.src.file } },
          );
        }
        return -1;
      }
      if (e + 1 >= len && !eof) return -1; // could be the first of a doubled quote
      if (b[e + 1] === QUOTE) {
        s = e + 2;
        continue;
      }
      return e;
    }
  }
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
    this.stats = { joined: 0, stragglers: 0, rowsPerPart: Array.from({ length: o.parts }, () => 0), stragglerCursor: null, holdBackCursor: null, spilledBytes: 0 };
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
    // Rows are cut from the bytes (quotes respected) and only the key and the cursor are decoded:
    // the rest of a row is spilled as the bytes it came as (already valid CSV cells).
    const rows = new RawRows(src);
    let header: string[] | null = null;
    let keyCol = -1;
    let curCol = -1;
    let want = 0;
    let skip = skipRows;
    let row = 0;
    const take = (eof: boolean): void => {
      while (rows.next(header === null ? -1 : want, eof)) {
        row++;
        if (header === null) {
          header = rows.cellTexts();
          keyCol = header.indexOf(this.o.key);
          curCol = header.indexOf(this.o.cursor);
          if (keyCol < 0 || curCol < 0) {
            throw new ConnectorError(
              'CSV_HEADER_MISSING_FIELD',
              `Export file ${src.file} of stream ${src.stream} (export ${src.exportId}) has no '${keyCol < 0 ? this.o.key : this.o.cursor}' column, which every part of a split export needs to join its rows. Report it with the export id.`,
              { context: { stream: src.stream, exportId: src.exportId, file: src.file, line: 1 } },
            );
          }
          want = Math.max(keyCol, curCol) + 1;
          const rest = header.filter((_, i) => i !== keyCol && i !== curCol);
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
        if (rows.cells < want) {
          throw new ConnectorError(
            'CSV_COLUMN_COUNT',
            `Export file ${src.file} of stream ${src.stream} (export ${src.exportId}), data row ${row - 1}: expected ${header.length} cells (as in the header), got ${rows.cells}. The file is malformed: run again; if it repeats, report it to Pardot support with the export id.`,
            { context: { stream: src.stream, exportId: src.exportId, file: src.file, expected: header.length, got: rows.cells } },
          );
        }
        if (skip > 0) {
          skip--;
          continue;
        }
        const key = rows.cellText(keyCol);
        const cursor = rows.cellText(curCol);
        // The rest: the cells before `want` that are neither key nor cursor, then the row's tail.
        const buf = rows.buf;
        const pieces: Array<[number, number]> = [];
        for (let i = 0; i < want; i++) if (i !== keyCol && i !== curCol) pieces.push([rows.cellStart[i]!, rows.cellEnd[i]!]);
        if (rows.tailStart >= 0) pieces.push([rows.tailStart, rows.rowEnd]);
        this.writer.add(this.file(String(hashKey(key, 0) % this.partitions), part), encodeRecordBytes(key, cursor, buf, pieces));
        onRow?.();
      }
    };
    for await (const chunk of body) {
      rows.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
      take(false);
      await this.writer.settle();
    }
    take(true);
    await this.writer.settle();
  }

  /**
   * The joined CSV document (header line, then one row per joined key), in chunks; with `shards`,
   * only the hash partitions p with p % shards === shard (each shard a document with its header:
   * the shards may be read at once). Call once per shard, after every addFile.
   */
  async *joined(shard = 0, shards = 1): AsyncGenerator<Buffer> {
    await this.writer.flushAll();
    this.stats.spilledBytes = this.writer.written;
    // A part without any file has no row: then no key is complete and no CSV is written at all
    // (its stragglers are still counted below).
    const complete = this.restHeaders.every((h) => h !== null);
    const header = complete ? [this.o.key, this.o.cursor, ...this.restHeaders.flatMap((h) => h as string[])].map(csvCell).join(',') + '\n' : '';
    let out: Buffer[] = [];
    let outBytes = 0;
    let headerSent = false;
    for (let p = shard; p < this.partitions; p += shards) {
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
        if ((e.bad || !presentInPrefix(e.rests)) && (this.stats.holdBackCursor === null || e.newest < this.stats.holdBackCursor)) this.stats.holdBackCursor = e.newest;
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
      if (chunks.length >= 2048) {
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

/** Whether a key's parts form a prefix: present in parts 0..k-1 and absent from the rest (it left the window). */
function presentInPrefix(rests: readonly (Buffer | undefined)[]): boolean {
  let i = 0;
  while (i < rests.length && rests[i] !== undefined) i++;
  for (let j = i; j < rests.length; j++) if (rests[j] !== undefined) return false;
  return true;
}
