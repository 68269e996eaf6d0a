/**
 * What the extraction says about cells it did not convert as written: values nulled because they
 * do not fit their field's type (ExtractOptions.invalidValues 'null'), zero dates read as "no
 * date", and wall times of a DST fall-back's repeated hour read by the default rule. Both CSV paths
 * record them per batch (BatchNotes -> CellNotes on the batch); the sync core sums a stream's
 * batches (InvalidTally) and logs one WARN per field at the stream's end. All of this is the rare
 * path: a row with nothing to say costs nothing here.
 */
import type { PardotType } from '../streams.js';
import type { AmbiguousCells, CellNotes, InvalidCell, InvalidCells, ZeroDates } from './types.js';

/** Longest example text, after escaping. */
export const EXAMPLE_CHARS = 60;

/**
 * A raw cell as it may be shown in a log: backslash, quote, control and non-printable characters
 * (format, unassigned, private use, lone surrogates, separators other than the space) escaped as in
 * JSON (`\n`, `\u0000`, `\u{1F0000}` beyond the BMP), then cut to EXAMPLE_CHARS characters with a
 * final '…' (never inside an escape).
 */
export function printable(raw: string, max = EXAMPLE_CHARS): string {
  const pieces: string[] = [];
  let len = 0;
  for (const ch of raw) {
    const piece = escapeChar(ch);
    if (len + piece.length > max) {
      // It does not all fit: drop whole pieces until the ellipsis fits too.
      while (len + 1 > max && pieces.length > 0) len -= (pieces.pop() as string).length;
      return `${pieces.join('')}…`;
    }
    pieces.push(piece);
    len += piece.length;
  }
  return pieces.join('');
}

// eslint-disable-next-line no-control-regex
const PLAIN = /^[^\\"\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]$/u;

function escapeChar(ch: string): string {
  if (ch === ' ' || PLAIN.test(ch)) return ch;
  switch (ch) {
    case '\\':
      return '\\\\';
    case '"':
      return '\\"';
    case '\n':
      return '\\n';
    case '\r':
      return '\\r';
    case '\t':
      return '\\t';
    default: {
      const cp = ch.codePointAt(0) as number;
      return cp > 0xffff ? `\\u{${cp.toString(16).toUpperCase()}}` : `\\u${cp.toString(16).padStart(4, '0')}`;
    }
  }
}

/**
 * One entry of a record's meta.changes: the field was nulled because its value could not be read.
 * The shape is Airbyte's AirbyteRecordMessageMetaChange (written only when the frame asks for a
 * meta, i.e. by the Airbyte adapter); SOURCE_SERIALIZATION_ERROR is its reason "the field could not
 * be read or written".
 */
export function changeJson(field: string): string {
  return `{"field":${JSON.stringify(field)},"change":"NULLED","reason":"SOURCE_SERIALIZATION_ERROR"}`;
}

/** `{"changes":[...]}` for the given fields, in order. */
export function changesJson(fields: readonly string[]): string {
  return `{"changes":[${fields.map(changeJson).join(',')}]}`;
}

/**
 * A MySQL zero date, Pardot's way of writing "no date" in a date column: `0000-00-00`, optionally
 * with a zero time (`0000-00-00 00:00:00`, `T` accepted as for dates, zero fraction too).
 * (../shared/pardot/wire-contract.md: "a DateTime column can hold ... a MySQL zero date".)
 */
export const ZERO_DATE = /^0000-00-00(?:[ T]00:00:00(?:\.0+)?)?$/;

/** The notes of the batch being filled: created on the first note, handed over with the batch. */
export class BatchNotes {
  private inv: InvalidCells | null = null;
  private zero: ZeroDates | null = null;
  private amb: AmbiguousCells | null = null;

  invalid(field: string, type: PardotType, raw: string): void {
    const m = (this.inv ??= Object.create(null) as InvalidCells);
    const e = m[field];
    if (e === undefined) m[field] = { type, count: 1, example: printable(raw) };
    else e.count++;
  }

  zeroDate(field: string): void {
    const m = (this.zero ??= Object.create(null) as ZeroDates);
    m[field] = (m[field] ?? 0) + 1;
  }

  ambiguous(field: string, raw: string): void {
    if (this.amb === null) this.amb = { count: 1, field, example: printable(raw) };
    else this.amb.count++;
  }

  /** Puts the notes gathered so far on `batch` (only those there are) and starts afresh. */
  attach<T extends CellNotes>(batch: T): T {
    if (this.inv !== null) batch.invalid = this.inv;
    if (this.zero !== null) batch.zeroDates = this.zero;
    if (this.amb !== null) batch.ambiguous = this.amb;
    this.inv = null;
    this.zero = null;
    this.amb = null;
    return batch;
  }
}

/**
 * A stream's notes summed over its batches (or files, or windows: `merge`), and the WARN messages
 * they make at the stream's end: one per field for nulled values, one per field for zero dates,
 * one for the fall-back hour. Examples are the first ones seen.
 */
export class InvalidTally {
  private readonly invalid = new Map<string, InvalidCell>();
  private readonly zero = new Map<string, number>();
  private amb: AmbiguousCells | null = null;

  /** Adds a batch's notes (pass the batch itself: EncodedRows and RowBatch carry CellNotes). */
  add(notes: CellNotes | undefined): void {
    if (notes === undefined) return;
    if (notes.invalid !== undefined) {
      for (const [field, c] of Object.entries(notes.invalid)) {
        const e = this.invalid.get(field);
        if (e === undefined) this.invalid.set(field, { ...c });
        else e.count += c.count;
      }
    }
    if (notes.zeroDates !== undefined) for (const [field, n] of Object.entries(notes.zeroDates)) this.zero.set(field, (this.zero.get(field) ?? 0) + n);
    if (notes.ambiguous !== undefined) {
      if (this.amb === null) this.amb = { ...notes.ambiguous };
      else this.amb.count += notes.ambiguous.count;
    }
  }

  merge(other: InvalidTally): void {
    this.add(other.notes());
  }

  /** The sums as one CellNotes (absent parts left out). */
  notes(): CellNotes {
    const out: CellNotes = {};
    if (this.invalid.size > 0) out.invalid = Object.fromEntries([...this.invalid].map(([f, c]) => [f, { ...c }]));
    if (this.zero.size > 0) out.zeroDates = Object.fromEntries(this.zero);
    if (this.amb !== null) out.ambiguous = { ...this.amb };
    return out;
  }

  get empty(): boolean {
    return this.invalid.size === 0 && this.zero.size === 0 && this.amb === null;
  }

  /** One message per field (nulled values, then zero dates), then one for the fall-back hour. */
  warnings(stream: string): string[] {
    const out: string[] = [];
    for (const [field, c] of this.invalid) {
      out.push(`${stream}: ${c.count} value(s) of field '${field}' (${c.type}) could not be read and were emitted as null, e.g. "${c.example}".`);
    }
    for (const [field, n] of this.zero) {
      out.push(`${stream}: ${n} value(s) of field '${field}' were the zero date 0000-00-00 (Pardot's "no date") and were emitted as null.`);
    }
    const a = this.amb;
    if (a !== null) {
      out.push(
        `${stream}: ${a.count} date-time value(s) fell in the hour repeated when daylight saving time ended, which names two instants ` +
          `(e.g. field '${a.field}' "${a.example}"); each was read as the earlier instant (the offset in force before the clocks went back).`,
      );
    }
    return out;
  }
}
