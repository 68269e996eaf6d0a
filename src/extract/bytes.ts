/**
 * Byte-level CSV parser fused with the row encoder: reads the UTF-8 bytes of the download and
 * writes each row's JSON object text straight into a reusable output buffer, one pass, no cell
 * strings. Only the finished line becomes a string (Buffer#toString, UTF-8). This is the path
 * extractCsv uses; see csv.ts for the measurements that chose it.
 *
 * Same rules as the string path (CsvScanner + compileRowEncoder, kept as the readable reference
 * and checked against this one by a differential test):
 *   - RFC 4180: quoted cells with commas, doubled quotes, LF/CR/CRLF inside; rows end in LF or
 *     CRLF; last row may lack a newline; UTF-8 BOM stripped; blank lines skipped.
 *   - Empty cell (or "") → null. Integer `-?\d+` (leading zeros stripped, big values kept
 *     exact), Boolean true/false/1/0 any case, DateTime via the zone's offset lookup, Date its
 *     `YYYY-MM-DD` part, String JSON-escaped (", \, control characters; every other byte, UTF-8
 *     included, copied as is).
 *   - A cell that does not convert: null, noted (the row's meta.changes when the frame has a
 *     meta; the batch's notes), or CSV_BAD_VALUE with invalidValues 'fail'. A zero date is null
 *     and noted in both modes. Noting is the rare path: a row without notes pays one store and
 *     one compare for it.
 * Invalid UTF-8 in the input becomes U+FFFD when the line is turned into a string, as a
 * non-fatal TextDecoder would do.
 *
 * Incomplete rows: when a row's end is not in the buffer yet, the row is abandoned and parsed
 * again from its start once more bytes have come (the caller makes re-scans of long rows rare).
 */
import type { FieldDef, PardotType } from '../streams.js';
import {
  badValueError,
  canonicalHeader,
  columnCountError,
  invalidClosingQuoteError,
  planHeader,
  unterminatedQuoteError,
} from './messages.js';
import { KIND, K_BOOLEAN, K_DATE, K_DATETIME, K_INTEGER, K_MULTI, K_NUMBER, K_SKIP, K_STRING } from './kinds.js';
import { parseMultiValueCell, separatorByte } from './multi.js';
import { BatchNotes, changeJson } from './notes.js';
import { createOffsetLookup, daysInMonth, offsetTextMs, wallToMs } from './timezone.js';
import { constantsText, type CsvSource, type EncodedRows, type ExtractOptions, type ExtractWindow, type MultiValueCell } from './types.js';

const COMMA = 0x2c;
const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
const BSL = 0x5c;

const HEX = '0123456789abcdef';
const NULL = Buffer.from('null');
/** 'null' as one little-endian 4-byte word. */
const NULL_WORD = NULL.readInt32LE(0);
const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');
const EMPTY = Buffer.alloc(0);
const CHANGES_OPEN = Buffer.from('{"changes":[');
const CHANGES_CLOSE = Buffer.from(']}');

/** What a row's note says: a value nulled (bad), a zero date nulled, a repeated wall time read by the default rule. */
const NOTE_BAD = 1;
const NOTE_ZERO = 2;
const NOTE_AMBIGUOUS = 3;

/** Outcome of scanning one row. */
const NEED_MORE = -1;

// Mutation testing (npm run mutation, docs/contributing.md) measures the cell conversion below
// (value() to the end of the file); the row scanner up to it is checked against the string path
// by the differential test in test/extract.test.ts instead, as mutating it costs hours per run.
// Stryker disable all
export class ByteCsvEncoder {
  /** Line number (1-based, header = 1) where the next row starts. */
  private line = 1;
  private buf: Buffer = EMPTY;
  /** The same memory as `buf`, for reading four bytes at a time. */
  private bv: DataView = viewOf(EMPTY);
  private pos = 0;
  private eof = false;
  private bomChecked = false;
  private out: Buffer = Buffer.allocUnsafeSlow(1 << 16);
  /** The same memory as `out`, for writing constant bytes four at a time. */
  private dv: DataView = viewOf(this.out);
  // Plan, set from the header.
  private header: string[] | null = null;
  private ncol = 0;
  private kinds: Uint8Array = new Uint8Array(0);
  private prefixes: Buffer[] = [];
  /**
   * The constant bytes of a row as packed segments (see Segments): segment c < ncol is column
   * c's key prefix (`,"name":`), ncol is head + '{', ncol + 1 is '}' + tail. Copying them with
   * 4-byte writes instead of a byte loop halved the cost of a 70-column row (the keys are ~70 %
   * of its output bytes).
   */
  private segs: Segments = packSegments([]);
  private names: string[] = [];
  private types: (PardotType | undefined)[] = [];
  private offsetFor: ((y: number, mo: number, d: number, h: number, mi: number, s: number) => string | null) | null = null;
  /** Line where the row being scanned starts. */
  private rowLine = 0;
  private skip: number;
  private readonly fields: readonly FieldDef[];
  private readonly tz: string;
  private readonly failOnBad: boolean;
  private readonly mv: MultiValueCell;
  /** The multi-value separator as one byte (-1: not one ASCII byte, cells read through a string). */
  private readonly sep: number;
  private readonly window: ExtractWindow | null;
  /** Column of the window's cursor field (a DateTime), or -1. */
  private cursorCol = -1;
  /** Output bytes a row may need beyond 6 per input byte (keys, values' growth, frame, meta). */
  private rowSlack = 0;
  /** The row's notes (at most one per column), kept until the row is complete: kind, column, raw bytes [s, e). */
  private nNotes = 0;
  private noteKind = new Uint8Array(0);
  private noteCol = new Int32Array(0);
  private noteS = new Int32Array(0);
  private noteE = new Int32Array(0);
  /** Notes of the rows converted since the last batch was taken. */
  readonly notes = new BatchNotes();

  constructor(
    opts: ExtractOptions,
    private readonly src: CsvSource,
    skipRows: number,
  ) {
    this.fields = opts.fields;
    this.tz = opts.timezone;
    this.skip = skipRows;
    this.failOnBad = opts.invalidValues === 'fail';
    this.mv = opts.multiValue;
    this.sep = separatorByte(opts.multiValue);
    this.window = opts.window ?? null;
    this.close = Buffer.from(`${constantsText(opts.constants)}}`, 'utf8');
    const frame = opts.frame;
    if (frame !== undefined) {
      this.head = Buffer.from(frame.head, 'utf8');
      this.tail = Buffer.from(frame.tail, 'utf8');
      this.framed = true;
      if (frame.meta !== undefined) this.meta = Buffer.from(frame.meta, 'utf8');
    }
  }

  /** Bytes mode: written before each row's `{` and after its `}` (the protocol's record envelope). */
  private head: Buffer = EMPTY;
  private tail: Buffer = EMPTY;
  private framed = false;
  /** Written after the `}` of a row with changes, before `{"changes":[...]}` and the tail (null: changes not written). */
  private meta: Buffer | null = null;
  /** The record's constant fields (ExtractOptions.constants) and its closing `}`. */
  private close: Buffer = Buffer.from('}');
  /** Per column, its meta.changes entry. */
  private changeTexts: Buffer[] = [];

  /** Bytes not consumed yet (a partial row). */
  get pendingLength(): number {
    return this.buf.length - this.pos;
  }

  /**
   * Takes the next bytes. The caller may reuse `chunk` once push returns only if it passes
   * `copy` (the bytes are then copied into the encoder's own buffer, as a partial row always is).
   */
  push(chunk: Buffer, copy = false): void {
    if (chunk.length === 0) return;
    const rest = this.buf.length - this.pos;
    if (rest <= 0 && !copy) {
      this.buf = chunk;
      this.bv = viewOf(chunk);
      this.pos = 0;
      return;
    }
    // The partial row left over, then the new bytes, in one reused buffer (no allocation per
    // chunk: the garbage of a new buffer per chunk showed up as tens of MB of RSS).
    const need = rest + chunk.length;
    let store = this.store;
    if (store.length < need) {
      store = Buffer.allocUnsafeSlow(Math.max(need, store.length * 2, 1 << 17));
      if (rest > 0) this.buf.copy(store, 0, this.pos);
    } else if (rest > 0) {
      if (this.buf.buffer === store.buffer) store.copyWithin(0, this.buf.byteOffset - store.byteOffset + this.pos, this.buf.byteOffset - store.byteOffset + this.buf.length);
      else this.buf.copy(store, 0, this.pos);
    }
    chunk.copy(store, rest);
    this.store = store;
    this.buf = store.subarray(0, need);
    this.bv = viewOf(this.buf);
    this.pos = 0;
  }

  private store: Buffer = EMPTY;

  end(): void {
    this.eof = true;
  }

  /**
   * Converts rows until `max` are ready (returns true) or the buffer holds no complete row
   * (returns false). With `lines`, each row becomes a string pushed there (the string API). With
   * `lines` null (bytes mode), rows stay UTF-8 bytes, back to back in the output buffer, until
   * takeBatch() hands them over; a batch also ends once it holds `maxBytes` bytes.
   */
  fill(lines: string[] | null, max: number, maxBytes = Infinity): boolean {
    if (!this.bomChecked) {
      const b = this.buf;
      if (b.length - this.pos < 3 && !this.eof) return false;
      this.bomChecked = true;
      if (b.length - this.pos >= 3 && b[this.pos] === 0xef && b[this.pos + 1] === 0xbb && b[this.pos + 2] === 0xbf) this.pos += 3;
    }
    const b = this.buf;
    const len = b.length;
    let p = this.pos;
    for (;;) {
      // Skip blank lines.
      if (p >= len) break;
      const c = b[p];
      if (c === LF) {
        p++;
        this.line++;
        continue;
      }
      if (c === CR) {
        if (p + 1 < len) {
          if (b[p + 1] === LF) {
            p += 2;
            this.line++;
            continue;
          }
        } else if (!this.eof) {
          break;
        } else {
          p++;
          continue;
        }
      }
      if (this.header === null) {
        const r = this.headerRow(p);
        if (r === NEED_MORE) break;
        p = r;
        continue;
      }
      // Output bound for any row in the buffer: 6 bytes per input byte (\u00XX), plus rowSlack.
      const need = this.oBase + 6 * (len - p) + this.rowSlack;
      if (this.out.length < need) this.grow(need);
      this.rowLine = this.line;
      this.nNotes = 0;
      const r = this.row(p);
      if (r === NEED_MORE) break;
      p = r;
      if (this.skip > 0) {
        this.skip--;
        continue;
      }
      if (this.nNotes !== 0) this.commitNotes();
      if (lines !== null) {
        lines.push(this.out.toString('utf8', 0, this.outLen));
        if (lines.length >= max) {
          this.pos = p;
          return true;
        }
      } else {
        if (this.ends.length === this.nEnds) this.ends = growEnds(this.ends);
        this.ends[this.nEnds++] = this.outLen;
        this.oBase = this.outLen;
        if (this.nEnds >= max || this.oBase >= maxBytes) {
          this.pos = p;
          return true;
        }
      }
    }
    this.pos = p;
    return false;
  }

  /** Bytes mode: the buffer to write rows into (it grows when a row might not fit). */
  setOutput(b: Buffer): void {
    this.out = b;
    this.dv = viewOf(b);
  }

  /** Bytes mode: gives up the output buffer (to reuse elsewhere); the encoder is done. */
  detachOutput(): Buffer {
    const b = this.out;
    this.setOutput(EMPTY);
    return b;
  }

  /** Bytes mode: rows converted since the last call (possibly none). */
  get batchRows(): number {
    return this.nEnds;
  }

  /**
   * Bytes mode: hands over the rows converted so far as one buffer (row k is
   * data[k ? ends[k-1] : 0, ends[k])) and starts a new batch. The batch is a copy of exactly its
   * bytes in its own unpooled ArrayBuffer (so it may be transferred to another thread), and the
   * worst-case-sized output buffer is kept for the next batch: memory and GC see only the bytes in use.
   * With `next`, the output buffer itself is handed over instead (see below).
   */
  takeBatch(next?: () => Buffer): EncodedRows {
    let data: Buffer;
    if (next === undefined) {
      data = Buffer.allocUnsafeSlow(this.oBase);
      this.out.copy(data, 0, 0, this.oBase);
    } else {
      // No copy: the batch is the output buffer itself (its own ArrayBuffer, from offset 0), and
      // `next` gives the one to write on (the worker's recycled buffers; grown if ever too small).
      data = this.out.subarray(0, this.oBase);
      this.setOutput(next());
    }
    const batch = this.notes.attach<EncodedRows>({ data, ends: this.ends.slice(0, this.nEnds) });
    this.oBase = 0;
    this.nEnds = 0;
    return batch;
  }

  private grow(need: number): void {
    const next = Buffer.allocUnsafeSlow(Math.max(need, this.out.length * 2));
    if (this.oBase > 0) this.out.copy(next, 0, 0, this.oBase);
    this.setOutput(next);
  }

  /** Bytes mode: start offset of the row being written, and the batch's row end offsets. */
  private oBase = 0;
  private ends: Uint32Array = new Uint32Array(256);
  private nEnds = 0;
  private outLen = 0;

  /** Parses the header row (cells as strings) and prepares the plan. */
  private headerRow(p0: number): number {
    const cells: string[] = [];
    const r = this.genericRow(p0, cells);
    if (r === NEED_MORE) return NEED_MORE;
    const header = canonicalHeader(this.fields, cells);
    const types = planHeader(this.fields, header, this.src);
    this.types = types;
    this.names = header;
    this.ncol = header.length;
    this.kinds = new Uint8Array(types.map((t) => (t === undefined ? K_SKIP : KIND[t])));
    let first = true;
    this.prefixes = header.map((h, i) => {
      if (types[i] === undefined) return EMPTY;
      const pre = Buffer.from(`${first ? '' : ','}${JSON.stringify(h)}:`, 'utf8');
      first = false;
      return pre;
    });
    this.segs = packSegments([...this.prefixes, Buffer.concat([this.head, Buffer.from('{')]), Buffer.concat([this.close, this.tail])]);
    if (types.includes('DateTime')) this.offsetFor = createOffsetLookup(this.tz);
    const w = this.window;
    this.cursorCol = w === null ? -1 : header.findIndex((h, i) => h === w.cursorField && types[i] === 'DateTime');
    const n = header.length;
    this.noteKind = new Uint8Array(n);
    this.noteCol = new Int32Array(n);
    this.noteS = new Int32Array(n);
    this.noteE = new Int32Array(n);
    let metaBytes = 0;
    if (this.meta !== null) {
      this.changeTexts = header.map((h) => Buffer.from(changeJson(h), 'utf8'));
      metaBytes = this.meta.length + CHANGES_OPEN.length + CHANGES_CLOSE.length + this.changeTexts.reduce((a, x) => a + x.length + 1, 0);
    }
    // Keys, then per column at most 40 bytes more than its input (quotes, null, a date's T and
    // offset), the frame, and a row's meta at its longest.
    this.rowSlack = this.prefixes.reduce((a, x) => a + x.length, 0) + 40 * n + 64 + this.head.length + this.tail.length + metaBytes;
    this.header = header;
    return r;
  }

  /**
   * Scans one row into string cells (header, and counting cells for errors). Returns the
   * position after the row or NEED_MORE. Counts line breaks inside quotes into this.line.
   */
  private genericRow(p0: number, cells: string[]): number {
    const b = this.buf;
    const len = b.length;
    const eof = this.eof;
    let p = p0;
    let breaks = 0;
    for (;;) {
      if (b[p] === QUOTE && p < len) {
        p++;
        let val = '';
        let seg = p;
        for (;;) {
          if (p >= len) {
            if (eof) throw unterminatedQuoteError(this.src, this.line, cells.length + 1);
            return NEED_MORE;
          }
          const c = b[p];
          if (c === QUOTE) {
            if (p + 1 >= len && !eof) return NEED_MORE;
            if (b[p + 1] === QUOTE) {
              val += b.toString('utf8', seg, p + 1);
              p += 2;
              seg = p;
              continue;
            }
            val += b.toString('utf8', seg, p);
            p++;
            break;
          }
          if (c === LF) breaks++;
          else if (c === CR) {
            if (p + 1 >= len && !eof) return NEED_MORE;
            if (b[p + 1] !== LF) breaks++;
          }
          p++;
        }
        cells.push(val);
        if (p >= len) {
          if (!eof) return NEED_MORE;
          break;
        }
        const c = b[p];
        if (c === COMMA) {
          p++;
          continue;
        }
        if (c === LF) {
          p++;
          break;
        }
        if (c === CR) {
          if (p + 1 >= len) {
            if (!eof) return NEED_MORE;
            p++;
            break;
          }
          if (b[p + 1] === LF) {
            p += 2;
            break;
          }
        }
        throw invalidClosingQuoteError(this.src, this.line, cells.length, b.toString('utf8', p, Math.min(len, p + 20)));
      }
      const s = p;
      let end = -1;
      while (p < len) {
        const c = b[p];
        if (c === COMMA || c === LF) {
          end = p;
          break;
        }
        if (c === CR) {
          if (p + 1 >= len) {
            if (!eof) return NEED_MORE;
          } else if (b[p + 1] === LF) {
            end = p;
            break;
          }
        }
        p++;
      }
      if (end === -1) {
        if (!eof) return NEED_MORE;
        let e = len;
        if (e > s && b[e - 1] === CR) e--;
        cells.push(b.toString('utf8', s, e));
        p = len;
        break;
      }
      cells.push(b.toString('utf8', s, end));
      const c = b[p];
      if (c === COMMA) {
        p++;
        continue;
      }
      p += c === CR ? 2 : 1;
      break;
    }
    this.line += 1 + breaks;
    return p;
  }

  /**
   * Scans and encodes one data row into this.out[0..outLen). Returns the position after the row
   * or NEED_MORE (nothing consumed).
   */
  private row(p0: number): number {
    const b = this.buf;
    const len = b.length;
    const eof = this.eof;
    const out = this.out;
    const kinds = this.kinds;
    const ncol = this.ncol;
    let p = p0;
    let o = this.oBase;
    let breaks = 0;
    let col = 0;
    const dv = this.dv;
    const bv = this.bv;
    const { words, wordAt, segLen } = this.segs;
    if (this.framed) {
      o = writeSegment(dv, o, this.segs, ncol); // head + '{'
    } else {
      out[o++] = 0x7b; // {
    }
    for (;;) {
      if (col >= ncol) {
        // More cells than the header: count them for the message.
        const cells: string[] = [];
        const saveLine = this.line;
        const r = this.genericRow(p0, cells);
        this.line = saveLine;
        if (r === NEED_MORE) return NEED_MORE;
        throw columnCountError(this.src, this.rowLine, ncol, cells.length);
      }
      const k = kinds[col] as number;
      if (k !== K_SKIP) {
        // The key prefix, as 4-byte words (the last one's padding is overwritten by what follows).
        for (let w = wordAt[col] as number, we = wordAt[col + 1] as number, q = o; w < we; w++, q += 4) dv.setInt32(q, words[w] as number, true);
        o += segLen[col] as number;
      }
      const oCell = o;
      let vs: number; // value bytes [vs, ve) for non-string kinds
      let ve: number;
      let doubled = false;
      if (b[p] === QUOTE && p < len) {
        p++;
        vs = p;
        if (k === K_STRING) out[o++] = QUOTE;
        for (;;) {
          if (k === K_STRING) {
            // Four plain bytes at a time while a word holds none of: control, '"', '\\'.
            while (p + 4 <= len) {
              const x = bv.getInt32(p, true);
              if (((x - 0x20202020) & ~x & 0x80808080) | (((x ^ 0x22222222) - 0x01010101) & ~(x ^ 0x22222222) & 0x80808080) | (((x ^ 0x5c5c5c5c) - 0x01010101) & ~(x ^ 0x5c5c5c5c) & 0x80808080)) break;
              dv.setInt32(o, x, true);
              o += 4;
              p += 4;
            }
            while (p < len) {
              const c = b[p] as number;
              if (c < 0x20 || c === QUOTE || c === BSL) break;
              out[o++] = c;
              p++;
            }
          } else {
            while (p < len) {
              const c = b[p] as number;
              if (c < 0x20 || c === QUOTE || c === BSL) break;
              p++;
            }
          }
          if (p >= len) {
            if (eof) throw unterminatedQuoteError(this.src, this.rowLine, col + 1);
            return NEED_MORE;
          }
          const c = b[p] as number;
          if (c >= 0x20 && c !== QUOTE && c !== BSL) {
            if (k === K_STRING) out[o++] = c;
            p++;
            continue;
          }
          if (c === QUOTE) {
            if (p + 1 >= len && !eof) return NEED_MORE;
            if (b[p + 1] === QUOTE) {
              doubled = true;
              if (k === K_STRING) {
                out[o++] = BSL;
                out[o++] = QUOTE;
              }
              p += 2;
              continue;
            }
            break;
          }
          if (c === LF) breaks++;
          else if (c === CR) {
            if (p + 1 >= len && !eof) return NEED_MORE;
            if (b[p + 1] !== LF) breaks++;
          }
          if (k === K_STRING) o = escapeByte(out, o, c);
          p++;
        }
        ve = p;
        p++; // closing quote
        if (k === K_STRING) {
          if (ve === vs) {
            dv.setInt32(oCell, NULL_WORD, true);
            o = oCell + 4;
          } else {
            out[o++] = QUOTE;
          }
        } else if (k !== K_SKIP) {
          // A doubled quote can only be text: it makes a typed cell bad.
          o = doubled && k !== K_MULTI ? this.bad(col, vs, ve, o) : this.value(k, col, vs, ve, o, doubled);
        }
        // After the closing quote: a comma, a row end, or the end of the file.
        if (p >= len) {
          if (!eof) return NEED_MORE;
          break;
        }
        const c = b[p];
        if (c === COMMA) {
          p++;
          col++;
          continue;
        }
        if (c === LF) {
          p++;
          break;
        }
        if (c === CR) {
          if (p + 1 >= len) {
            if (!eof) return NEED_MORE;
            p++;
            break;
          }
          if (b[p + 1] === LF) {
            p += 2;
            break;
          }
        }
        throw invalidClosingQuoteError(this.src, this.rowLine, col + 1, b.toString('utf8', p, Math.min(len, p + 20)));
      }
      // Unquoted cell: up to a comma, LF or CRLF (a lone CR is data).
      vs = p;
      let endsRow = false;
      let atEnd = false;
      if (k === K_STRING) out[o++] = QUOTE;
      for (;;) {
        // Tight runs of plain bytes first (copied for strings, skipped otherwise).
        if (k === K_STRING) {
          // Four plain bytes at a time while a word holds none of: control, ',', '"', '\\'.
          while (p + 4 <= len) {
            const x = bv.getInt32(p, true);
            if (
              ((x - 0x20202020) & ~x & 0x80808080) |
              (((x ^ 0x2c2c2c2c) - 0x01010101) & ~(x ^ 0x2c2c2c2c) & 0x80808080) |
              (((x ^ 0x22222222) - 0x01010101) & ~(x ^ 0x22222222) & 0x80808080) |
              (((x ^ 0x5c5c5c5c) - 0x01010101) & ~(x ^ 0x5c5c5c5c) & 0x80808080)
            )
              break;
            dv.setInt32(o, x, true);
            o += 4;
            p += 4;
          }
          while (p < len) {
            const c = b[p] as number;
            if (c < 0x20 || c === COMMA || c === QUOTE || c === BSL) break;
            out[o++] = c;
            p++;
          }
        } else {
          while (p < len) {
            const c = b[p] as number;
            if (c < 0x20 || c === COMMA || c === QUOTE || c === BSL) break;
            p++;
          }
        }
        if (p >= len) {
          if (!eof) return NEED_MORE;
          atEnd = true;
          break;
        }
        const c = b[p] as number;
        if (c >= 0x20 && c !== QUOTE && c !== BSL && c !== COMMA) {
          if (k === K_STRING) out[o++] = c;
          p++;
          continue;
        }
        if (c === COMMA) break;
        if (c === LF) {
          endsRow = true;
          break;
        }
        if (c === CR) {
          if (p + 1 >= len) {
            if (!eof) return NEED_MORE;
            // A CR ending the file ends the row.
            endsRow = true;
            break;
          }
          if (b[p + 1] === LF) {
            endsRow = true;
            break;
          }
        }
        if (k === K_STRING) o = escapeByte(out, o, c);
        p++;
      }
      ve = p;
      if (k === K_STRING) {
        if (ve === vs) {
          dv.setInt32(oCell, NULL_WORD, true);
          o = oCell + 4;
        }
        else out[o++] = QUOTE;
      } else if (k !== K_SKIP) {
        o = this.value(k, col, vs, ve, o);
      }
      if (atEnd) break;
      if (!endsRow) {
        p++; // comma
        col++;
        continue;
      }
      p += b[p] === CR ? (p + 1 < len ? 2 : 1) : 1;
      break;
    }
    if (col + 1 !== ncol) throw columnCountError(this.src, this.rowLine, ncol, col + 1);
    // With invalidValues 'fail', a bad cell fails once its row is whole (a row cut short is the structure's error, as on the string path).
    if (this.nNotes !== 0 && this.failOnBad) this.failOnBadNote();
    if (this.framed) {
      // '}' + tail, or with changes to say: '}' + meta + changes + tail.
      o = this.nNotes !== 0 && this.meta !== null ? this.closeWithMeta(o) : writeSegment(dv, o, this.segs, ncol + 1);
    } else {
      out[o++] = 0x7d; // }
    }
    this.outLen = o;
    this.line += 1 + breaks;
    return p;
  }

  // Stryker restore all
  /** Writes a non-string value from bytes [s, e) at o (`doubled`: the quoted cell holds `""` pairs); returns the new o. */
  private value(k: number, col: number, s: number, e: number, o: number, doubled = false): number {
    const b = this.buf;
    const out = this.out;
    if (s === e) {
      this.dv.setInt32(o, NULL_WORD, true);
      return o + 4;
    }
    if (k === K_INTEGER) {
      let i = s;
      const neg = b[i] === 0x2d;
      if (neg) i++;
      if (i === e) return this.bad(col, s, e, o);
      for (let j = i; j < e; j++) {
        const c = b[j] as number;
        if (c < 0x30 || c > 0x39) return this.bad(col, s, e, o);
      }
      while (i < e - 1 && b[i] === 0x30) i++;
      if (neg && !(e - i === 1 && b[i] === 0x30)) out[o++] = 0x2d;
      for (; i < e; i++) out[o++] = b[i] as number;
      return o;
    }
    if (k === K_BOOLEAN) {
      const n = e - s;
      if (n === 1) {
        if (b[s] === 0x31) return writeBytes(out, o, TRUE);
        if (b[s] === 0x30) return writeBytes(out, o, FALSE);
      } else if (n === 4) {
        if ((b[s]! | 0x20) === 0x74 && (b[s + 1]! | 0x20) === 0x72 && (b[s + 2]! | 0x20) === 0x75 && (b[s + 3]! | 0x20) === 0x65) {
          return writeBytes(out, o, TRUE);
        }
      } else if (n === 5) {
        if (
          (b[s]! | 0x20) === 0x66 &&
          (b[s + 1]! | 0x20) === 0x61 &&
          (b[s + 2]! | 0x20) === 0x6c &&
          (b[s + 3]! | 0x20) === 0x73 &&
          (b[s + 4]! | 0x20) === 0x65
        ) {
          return writeBytes(out, o, FALSE);
        }
      }
      return this.bad(col, s, e, o);
    }
    if (k === K_NUMBER) return this.number(col, s, e, o);
    if (k === K_MULTI) {
      // Values joined by the separator: straight from the bytes, like a string cell.
      if (!(this.mv.jsonArray && b[s] === 0x5b) && this.sep >= 0) return this.multi(s, e, o, doubled);
      // A JSON array (the other plausible form), or a separator of more than one byte: through a string.
      let text = b.toString('utf8', s, e);
      if (doubled) text = text.replace(/""/g, '"');
      const values = parseMultiValueCell(text, this.mv);
      if (values.length === 0) {
        this.dv.setInt32(o, NULL_WORD, true);
        return o + 4;
      }
      return o + out.write(JSON.stringify(values), o, 'utf8');
    }
    const n = e - s;
    if (k === K_DATE) {
      // Date: YYYY-MM-DD, or YYYY-MM-DD HH:MM:SS: the date alone (see isDateCell).
      if (!isDateCell(b, s, n)) return isZeroDate(b, s, n) ? this.zeroDate(col, s, e, o) : this.bad(col, s, e, o);
      out[o++] = QUOTE;
      for (let j = s; j < s + 10; j++) out[o++] = b[j] as number;
      out[o++] = QUOTE;
      return o;
    }
    // DateTime: YYYY-MM-DD[( |T)HH:mm:ss[.f+]] (a date alone is midnight in the export's zone)
    if (n !== 10 && n !== 19 && n < 21) return this.bad(col, s, e, o);
    const y = digit4(b, s);
    const mo = digit2(b, s + 5);
    const d = digit2(b, s + 8);
    if (y < 0 || b[s + 4] !== 0x2d || b[s + 7] !== 0x2d || mo < 1 || mo > 12 || d < 1 || d > 31) {
      return isZeroDate(b, s, n) ? this.zeroDate(col, s, e, o) : this.bad(col, s, e, o);
    }
    let h = 0;
    let mi = 0;
    let sec = 0;
    if (n > 10) {
      const sep = b[s + 10];
      h = digit2(b, s + 11);
      mi = digit2(b, s + 14);
      sec = digit2(b, s + 17);
      if ((sep !== 0x20 && sep !== 0x54) || b[s + 13] !== 0x3a || b[s + 16] !== 0x3a || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59) {
        return this.bad(col, s, e, o);
      }
      if (n > 19) {
        if (b[s + 19] !== 0x2e) return this.bad(col, s, e, o);
        for (let j = s + 20; j < e; j++) {
          const c = b[j] as number;
          if (c < 0x30 || c > 0x39) return this.bad(col, s, e, o);
        }
      }
    }
    let off = (this.offsetFor as NonNullable<typeof this.offsetFor>)(y, mo, d, h, mi, sec);
    if (off === null) return this.bad(col, s, e, o);
    // 12 characters: a wall time repeated by a fall-back, with both offsets (rare path).
    if (off.length !== 6) off = this.pickOffset(col, s, e, off, wallToMs(y, mo, d, h, mi, sec));
    out[o++] = QUOTE;
    for (let j = s; j < s + 10; j++) out[o++] = b[j] as number;
    out[o++] = 0x54; // T
    if (n === 10) {
      o += out.write('00:00:00', o, 'latin1');
    } else {
      for (let j = s + 11; j < e; j++) out[o++] = b[j] as number;
    }
    for (let j = 0; j < off.length; j++) out[o++] = off.charCodeAt(j);
    out[o++] = QUOTE;
    return o;
  }

  /**
   * A multi-valued cell of values joined by the one-byte separator, as a JSON array of strings
   * (empty pieces dropped; none: null), escaped as string cells are; `doubled`: every quote in
   * [s, e) is the first of a CSV `""` pair.
   */
  private multi(s: number, e: number, o0: number, doubled: boolean): number {
    const b = this.buf;
    const out = this.out;
    const sep = this.sep;
    let o = o0;
    let n = 0;
    let open = false;
    for (let j = s; j < e; j++) {
      const c = b[j] as number;
      if (c === sep) {
        if (open) {
          out[o++] = QUOTE;
          open = false;
        }
        continue;
      }
      if (!open) {
        out[o++] = n === 0 ? 0x5b : COMMA;
        out[o++] = QUOTE;
        open = true;
        n++;
      }
      if (c === QUOTE && doubled) j++;
      if (c < 0x20 || c === QUOTE || c === BSL) o = escapeByte(out, o, c);
      else out[o++] = c;
    }
    if (n === 0) {
      this.dv.setInt32(o0, NULL_WORD, true);
      return o0 + 4;
    }
    if (open) out[o++] = QUOTE;
    out[o++] = 0x5d; // ]
    return o;
  }

  /**
   * A decimal number: `-?digits[.digits][e[+-]digits]` (also `.5` and `5.`), written as a JSON
   * number with the integer part's leading zeros stripped; anything else is a bad value.
   */
  private number(col: number, s: number, e: number, o: number): number {
    const b = this.buf;
    const out = this.out;
    let i = s;
    const neg = b[i] === 0x2d;
    if (neg) i++;
    const intStart = i;
    while (i < e && b[i]! >= 0x30 && b[i]! <= 0x39) i++;
    const intEnd = i;
    let fracStart = i;
    let fracEnd = i;
    if (i < e && b[i] === 0x2e) {
      i++;
      fracStart = i;
      while (i < e && b[i]! >= 0x30 && b[i]! <= 0x39) i++;
      fracEnd = i;
    }
    if (intEnd === intStart && fracEnd === fracStart) return this.bad(col, s, e, o);
    const expStart = i;
    if (i < e && (b[i] === 0x65 || b[i] === 0x45)) {
      i++;
      if (i < e && (b[i] === 0x2b || b[i] === 0x2d)) i++;
      const ds = i;
      while (i < e && b[i]! >= 0x30 && b[i]! <= 0x39) i++;
      if (i === ds) return this.bad(col, s, e, o);
    }
    if (i !== e) return this.bad(col, s, e, o);
    let is = intStart;
    while (is < intEnd - 1 && b[is] === 0x30) is++;
    const zero = intEnd - is <= 1 && (intEnd === is || b[is] === 0x30) && !hasNonZero(b, fracStart, fracEnd);
    if (neg && !zero) out[o++] = 0x2d;
    if (intEnd === intStart) out[o++] = 0x30;
    for (let j = is; j < intEnd; j++) out[o++] = b[j] as number;
    if (fracEnd > fracStart) {
      out[o++] = 0x2e;
      for (let j = fracStart; j < fracEnd; j++) out[o++] = b[j] as number;
    }
    for (let j = expStart; j < e; j++) out[o++] = b[j] as number;
    return o;
  }

  /**
   * A cell [s, e) that does not convert, its value to be written at o: null, noted (with
   * invalidValues 'fail' the complete row then raises CSV_BAD_VALUE). Returns the new o.
   */
  private bad(col: number, s: number, e: number, o: number): number {
    return this.nulled(NOTE_BAD, col, s, e, o);
  }

  /** invalidValues 'fail': CSV_BAD_VALUE for the row's first bad cell, if it has one. */
  private failOnBadNote(): void {
    for (let i = 0; i < this.nNotes; i++) {
      if (this.noteKind[i] !== NOTE_BAD) continue;
      const col = this.noteCol[i] as number;
      throw badValueError(this.src, this.tz, this.rowLine, this.names[col] as string, this.types[col] as PardotType, this.raw(this.noteS[i] as number, this.noteE[i] as number));
    }
  }

  /** A zero date (Pardot's "no date"): null, noted, in both modes. */
  private zeroDate(col: number, s: number, e: number, o: number): number {
    return this.nulled(NOTE_ZERO, col, s, e, o);
  }

  private nulled(kind: number, col: number, s: number, e: number, o: number): number {
    this.note(kind, col, s, e);
    this.dv.setInt32(o, NULL_WORD, true);
    return o + 4;
  }

  private note(kind: number, col: number, s: number, e: number): void {
    const i = this.nNotes++;
    this.noteKind[i] = kind;
    this.noteCol[i] = col;
    this.noteS[i] = s;
    this.noteE[i] = e;
  }

  /**
   * The offset of a wall time repeated by a fall-back (`off`: both offsets, the earlier instant's
   * first). The cursor column takes the reading that lies in the export's window when exactly one
   * does (the export selected the row by that instant); otherwise the default rule (the earlier
   * instant), noted. The comparison is to the second (Pardot writes whole seconds).
   */
  private pickOffset(col: number, s: number, e: number, off: string, wallMs: number): string {
    const w = this.window;
    if (col === this.cursorCol && w !== null) {
      const a = wallMs - offsetTextMs(off, 0);
      const b = wallMs - offsetTextMs(off, 6);
      const inA = a >= w.start && a < w.end;
      if (inA !== (b >= w.start && b < w.end)) return inA ? off.slice(0, 6) : off.slice(6);
    }
    this.note(NOTE_AMBIGUOUS, col, s, e);
    return off.slice(0, 6);
  }

  /** '}' + meta + `{"changes":[...]}` (the row's nulled fields, in column order) + tail; just '}' + tail when nothing was nulled. */
  private closeWithMeta(o: number): number {
    const out = this.out;
    o += this.close.copy(out, o); // constants + }
    let n = 0;
    for (let i = 0; i < this.nNotes; i++) {
      if (this.noteKind[i] === NOTE_AMBIGUOUS) continue;
      if (n++ === 0) {
        o += (this.meta as Buffer).copy(out, o);
        o += CHANGES_OPEN.copy(out, o);
      } else {
        out[o++] = COMMA;
      }
      o += (this.changeTexts[this.noteCol[i] as number] as Buffer).copy(out, o);
    }
    if (n > 0) o += CHANGES_CLOSE.copy(out, o);
    return o + this.tail.copy(out, o);
  }

  /** A complete row's notes into the batch's. The cells' bytes are still in the buffer. */
  private commitNotes(): void {
    for (let i = 0; i < this.nNotes; i++) {
      const col = this.noteCol[i] as number;
      const name = this.names[col] as string;
      const kind = this.noteKind[i];
      if (kind === NOTE_ZERO) this.notes.zeroDate(name);
      else if (kind === NOTE_BAD) this.notes.invalid(name, this.types[col] as PardotType, this.raw(this.noteS[i] as number, this.noteE[i] as number));
      else this.notes.ambiguous(name, this.raw(this.noteS[i] as number, this.noteE[i] as number));
    }
  }

  /** A cell's text from its value bytes [s, e): a quoted cell's doubled quotes undone. */
  private raw(s: number, e: number): string {
    const text = this.buf.toString('utf8', s, e);
    return s > 0 && this.buf[s - 1] === QUOTE && text.includes('""') ? text.replace(/""/g, '"') : text;
  }
}

function hasNonZero(b: Buffer, s: number, e: number): boolean {
  for (let j = s; j < e; j++) if (b[j] !== 0x30) return true;
  return false;
}

/**
 * A Date cell's bytes: a real calendar day `YYYY-MM-DD` (no 2024-02-30, no 2023-02-29),
 * optionally followed by a time `( |T)HH:MM:SS[.f+]` of any value. Pardot's "date" fields come
 * from an export that may add a time to them: the date part is the value, and the time never makes
 * the cell bad (only its shape is checked, so text that is no time still is).
 */
function isDateCell(b: Buffer, s: number, n: number): boolean {
  if (n !== 10 && n !== 19 && n < 21) return false;
  const y = digit4(b, s);
  const mo = digit2(b, s + 5);
  const d = digit2(b, s + 8);
  if (y < 0 || b[s + 4] !== 0x2d || b[s + 7] !== 0x2d || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return false;
  if (n === 10) return true;
  const sep = b[s + 10];
  if ((sep !== 0x20 && sep !== 0x54) || b[s + 13] !== 0x3a || b[s + 16] !== 0x3a) return false;
  if (digit2(b, s + 11) < 0 || digit2(b, s + 14) < 0 || digit2(b, s + 17) < 0) return false;
  return n === 19 || (b[s + 19] === 0x2e && allDigits(b, s + 20, s + n));
}

/** ZERO_DATE (notes.ts) on bytes: `0000-00-00`, optionally ` 00:00:00` / `T00:00:00`, optionally `.0+`. */
function isZeroDate(b: Buffer, s: number, n: number): boolean {
  if (n !== 10 && n !== 19 && n < 21) return false;
  if (b.toString('latin1', s, s + 10) !== '0000-00-00') return false;
  if (n === 10) return true;
  if ((b[s + 10] !== 0x20 && b[s + 10] !== 0x54) || b.toString('latin1', s + 11, s + 19) !== '00:00:00') return false;
  if (n === 19) return true;
  if (b[s + 19] !== 0x2e) return false;
  for (let j = s + 20; j < s + n; j++) if (b[j] !== 0x30) return false;
  return true;
}

function allDigits(b: Buffer, s: number, e: number): boolean {
  for (let j = s; j < e; j++) if (b[j]! < 0x30 || b[j]! > 0x39) return false;
  return true;
}

/**
 * Constant byte strings packed for fast copying: segment i is words[wordAt[i]..wordAt[i+1]) as
 * little-endian 4-byte words, zero-padded to a whole word, and is segLen[i] bytes long. Writing
 * one puts up to 3 padding bytes after it, which the next write overwrites or which lie past the
 * row's end (the output bound keeps 64 spare bytes).
 */
interface Segments {
  words: Int32Array;
  wordAt: Int32Array;
  segLen: Int32Array;
}

function packSegments(segs: readonly Uint8Array[]): Segments {
  const wordAt = new Int32Array(segs.length + 1);
  const segLen = new Int32Array(segs.length);
  for (let i = 0; i < segs.length; i++) {
    const n = (segs[i] as Uint8Array).length;
    segLen[i] = n;
    wordAt[i + 1] = (wordAt[i] as number) + ((n + 3) >> 2);
  }
  const padded = Buffer.alloc((wordAt[segs.length] as number) * 4);
  for (let i = 0; i < segs.length; i++) padded.set(segs[i] as Uint8Array, (wordAt[i] as number) * 4);
  const words = new Int32Array(wordAt[segs.length] as number);
  for (let w = 0; w < words.length; w++) words[w] = padded.readInt32LE(w * 4);
  return { words, wordAt, segLen };
}

function writeSegment(dv: DataView, o: number, s: Segments, i: number): number {
  for (let w = s.wordAt[i] as number, we = s.wordAt[i + 1] as number, q = o; w < we; w++, q += 4) dv.setInt32(q, s.words[w] as number, true);
  return o + (s.segLen[i] as number);
}

function viewOf(b: Buffer): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

function growEnds(a: Uint32Array): Uint32Array {
  const b = new Uint32Array(a.length * 2);
  b.set(a);
  return b;
}

function writeBytes(out: Buffer, o: number, bytes: Buffer): number {
  for (let i = 0; i < bytes.length; i++) out[o++] = bytes[i] as number;
  return o;
}

/** JSON escape of a byte that needs it (", \, control characters). */
function escapeByte(out: Buffer, o: number, c: number): number {
  out[o++] = BSL;
  switch (c) {
    case QUOTE:
      out[o++] = QUOTE;
      break;
    case BSL:
      out[o++] = BSL;
      break;
    case LF:
      out[o++] = 0x6e; // n
      break;
    case CR:
      out[o++] = 0x72; // r
      break;
    case 0x09:
      out[o++] = 0x74; // t
      break;
    case 0x08:
      out[o++] = 0x62; // b
      break;
    case 0x0c:
      out[o++] = 0x66; // f
      break;
    default:
      out[o++] = 0x75; // u
      out[o++] = 0x30;
      out[o++] = 0x30;
      out[o++] = HEX.charCodeAt(c >> 4);
      out[o++] = HEX.charCodeAt(c & 15);
  }
  return o;
}

function digit2(b: Buffer, i: number): number {
  const x = (b[i] as number) - 0x30;
  const y = (b[i + 1] as number) - 0x30;
  if (x < 0 || x > 9 || y < 0 || y > 9) return -1;
  return x * 10 + y;
}

function digit4(b: Buffer, i: number): number {
  const x = digit2(b, i);
  const y = digit2(b, i + 2);
  if (x < 0 || y < 0) return -1;
  return x * 100 + y;
}
