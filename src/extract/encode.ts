/**
 * Row encoder: turns one CSV row (cells as strings) into the record's data as JSON object text,
 * prepared once per file header.
 *
 * - Keys are the Pardot field names, in HEADER order, only the requested fields (other header
 *   columns are ignored).
 * - Empty cell → `null` for every type.
 * - Integer: `-?digits`, written as a JSON number. Leading zeros are stripped (`007` → `7`,
 *   `-0` → `0`). Values beyond Number.MAX_SAFE_INTEGER are KEPT EXACT: the digits are written
 *   as they are (JSON carries any number of digits; readers that parse into doubles will round,
 *   readers with big-number support keep them).
 * - Boolean: `true`/`false`/`1`/`0`, case-insensitive → `true`/`false`.
 * - DateTime: Pardot wall time read in the export's timezone → RFC 3339 with offset, quoted
 *   (see timezone.ts for the DST rule; the window's cursor column, see ExtractOptions.window).
 * - Date: a real day `YYYY-MM-DD`, or one with a time `YYYY-MM-DD HH:MM:SS` → `"YYYY-MM-DD"`, no
 *   timezone (bytes.ts isDateCell says why the time is dropped).
 * - String: the exact text, JSON-escaped (JSON.stringify).
 * A zero date (`0000-00-00`) in a Date or DateTime column is null, noted. A cell that does not
 * convert is null, noted (invalidValues 'null', the default), or raises ConnectorError
 * CSV_BAD_VALUE ('fail'). Noted: the batch's notes, and the row's changes written after the
 * object when the frame has a meta.
 *
 * This is the STRING path's encoder (cells as strings), the readable reference for the byte path
 * that extractCsv uses (bytes.ts: same rules, checked by a differential test). Measured in
 * bench/parsers.ts: a `new Function` unrolled variant was ~1.5x faster than this loop, but the
 * byte path beats both by more, so no code generation here (nothing to audit).
 */
import type { ConnectorError } from '../errors.js';
import type { FieldDef, PardotType } from '../streams.js';
import { badTimeZoneError, badValueError, canonicalHeader, planHeader } from './messages.js';
import { parseMultiValueCell } from './multi.js';
import { changesJson, ZERO_DATE, type BatchNotes } from './notes.js';
import { createWallTimeReader, daysInMonth, headLength, isValidTimeZone, offsetTextMs } from './timezone.js';
import { KIND, K_BOOLEAN, K_DATE, K_DATETIME, K_INTEGER, K_MULTI, K_NUMBER, K_STRING } from './kinds.js';
import { constantsText, type CsvSource, type ExtractOptions, type MultiValueCell } from './types.js';

/** Number cell (custom fields) → JSON number text (integer part's leading zeros stripped), or null. */
function numberText(cell: string): string | null {
  const m = /^(-?)(\d*)(?:\.(\d*))?([eE][+-]?\d+)?$/.exec(cell);
  if (!m) return null;
  const [, sign, int = '', frac = '', exp = ''] = m;
  if (int === '' && frac === '') return null;
  const i = int.replace(/^0+(?=\d)/, '') || '0';
  const zero = /^0*$/.test(int) && /^0*$/.test(frac);
  return `${sign && !zero ? '-' : ''}${i}${frac ? `.${frac}` : ''}${exp}`;
}

/** Multi-valued cell (custom fields) → JSON array text, or 'null' when it holds no value. */
function multiText(cell: string, mv: MultiValueCell): string {
  const v = parseMultiValueCell(cell, mv);
  return v.length === 0 ? 'null' : JSON.stringify(v);
}

const DATE = /^(\d{4})-(\d\d)-(\d\d)(?:[ T]\d\d:\d\d:\d\d(?:\.\d+)?)?$/;

/** Date: a real day `YYYY-MM-DD`, with or without a time: the date alone, quoted; else null. */
function dateText(cell: string): string | null {
  const m = DATE.exec(cell);
  if (m === null) return null;
  const mo = Number(m[2]);
  const d = Number(m[3]);
  return mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth(Number(m[1]), mo) ? `"${cell.slice(0, 10)}"` : null;
}

/**
 * One row's cells → its JSON object text (inside the frame, when given). `notes` receives what the
 * row's cells say (null: the row is skipped, nothing to note).
 */
export type RowEncoder = (cells: string[], line: number, notes: BatchNotes | null) => string;

/** What compileRowEncoder takes of the extraction's options. */
export type RowEncoderOptions = Pick<ExtractOptions, 'multiValue' | 'invalidValues' | 'window' | 'frame' | 'constants'>;

/** Integer cell → JSON number text, or null if not `-?\d+`. */
function integerText(cell: string): string | null {
  const len = cell.length;
  let i = cell.charCodeAt(0) === 45 /* - */ ? 1 : 0;
  if (i === len) return null;
  const first = i;
  for (; i < len; i++) {
    const c = cell.charCodeAt(i);
    if (c < 48 || c > 57) return null;
  }
  if (cell.charCodeAt(first) !== 48 /* 0 */ || len - first === 1) {
    return first === 1 && len === 2 && cell.charCodeAt(1) === 48 ? '0' : cell;
  }
  // Leading zeros: strip them.
  let j = first;
  while (j < len - 1 && cell.charCodeAt(j) === 48) j++;
  const digits = cell.slice(j);
  return first === 1 && digits !== '0' ? `-${digits}` : digits;
}

function booleanText(cell: string): string | null {
  switch (cell) {
    case 'true':
    case '1':
      return 'true';
    case 'false':
    case '0':
      return 'false';
    default: {
      const l = cell.toLowerCase();
      if (l === 'true') return 'true';
      if (l === 'false') return 'false';
      return null;
    }
  }
}

// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

export function compileRowEncoder(fields: readonly FieldDef[], header: string[], tz: string, src: CsvSource, o: RowEncoderOptions): RowEncoder {
  header = canonicalHeader(fields, header);
  const plan = planHeader(fields, header, src);

  // Plan, in header order: the column index, the `"key":` prefix and the kind.
  const cols: number[] = [];
  const prefixes: string[] = [];
  const names: string[] = [];
  const types: PardotType[] = [];
  const kinds: number[] = [];
  plan.forEach((t, i) => {
    if (t === undefined) return;
    const h = header[i] as string;
    cols.push(i);
    prefixes.push(`${cols.length === 1 ? '{' : ','}${JSON.stringify(h)}:`);
    names.push(h);
    types.push(t);
    kinds.push(KIND[t]);
  });
  const n = cols.length;
  const hasDate = kinds.includes(K_DATETIME);
  if (hasDate && !isValidTimeZone(tz)) throw badTimeZoneError(src, tz);
  const read = hasDate ? createWallTimeReader(tz) : (_w: string): string | null => null;
  const head = o.frame?.head ?? '';
  const tail = o.frame?.tail ?? '';
  const meta = o.frame?.meta;
  const close = `${constantsText(o.constants)}}`;
  const fail = o.invalidValues === 'fail';
  const mv = o.multiValue;
  const w = o.window;
  const cursorK = w === undefined ? -1 : names.findIndex((h, k) => h === w.cursorField && types[k] === 'DateTime');

  const bad = (k: number, cell: string, line: number): ConnectorError =>
    badValueError(src, tz, line, names[k] as string, types[k] as PardotType, cell);

  /**
   * A wall time repeated by a fall-back (`r`: the text with both offsets): the cursor column takes
   * the reading inside the window when exactly one is; else the earlier instant, noted.
   */
  const pick = (k: number, cell: string, r: string, notes: BatchNotes | null): string => {
    const hl = headLength(cell);
    if (k === cursorK && w !== undefined) {
      const wall = Date.parse(`${r.slice(0, 19)}Z`);
      const a = wall - offsetTextMs(r, hl);
      const b = wall - offsetTextMs(r, hl + 6);
      const inA = a >= w.start && a < w.end;
      if (inA !== (b >= w.start && b < w.end)) return inA ? r.slice(0, hl + 6) : r.slice(0, hl) + r.slice(hl + 6);
    }
    notes?.ambiguous(names[k] as string, cell);
    return r.slice(0, hl + 6);
  };

  if (n === 0) return () => `${head}{${constantsText(o.constants).slice(1)}}${tail}`;

  return function encode(cells: string[], line: number, notes: BatchNotes | null): string {
    let out = head;
    let changes: string[] | null = null;
    for (let k = 0; k < n; k++) {
      const cell = cells[cols[k] as number] as string;
      let v: string | null;
      if (cell.length === 0) {
        v = 'null';
      } else {
        switch (kinds[k]) {
          case K_STRING:
            // JSON.stringify costs ~100 ns per short string in Node 20; a regex test and plain
            // quoting ~40 ns. Quotes, backslashes, control characters and any surrogate (a lone
            // one must be escaped) take the JSON.stringify path.
            v = NEEDS_ESCAPE.test(cell) ? JSON.stringify(cell) : `"${cell}"`;
            break;
          case K_INTEGER:
            v = integerText(cell);
            break;
          case K_BOOLEAN:
            v = booleanText(cell);
            break;
          case K_DATE:
            v = dateText(cell);
            break;
          case K_NUMBER:
            v = numberText(cell);
            break;
          case K_MULTI:
            v = multiText(cell, mv);
            break;
          default: {
            const r = read(cell);
            v = r === null ? null : r.length - headLength(cell) === 6 ? `"${r}"` : `"${pick(k, cell, r, notes)}"`;
          }
        }
        if (v === null) {
          // The rare path: a zero date is "no date" (null in both modes); anything else is bad.
          const name = names[k] as string;
          if ((kinds[k] === K_DATETIME || kinds[k] === K_DATE) && ZERO_DATE.test(cell)) notes?.zeroDate(name);
          else if (fail) throw bad(k, cell, line);
          else notes?.invalid(name, types[k] as PardotType, cell);
          (changes ??= []).push(name);
          v = 'null';
        }
      }
      out += (prefixes[k] as string) + v;
    }
    const json = changes !== null && meta !== undefined ? `${out}${close}${meta}${changesJson(changes)}${tail}` : `${out}${close}${tail}`;
    // Flatten the rope of ~140 pieces now, while they are young: rows are held in a batch
    // across GCs, and surviving cons-string trees made extractCsv 3-4x slower (measured).
    json.charCodeAt(json.length >> 1);
    return json;
  };
}
