// CSV rendering as the Pardot Export API writes it: RFC 4180 quoting, empty cell
// for null, booleans as true/false, DateTime as wall time in the export creator's zone.

import type { FieldType } from './fields.js';
import { formatWallTime } from './time.js';

export type CellValue = number | boolean | string | null | undefined | Date;
export type Row = Record<string, CellValue>;

const NEEDS_QUOTES = /[",\r\n]/;

export function quoteCell(s: string): string {
  return NEEDS_QUOTES.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

export function renderCell(value: CellValue, type: FieldType | undefined, timeZone: string): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return formatWallTime(value.getTime(), timeZone);
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (type === 'DateTime') return formatWallTime(value, timeZone);
      return Number.isFinite(value) ? String(value) : '';
    default:
      if (type === 'DateTime') {
        const ms = Date.parse(value);
        return Number.isNaN(ms) ? quoteCell(value) : formatWallTime(ms, timeZone);
      }
      return quoteCell(value);
  }
}

/** Builds a function that renders one row (with its line ending) for a fixed column list. */
export function rowRenderer(
  columns: readonly { name: string; type: FieldType | undefined }[],
  timeZone: string,
  eol: string,
): (row: Row) => string {
  const n = columns.length;
  return (row: Row): string => {
    let line = '';
    for (let c = 0; c < n; c++) {
      const col = columns[c]!;
      if (c > 0) line += ',';
      line += renderCell(row[col.name], col.type, timeZone);
    }
    return line + eol;
  };
}

export function headerLine(names: readonly string[], eol: string): string {
  return names.map(quoteCell).join(',') + eol;
}
