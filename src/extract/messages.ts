/**
 * The CSV_* errors of src/extract, in one place so that the string path (encode.ts + CsvScanner)
 * and the byte path (bytes.ts) raise the same codes, context and messages.
 */
import { ConnectorError } from '../errors.js';
import type { PardotType } from '../streams.js';
import type { CsvSource } from './types.js';

function where(src: CsvSource): string {
  return `Export file ${src.file} of stream ${src.stream} (export ${src.exportId})`;
}

function ctx(src: CsvSource): { stream: string; exportId: string; file: string } {
  return { stream: src.stream, exportId: src.exportId, file: src.file };
}

export function truncate(v: string, n = 100): string {
  return v.length > n ? `${v.slice(0, n)}…` : v;
}

export function badValueError(src: CsvSource, tz: string, line: number, column: string, type: PardotType, value: string): ConnectorError {
  const hint =
    type === 'DateTime'
      ? `Expected 'YYYY-MM-DD HH:mm:ss' (or 'YYYY-MM-DD') wall time; check the timezone setting (${tz}) and report the value to Pardot support if it is not a date.`
      : type === 'Date'
        ? `Expected a real calendar date 'YYYY-MM-DD', optionally followed by a time 'HH:MM:SS' (which is dropped). This is a Pardot data or contract problem: report it with the export id.`
        : `Expected ${type === 'Integer' ? 'an integer' : type === 'Number' ? 'a number' : "'true', 'false', '1' or '0'"}. This is a Pardot data or contract problem: report it with the export id.`;
  const v = truncate(value);
  return new ConnectorError(
    'CSV_BAD_VALUE',
    `${where(src)}, line ${line}, field ${column} (${type}): cannot read value ${JSON.stringify(v)}. ${hint}`,
    { context: { ...ctx(src), line, column, value: v } },
  );
}

export function columnCountError(src: CsvSource, line: number, expected: number, got: number): ConnectorError {
  return new ConnectorError(
    'CSV_COLUMN_COUNT',
    `${where(src)}, line ${line}: expected ${expected} cells (as in the header), got ${got}. The file is malformed: run again; if it repeats, report it to Pardot support with the export id.`,
    { context: { ...ctx(src), line, expected, got } },
  );
}

export function unterminatedQuoteError(src: CsvSource, line: number, cell: number): ConnectorError {
  return new ConnectorError(
    'CSV_UNTERMINATED_QUOTE',
    `${where(src)} ends inside a quoted cell (cell ${cell} of the row starting on line ${line}): a quote is never closed. The file is cut short or malformed: run again; if it repeats, report it to Pardot support with the export id.`,
    { context: { ...ctx(src), line } },
  );
}

export function invalidClosingQuoteError(src: CsvSource, line: number, cell: number, after: string): ConnectorError {
  return new ConnectorError(
    'CSV_INVALID_CLOSING_QUOTE',
    `${where(src)}, line ${line}: text follows the closing quote of cell ${cell} (${JSON.stringify(after)}); the file is not valid CSV. Report it to Pardot support with the export id.`,
    { context: { ...ctx(src), line } },
  );
}

export function headerDuplicateError(src: CsvSource, dups: string[]): ConnectorError {
  return new ConnectorError(
    'CSV_HEADER_DUPLICATE',
    `${where(src)} names column(s) ${dups.map((d) => JSON.stringify(d)).join(', ')} more than once in its header, so values cannot be told apart. This is a Pardot export problem: report it with the export id.`,
    { context: { ...ctx(src), line: 1, column: dups[0] } },
  );
}

export function headerMissingError(src: CsvSource, missing: string[], headerLength: number): ConnectorError {
  return new ConnectorError(
    'CSV_HEADER_MISSING_FIELD',
    `${where(src)} has no column for requested field(s) ${missing.join(', ')} (header has ${headerLength} columns). Pardot did not return a field that was asked for: check that the field exists for this object and that the connector's user may read it, or remove it from the stream's selected fields, then run again.`,
    { context: { ...ctx(src), line: 1, column: missing[0], missing } },
  );
}

/**
 * The header with each column a requested field comes under renamed to that field's name: a cell
 * equal to a field's name is that field; failing that, a cell equal to one of a field's aliases
 * (a custom field's display name: CUSTOM_FIELD_HEADER_ALIASES in pardot/wire.ts, unverified) is
 * that field, when exactly one requested field has it. Other cells are kept as they are.
 */
export function canonicalHeader(fields: readonly { name: string; aliases?: readonly string[] }[], header: string[]): string[] {
  if (!fields.some((f) => f.aliases && f.aliases.length > 0)) return header;
  const present = new Set(header);
  const byAlias = new Map<string, string | null>();
  for (const f of fields) {
    if (present.has(f.name)) continue; // its column is there under its own name
    for (const a of f.aliases ?? []) byAlias.set(a, byAlias.has(a) ? null : f.name);
  }
  const names = new Set(fields.map((f) => f.name));
  return header.map((h) => {
    if (names.has(h)) return h;
    const n = byAlias.get(h);
    return n ?? h;
  });
}

/**
 * Checks a header against the requested fields (duplicates, missing) and returns, per header
 * column, the requested type or undefined (column not requested).
 */
export function planHeader(fields: readonly { name: string; type: PardotType }[], header: string[], src: CsvSource): (PardotType | undefined)[] {
  const seen = new Set<string>();
  const dups: string[] = [];
  for (const h of header) {
    if (seen.has(h)) dups.push(h);
    else seen.add(h);
  }
  if (dups.length > 0) throw headerDuplicateError(src, dups);
  const wanted = new Map<string, PardotType>();
  for (const f of fields) wanted.set(f.name, f.type);
  const missing = [...wanted.keys()].filter((n) => !seen.has(n));
  if (missing.length > 0) throw headerMissingError(src, missing, header.length);
  return header.map((h) => wanted.get(h));
}

export function badTimeZoneError(src: CsvSource, tz: string): ConnectorError {
  return new ConnectorError(
    'CSV_BAD_TIMEZONE',
    `Cannot read the DateTime cells of export file ${src.file} of stream ${src.stream} (export ${src.exportId}): ${JSON.stringify(tz)} is not a time zone this runtime knows. Set the timezone to an IANA name such as America/New_York (the zone of the Pardot user who creates the exports), then run again.`,
    { failureType: 'config_error', context: { ...ctx(src), timezone: tz } },
  );
}
