/** Helpers of the extraction tests: a body in chunks, the rows of an encoded batch, and a read through one CSV path. */
import { extractCsvStrings } from '../../src/extract/csv.js';
import { extractCsv, extractCsvBytes } from '../../src/extract/index.js';
import type { EncodedRows, ExtractOptions, RowBatch } from '../../src/extract/types.js';

/** The CSV paths: the byte path (what the reader uses), the line path, the string reference path. */
export const CSV_PATHS = ['bytes', 'lines', 'strings'] as const;
export type CsvPath = (typeof CSV_PATHS)[number];

/** Every row `path` makes of `body`, as text; `onBatch` sees each batch (its notes). */
export async function extractVia(path: CsvPath, body: AsyncIterable<Buffer>, o: ExtractOptions, onBatch?: (b: RowBatch | EncodedRows) => void): Promise<string[]> {
  const lines: string[] = [];
  if (path === 'bytes') {
    for await (const b of extractCsvBytes(body, o)) {
      lines.push(...decodeRows(b));
      onBatch?.(b);
      b.release?.();
    }
  } else {
    for await (const b of (path === 'lines' ? extractCsv : extractCsvStrings)(body, o)) {
      lines.push(...b.lines);
      onBatch?.(b);
    }
  }
  return lines;
}

/** `data` as a body of `size`-byte chunks (multi-byte characters may be split across them). */
export async function* chunksOf(data: string | Buffer, size: number): AsyncGenerator<Buffer> {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

/** An encoded batch's rows as strings (row k = data[ends[k-1], ends[k])). */
export function decodeRows(b: EncodedRows): string[] {
  const out: string[] = [];
  let s = 0;
  for (const e of b.ends) {
    out.push(b.data.toString('utf8', s, e));
    s = e;
  }
  return out;
}
