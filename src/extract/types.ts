import type { FieldDef } from '../streams.js';

/** Where a CSV file came from, for error messages (stream, export id, file). */
export interface CsvSource {
  stream: string;
  exportId: string;
  /** The file's URL or index, as named in errors. */
  file: string;
}

export interface ExtractOptions extends CsvSource {
  /** Fields that were requested, with their Pardot types. The header must hold each of them. */
  fields: readonly FieldDef[];
  /** IANA timezone in which the CSV writes DateTime cells (the export creator's). */
  timezone: string;
  /** Skip this many data rows first (resuming a download cut off mid-file). */
  skipRows?: number;
  /** Rows per emitted batch (default 1000). */
  batchSize?: number;
}

/** A batch of converted rows: each line is one record's data as a JSON object text. */
export interface RowBatch {
  lines: string[];
}
