import type { FieldDef, PardotType } from '../streams.js';

/** Where a CSV file came from, for error messages (stream, export id, file). */
export interface CsvSource {
  stream: string;
  exportId: string;
  /** The file's URL or index, as named in errors. */
  file: string;
}

/**
 * How a multi-valued cell is written (a wire fact the caller passes: MULTI_VALUE_CELL in
 * pardot/wire.ts). A cell that is a JSON array of strings is that array when `jsonArray`; any other
 * cell is its values joined by `separator`.
 */
export interface MultiValueCell {
  separator: string;
  jsonArray: boolean;
}

/**
 * What a cell that cannot be converted to its field's type becomes: 'null' (the record is emitted
 * with the value null and says so in its meta, and the batch counts it), or 'fail' (CSV_BAD_VALUE).
 */
export type InvalidValues = 'null' | 'fail';

/** The export's window (epoch ms, half-open [start, end)) and the column its rows are filtered on. */
export interface ExtractWindow {
  start: number;
  end: number;
  cursorField: string;
}

export interface ExtractOptions extends CsvSource {
  /** Fields that were requested, with their Pardot types. The header must hold each of them. */
  fields: readonly FieldDef[];
  /** IANA timezone in which the CSV writes DateTime cells (the export creator's). */
  timezone: string;
  /** How multi-valued (custom field) cells are written: the wire's MULTI_VALUE_CELL. */
  multiValue: MultiValueCell;
  /** A cell that does not convert: null plus a recorded change (default), or CSV_BAD_VALUE. */
  invalidValues?: InvalidValues;
  /**
   * The export's window: a cursor cell whose wall time repeats in a DST fall-back is read as the
   * one of its two instants that lies in the window, when exactly one does.
   */
  window?: ExtractWindow;
  /**
   * Fields every record carries whatever the file says, written after the file's columns
   * (deleted_visitors' isDeleted: true, a stream of deleted rows only): name to JSON value.
   */
  constants?: Readonly<Record<string, unknown>>;
  /** Skip this many data rows first (resuming a download cut off mid-file). */
  skipRows?: number;
  /** Rows per emitted batch (default 1000). */
  batchSize?: number;
  /** Bytes mode (extractCsvBytes): a batch also ends once its data reaches this many bytes (default 256 KiB). */
  batchBytes?: number;
  /**
   * Text written around every row's JSON object (the protocol adapter's record envelope), so a
   * batch is ready to write as it is. Default: none (bare objects).
   */
  frame?: RowFrame;
}

/**
 * A record envelope: `head` + row object + `tail` is one output line (tail ends in '\n'). With
 * `meta`, a row that has changes (cells nulled) is `head` + row object + `meta` +
 * `{"changes":[...]}` + `tail` (Airbyte: `,"meta":`); without it, changes are only counted.
 */
export interface RowFrame {
  head: string;
  tail: string;
  meta?: string;
}

/** Cells of one field that could not be converted, in a batch: how many, and the first one's text. */
export interface InvalidCell {
  type: PardotType;
  count: number;
  /** The first such raw value, control and non-printable characters escaped, at most 60 characters. */
  example: string;
}
export type InvalidCells = { [field: string]: InvalidCell };
/** Zero dates (`0000-00-00`, Pardot's "no date") read as null, per field, in a batch. */
export type ZeroDates = { [field: string]: number };
/** DateTime cells in a DST fall-back's repeated hour that the window could not decide, in a batch. */
export interface AmbiguousCells {
  count: number;
  /** The first one's field and raw text (escaped as InvalidCell.example). */
  field: string;
  example: string;
}

/** What a batch says about the cells it nulled or read by a default rule (absent: nothing to say). */
export interface CellNotes {
  invalid?: InvalidCells;
  zeroDates?: ZeroDates;
  ambiguous?: AmbiguousCells;
}

/** A batch of converted rows: each line is one record's data as a JSON object text (framed with `frame`). */
export interface RowBatch extends CellNotes {
  lines: string[];
}

/**
 * A batch of converted rows as UTF-8 bytes: the JSON object texts back to back in `data`, row k
 * being data[k === 0 ? 0 : ends[k - 1], ends[k]). The fast path: no string per row.
 */
export interface EncodedRows extends CellNotes {
  data: Buffer;
  ends: Uint32Array;
  /**
   * Set when `data` lives in memory that is reused once released (a worker's output ring): the
   * consumer calls it when it no longer needs the bytes (after they were written out). Batches
   * without it are plain garbage-collected buffers.
   */
  release?: () => void;
}

/** The text `constants` add inside a record's object, after its last column: `,"name":value` each. */
export function constantsText(constants: Readonly<Record<string, unknown>> | undefined): string {
  let s = '';
  for (const [k, v] of Object.entries(constants ?? {})) s += `,${JSON.stringify(k)}:${JSON.stringify(v)}`;
  return s;
}
