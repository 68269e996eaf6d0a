/** Helpers of the extraction tests: a body in chunks, and the rows of an encoded batch. */
import type { EncodedRows } from '../../src/extract/types.js';

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
