import type { FieldDef } from '../streams.js';

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

export interface ExtractOptions extends CsvSource {
  /** Fields that were requested, with their Pardot types. The header must hold each of them. */
  fields: readonly FieldDef[];
  /** IANA timezone in which the CSV writes DateTime cells (the export creator's). */
  timezone: string;
  /** How multi-valued (custom field) cells are written: the wire's MULTI_VALUE_CELL. */
  multiValue: MultiValueCell;
  /** Skip this many data rows first (resuming a download cut off mid-file). */
  skipRows?: number;
  /** Rows per emitted batch (default 1000). */
  batchSize?: number;
  /** Bytes mode (extractCsvBytes): a batch also ends once its data reaches this many bytes (default 256 KiB). */
  batchBytes?: number;
  /**
   * Bytes mode: text written around every row's JSON object (the protocol adapter's record
   * envelope), so a batch is ready to write as it is. Default: none (bare objects).
   */
  frame?: RowFrame;
}

/** A record envelope: `head` + row object + `tail` is one output line (tail ends in '\n'). */
export interface RowFrame {
  head: string;
  tail: string;
}

/** A batch of converted rows: each line is one record's data as a JSON object text. */
export interface RowBatch {
  lines: string[];
}

/**
 * A batch of converted rows as UTF-8 bytes: the JSON object texts back to back in `data`, row k
 * being data[k === 0 ? 0 : ends[k - 1], ends[k]). The fast path: no string per row.
 */
export interface EncodedRows {
  data: Buffer;
  ends: Uint32Array;
  /**
   * Set when `data` lives in memory that is reused once released (a worker's output ring): the
   * consumer calls it when it no longer needs the bytes (after they were written out). Batches
   * without it are plain garbage-collected buffers.
   */
  release?: () => void;
}
