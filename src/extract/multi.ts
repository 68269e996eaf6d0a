/**
 * Multi-valued cells (custom fields that record several values), read by the rule the caller
 * passes (ExtractOptions.multiValue: the wire's MULTI_VALUE_CELL, unverified): a cell that is a
 * JSON array of strings is that array; any other text is split on the separator. Values are kept
 * exactly; empty pieces (two separators in a row, or one at an end) are dropped, since Pardot
 * stores no empty value.
 */
import type { MultiValueCell } from './types.js';

export function parseMultiValueCell(text: string, mv: MultiValueCell): string[] {
  if (mv.jsonArray && text.charCodeAt(0) === 0x5b /* [ */) {
    try {
      const v: unknown = JSON.parse(text);
      if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
    } catch {
      // not JSON: a value that starts with '[', split as text below
    }
  }
  return text.split(mv.separator).filter((x) => x.length > 0);
}

/** The separator as one byte for the byte path, or -1 when it is not one ASCII byte (cells then go through a string). */
export function separatorByte(mv: MultiValueCell): number {
  return mv.separator.length === 1 && mv.separator.charCodeAt(0) < 0x80 ? mv.separator.charCodeAt(0) : -1;
}

/** A clear error for a multiValue option that cannot be used (an empty separator would split every character). */
export function checkMultiValue(mv: MultiValueCell | undefined): void {
  if (mv === undefined || typeof mv.separator !== 'string' || mv.separator.length === 0 || typeof mv.jsonArray !== 'boolean') {
    throw new TypeError('ExtractOptions.multiValue must be { separator: non-empty string, jsonArray: boolean } (pass MULTI_VALUE_CELL from pardot/wire.ts)');
  }
}
