/**
 * Streaming CSV → JSON-text rows for Pardot export files.
 *
 * PARSER CHOICE, by measurement: `npm run build && node dist/bench/parsers.js` (bench/parsers.ts):
 * 200,000 prospect-like rows × 70 columns (44 String, 10 Integer, 8 Boolean, 8 DateTime; 30 %
 * empty; quoted text with commas, doubled quotes and CRLF inside; non-ASCII), 212.6 MB, CRLF
 * rows, 64 KiB Buffer chunks; Node 20.20, one process, best of 3, on this 2-core machine while
 * other sessions loaded it (load average 4-6, so absolute figures are low; ratios are what count):
 *
 *   csv-parse columns:false, parse only ..........................  18,100 rows/s   19 MB/s
 *   csv-parse columns:false + our string encoder ..................  15,800 rows/s   17 MB/s
 *   plain baseline: csv-parse columns:true + JSON.stringify .......  14,400 rows/s   15 MB/s
 *   uDSV 0.7.3 stringArrs streaming, parse only ................... 187,100 rows/s  199 MB/s
 *   uDSV + our string encoder ..................................... FAILS: splits a CRLF that
 *       falls across two chunks into a row end plus a '\n' at the start of the next cell
 *   own string scanner (CsvScanner), parse only ................... 130,400 rows/s  139 MB/s
 *   own string path (CsvScanner + compileRowEncoder) ..............  44,100 rows/s   47 MB/s
 *   own string scanner + `new Function` unrolled encoder ..........  79,200 rows/s   84 MB/s
 *   own BYTE PATH (ByteCsvEncoder, parse+encode fused) [USED] .....  85,300 rows/s   91 MB/s
 *   own byte path, 5 of the 70 columns requested .................. 308,600 rows/s  328 MB/s
 * (Runs vary by ±25 % with the machine's load: the byte path measured 85-93k on full rows.)
 *
 * extractCsv uses the hand-written byte path (bytes.ts): on parse + encode, the work the
 * connector actually does, it is 5-7x csv-parse and 2x our own string path; uDSV (faster than
 * our string scanner at parse only) is disqualified by the CRLF-across-chunks bug and would still
 * need a string encoder on top (then no faster than our string path plus its parse gain). No CSV
 * dependency is added. The 250,000 rows/s goal for these heavy ~1 KB rows was NOT reached on
 * this loaded machine (bare JS byte loops run at ~2-3 ns/byte here, the byte path at ~10 ns per
 * input byte); the cost is per byte, so narrower rows or fewer requested columns go faster
 * (710-byte rows: ~100-110k rows/s; 5 requested columns: >300k rows/s).
 *
 * The connector itself reads with extractCsvBytes (same encoder, but each batch stays UTF-8 bytes:
 * no string per row; with `frame`, each row already inside the protocol's record envelope) and,
 * with more than one usable CPU, runs it in worker threads (parallel.ts). End to end through the
 * CLI (`npm run bench`, bench/README.md), 1M-5M 70-column rows on this 2-core machine: 34k
 * records/s with string lines, 78k with bytes, 123-133k with the workers, ~190-200k once rows were
 * framed in the worker, batches moved instead of copied and key prefixes written as 4-byte words.
 *
 * The string path (CsvScanner + compileRowEncoder) is kept as the readable reference: a
 * differential test checks that both give identical lines and identical errors.
 *
 * Lenient where it costs nothing: blank lines between rows are skipped (they still count for
 * line numbers); a quote inside an unquoted cell is kept as text. Strict where data would be
 * lost: text after a closing quote (CSV_INVALID_CLOSING_QUOTE), a row whose cell count differs
 * from the header's (CSV_COLUMN_COUNT), a quote left open at end of file
 * (CSV_UNTERMINATED_QUOTE). Errors raised by the body iterable (network) pass through unchanged.
 * A VALUE that does not fit its field's type costs that cell only (invalidValues 'null', the
 * default: null, the record's meta.changes, the batch's notes; see notes.ts), or fails the file
 * with CSV_BAD_VALUE ('fail'): a live Pardot writes such values (zero dates, text in numbers).
 *
 * Line numbers are physical lines of the file, 1-based, the header being line 1; a row's line is
 * the one it starts on (line breaks inside quoted cells count: LF, CRLF, or lone CR).
 */
import { ByteCsvEncoder } from './bytes.js';
import { compileRowEncoder, type RowEncoder } from './encode.js';
import { badTimeZoneError, columnCountError, invalidClosingQuoteError, unterminatedQuoteError } from './messages.js';
import { checkMultiValue } from './multi.js';
import { BatchNotes } from './notes.js';
import { isValidTimeZone } from './timezone.js';
import type { CsvSource, EncodedRows, ExtractOptions, RowBatch } from './types.js';

const COMMA = 44;
const QUOTE = 34;
const LF = 10;
const CR = 13;

/** Line breaks in a quoted cell's text: LF, CRLF and lone CR each count once. */
function countBreaks(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === LF) n++;
    else if (c === CR && s.charCodeAt(i + 1) !== LF) n++;
  }
  return n;
}

/**
 * Incremental RFC 4180 scanner over decoded text. Feed text with `push`, mark the end with
 * `end()`, and call `next()` until it returns false: each true leaves one row in
 * `cells[0..count)` with its starting line in `rowLine`. A row not yet complete in the buffer
 * is re-scanned from its start once more text has come.
 */
export class CsvScanner {
  cells: string[] = [];
  count = 0;
  rowLine = 0;
  private buf = '';
  private pos = 0;
  /** Line number where the next row starts. */
  private line = 1;
  private eof = false;
  // Cached positions of the next ',' and '\n' at or after pos (len = none in the buffer).
  private nextComma = -1;
  private nextNl = -1;
  private bomChecked = false;

  constructor(private readonly src: CsvSource) {}

  /** Text not yet consumed (a partial row). */
  get pendingLength(): number {
    return this.buf.length - this.pos;
  }

  push(text: string): void {
    if (text.length === 0) return;
    if (!this.bomChecked) {
      this.bomChecked = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    this.buf = this.pos >= this.buf.length ? text : this.buf.slice(this.pos) + text;
    this.pos = 0;
    this.nextComma = -1;
    this.nextNl = -1;
  }

  end(): void {
    this.eof = true;
  }

  next(): boolean {
    const buf = this.buf;
    const len = buf.length;
    let p = this.pos;
    // Skip blank lines.
    for (;;) {
      if (p >= len) {
        this.pos = p;
        return false;
      }
      const c = buf.charCodeAt(p);
      if (c === LF) {
        p++;
        this.line++;
      } else if (c === CR && p + 1 < len && buf.charCodeAt(p + 1) === LF) {
        p += 2;
        this.line++;
      } else if (c === CR && p + 1 >= len) {
        // A CR at the end of the text: the start of a CRLF, or (at end of file) a stray one.
        if (!this.eof) {
          this.pos = p;
          return false;
        }
        p++;
      } else {
        break;
      }
    }
    this.pos = p;
    const eof = this.eof;
    const cells = this.cells;
    let n = 0;
    let breaks = 0;
    let nl = this.nextNl;
    if (nl < p) {
      nl = buf.indexOf('\n', p);
      if (nl === -1) nl = len;
    }
    let comma = this.nextComma;
    for (;;) {
      if (buf.charCodeAt(p) === QUOTE) {
        const open = p;
        let q = p + 1;
        let seg = q;
        let val = '';
        for (;;) {
          const e = buf.indexOf('"', q);
          if (e === -1) {
            if (eof) {
              throw unterminatedQuoteError(this.src, this.line, n + 1);
            }
            return false;
          }
          if (e + 1 >= len && !eof) return false; // could be the first half of a doubled quote
          if (buf.charCodeAt(e + 1) === QUOTE) {
            val += buf.slice(seg, e + 1);
            q = e + 2;
            seg = q;
            continue;
          }
          val = seg === open + 1 ? buf.slice(seg, e) : val + buf.slice(seg, e);
          p = e + 1;
          break;
        }
        if (nl < p) {
          breaks += countBreaks(val);
          nl = buf.indexOf('\n', p);
          if (nl === -1) nl = len;
        } else if (val.indexOf('\r') !== -1) {
          breaks += countBreaks(val);
        }
        cells[n++] = val;
        const c = buf.charCodeAt(p);
        if (c === COMMA) {
          p++;
          continue;
        }
        if (c === LF) {
          p++;
          break;
        }
        if (c === CR) {
          if (p + 1 < len) {
            if (buf.charCodeAt(p + 1) === LF) {
              p += 2;
              break;
            }
          } else if (!eof) {
            return false;
          } else {
            p++;
            break;
          }
        }
        if (p >= len) {
          if (!eof) return false;
          break;
        }
        throw invalidClosingQuoteError(this.src, this.line, n, buf.slice(p, p + 20));
      } else {
        if (comma < p) {
          comma = buf.indexOf(',', p);
          if (comma === -1) comma = len;
        }
        if (comma < nl) {
          cells[n++] = buf.slice(p, comma);
          p = comma + 1;
          continue;
        }
        if (nl === len) {
          // No line end in the buffer: the row is complete only at end of file.
          if (!eof) return false;
          let e = len;
          if (e > p && buf.charCodeAt(e - 1) === CR) e--;
          cells[n++] = buf.slice(p, e);
          p = len;
          break;
        }
        let e = nl;
        if (e > p && buf.charCodeAt(e - 1) === CR) e--;
        cells[n++] = buf.slice(p, e);
        p = nl + 1;
        break;
      }
    }
    this.nextComma = comma;
    this.nextNl = nl;
    this.pos = p;
    this.count = n;
    this.rowLine = this.line;
    this.line += 1 + breaks;
    return true;
  }
}

/** Decodes UTF-8 chunks (characters split across chunks included); strings pass through. */
function decoderFor(): { decode(chunk: Buffer | string): string; flush(): string } {
  const d = new TextDecoder('utf-8', { ignoreBOM: true });
  return {
    decode(chunk) {
      return typeof chunk === 'string' ? chunk : d.decode(chunk, { stream: true });
    },
    flush() {
      return d.decode();
    },
  };
}

/**
 * Streams a Pardot export CSV body into batches of JSON object texts (one per data row, keys =
 * requested fields in header order). Memory stays flat: one chunk, one partial row and one batch.
 * Errors from `body` propagate unchanged (the caller re-opens the download with `skipRows`);
 * parsing and coercion problems raise ConnectorError CSV_*.
 */
export async function* extractCsv(body: AsyncIterable<Buffer | string>, opts: ExtractOptions): AsyncGenerator<RowBatch> {
  const enc = encoderFor(opts);
  const chunks = new ChunkFeed(enc);
  const max = batchSizeOf(opts);
  let lines: string[] = [];
  for await (const chunk of readBody(body)) {
    if (chunk === null) chunks.end();
    else if (!chunks.push(chunk)) continue;
    while (enc.fill(lines, max)) {
      const out = lines;
      lines = [];
      yield enc.notes.attach<RowBatch>({ lines: out });
    }
  }
  if (lines.length > 0) yield enc.notes.attach<RowBatch>({ lines });
}

/**
 * extractCsv's fast twin, same rules and errors (the same ByteCsvEncoder): batches stay UTF-8
 * bytes (EncodedRows), so no string is made per row, and the protocol adapter copies them into
 * its output as they are. A batch ends at `batchSize` rows or `batchBytes` bytes. The body
 * handling is extractCsv's; the work per chunk is EncodedRowsFeeder's, which the worker-thread
 * path (parallel.ts) runs too, so both paths convert with the same code.
 */
export async function* extractCsvBytes(body: AsyncIterable<Buffer | string>, opts: ExtractOptions): AsyncGenerator<EncodedRows> {
  // Each batch is the encoder's output buffer itself; released batches' buffers are written on
  // again (no allocation or copy per batch, as in the worker path). Batches never released just
  // leave their buffer to the garbage collector.
  const spare: Buffer[] = [];
  const feeder = new EncodedRowsFeeder(opts, () => spare.pop() ?? Buffer.allocUnsafeSlow(OUT_BUFFER_BYTES));
  const ready: EncodedRows[] = [];
  const emit = (b: EncodedRows): void => {
    let out = true;
    const whole = Buffer.from(b.data.buffer, 0, b.data.buffer.byteLength);
    b.release = () => {
      if (!out) return;
      out = false;
      if (spare.length < OUT_BUFFERS && whole.length <= MAX_REUSED_BUFFER_BYTES) spare.push(whole);
    };
    ready.push(b);
  };
  for await (const chunk of readBody(body)) {
    if (chunk === null) feeder.end(emit);
    else feeder.push(chunk, emit);
    while (ready.length > 0) yield ready.shift()!;
  }
}

/** A batch of encoded rows ends once it holds this many bytes (after the row that crosses it). */
export const BATCH_BYTES = 256 * 1024;
/**
 * Size of an output buffer the encoder writes batches into: room for a full batch plus the 6
 * bytes per input byte the encoder reserves before a row (its worst case, \u00XX) for a 64 KiB
 * chunk and a partial row. Only the pages written are ever resident.
 */
export const OUT_BUFFER_BYTES = 2 * 1024 * 1024;
/** Output buffers kept for reuse (per worker, per inline file); a larger one, grown for a giant row, is let go. */
export const OUT_BUFFERS = 4;
export const MAX_REUSED_BUFFER_BYTES = 2 * OUT_BUFFER_BYTES;

/**
 * The synchronous core of extractCsvBytes: takes a body's chunks one by one and hands out each
 * batch as it completes. Long partial rows are held back until enough new bytes came (so
 * re-scanning a row that spans many chunks stays linear).
 */
export class EncodedRowsFeeder {
  private readonly enc: ByteCsvEncoder;
  private readonly chunks: ChunkFeed;
  private readonly max: number;
  private readonly maxBytes: number;

  /** `next`: hands each batch its output buffer instead of a copy (see ByteCsvEncoder.takeBatch). */
  constructor(
    opts: ExtractOptions,
    private readonly next?: () => Buffer,
  ) {
    this.enc = encoderFor(opts);
    this.chunks = new ChunkFeed(this.enc);
    if (next !== undefined) this.enc.setOutput(next());
    this.max = batchSizeOf(opts);
    this.maxBytes = Math.max(1, Math.floor(opts.batchBytes ?? BATCH_BYTES));
  }

  /** `transient`: the caller reuses the chunk's memory once push returns (it is copied). */
  push(value: Buffer | string, emit: (b: EncodedRows) => void, transient = false): void {
    if (!this.chunks.push(value, transient)) return;
    const enc = this.enc;
    while (enc.fill(null, this.max, this.maxBytes)) emit(enc.takeBatch(this.next));
  }

  /** Gives up the encoder's output buffer (with `next`: to put back where `next` takes from). */
  detachOutput(): Buffer {
    return this.enc.detachOutput();
  }

  end(emit: (b: EncodedRows) => void): void {
    const enc = this.enc;
    this.chunks.end();
    while (enc.fill(null, this.max, this.maxBytes)) emit(enc.takeBatch(this.next));
    if (enc.batchRows > 0) emit(enc.takeBatch(this.next));
  }
}

const batchSizeOf = (opts: ExtractOptions): number => Math.max(1, Math.floor(opts.batchSize ?? 1000));

function encoderFor(opts: ExtractOptions): ByteCsvEncoder {
  const skip = Math.max(0, Math.floor(opts.skipRows ?? 0));
  const src = sourceOf(opts);
  if (opts.fields.some((f) => f.type === 'DateTime') && !isValidTimeZone(opts.timezone)) throw badTimeZoneError(src, opts.timezone);
  return new ByteCsvEncoder(opts, src, skip);
}

/** The options' source, once the options a caller could get wrong are checked (programming errors: TypeError). */
function sourceOf(opts: ExtractOptions): CsvSource {
  checkMultiValue(opts.multiValue);
  if (opts.invalidValues !== undefined && opts.invalidValues !== 'null' && opts.invalidValues !== 'fail') {
    throw new TypeError(`ExtractOptions.invalidValues must be 'null' or 'fail', not ${JSON.stringify(opts.invalidValues)}`);
  }
  const w = opts.window;
  if (w !== undefined && !(Number.isFinite(w.start) && Number.isFinite(w.end) && typeof w.cursorField === 'string')) {
    throw new TypeError('ExtractOptions.window must be { start: epoch ms, end: epoch ms, cursorField: string }');
  }
  return { stream: opts.stream, exportId: opts.exportId, file: opts.file };
}

/**
 * A body's chunks, then null once it has ended. The body is iterated by hand (not for-await): an
 * error thrown by its next() propagates as it is and the body is not asked to return; an error of
 * the caller's or an early stop closes it. (The row loop lives in ByteCsvEncoder.fill, a plain
 * method that V8 optimizes like any hot function: the same loop inline in an async generator,
 * which runs once per file and so is never optimized, measured 3-4x slower.)
 */
async function* readBody(body: AsyncIterable<Buffer | string>): AsyncGenerator<Buffer | string | null> {
  const it = body[Symbol.asyncIterator]();
  let open = true;
  try {
    for (;;) {
      let r: IteratorResult<Buffer | string>;
      try {
        r = await it.next();
      } catch (e) {
        open = false;
        throw e;
      }
      if (r.done === true) {
        open = false;
        yield null;
        return;
      }
      yield r.value;
    }
  } finally {
    if (open) await it.return?.();
  }
}

/**
 * Hands body chunks to an encoder. While a long partial row (over 64 KiB) waits for its end, new
 * bytes are held back until they at least match it, so re-scanning a row that spans many chunks
 * stays linear.
 */
class ChunkFeed {
  private held: Buffer[] = [];
  private heldLen = 0;

  constructor(private readonly enc: ByteCsvEncoder) {}

  /**
   * False when the chunk was held back (nothing new to convert yet). `transient`: the caller
   * reuses the chunk's memory once push returns (it is copied).
   */
  push(value: Buffer | string, transient = false): boolean {
    let chunk = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    if (chunk.length === 0) return false;
    const pending = this.enc.pendingLength;
    if (pending > 65_536 && this.heldLen + chunk.length < pending) {
      this.held.push(transient ? Buffer.from(chunk) : chunk);
      this.heldLen += chunk.length;
      return false;
    }
    if (this.heldLen > 0) {
      this.held.push(chunk);
      chunk = Buffer.concat(this.held);
      this.held = [];
      this.heldLen = 0;
      transient = false;
    }
    this.enc.push(chunk, transient);
    return true;
  }

  end(): void {
    if (this.heldLen > 0) this.enc.push(Buffer.concat(this.held));
    this.held = [];
    this.heldLen = 0;
    this.enc.end();
  }
}

/**
 * The string path: TextDecoder + CsvScanner + compileRowEncoder, same contract as extractCsv.
 * Not used by the connector (slower, see the figures above); kept as the readable reference
 * that tests check the byte path against, and for the benchmark.
 */
export async function* extractCsvStrings(body: AsyncIterable<Buffer | string>, opts: ExtractOptions): AsyncGenerator<RowBatch> {
  const batchSize = Math.max(1, Math.floor(opts.batchSize ?? 1000));
  let skip = Math.max(0, Math.floor(opts.skipRows ?? 0));
  const src = sourceOf(opts);
  const sc = new CsvScanner(src);
  const dec = decoderFor();
  const notes = new BatchNotes();
  let encode: RowEncoder | null = null;
  let expected = 0;
  let lines: string[] = [];
  const drain = (): boolean => {
    while (sc.next()) {
      if (encode === null) {
        const header = sc.cells.slice(0, sc.count);
        expected = header.length;
        encode = compileRowEncoder(opts.fields, header, opts.timezone, src, opts);
        continue;
      }
      if (sc.count !== expected) throw columnCountError(src, sc.rowLine, expected, sc.count);
      if (skip > 0) {
        skip--;
        // Encoded all the same, for its errors (the byte path reads every row), its notes dropped.
        encode(sc.cells, sc.rowLine, null);
        continue;
      }
      lines.push(encode(sc.cells, sc.rowLine, notes));
      if (lines.length >= batchSize) return true;
    }
    return false;
  };
  for await (const chunk of body) {
    sc.push(dec.decode(chunk));
    while (drain()) {
      yield notes.attach<RowBatch>({ lines });
      lines = [];
    }
  }
  sc.push(dec.flush());
  sc.end();
  while (drain()) {
    yield notes.attach<RowBatch>({ lines });
    lines = [];
  }
  if (lines.length > 0) yield notes.attach<RowBatch>({ lines });
}
