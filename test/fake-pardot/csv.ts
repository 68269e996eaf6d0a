// CSV rendering as the Pardot Export API writes it: RFC 4180 quoting, empty cell
// for null, booleans as true/false, DateTime as wall time in the export creator's zone.

import type { FieldType } from './fields.js';
import { formatWallTime } from './time.js';

/** `string[]`: a multi-valued custom field (Checkbox, Multi-Select, multiple responses). */
export type CellValue = number | boolean | string | null | undefined | Date | readonly string[] | RawCell;
export type Row = Record<string, CellValue>;

const NEEDS_QUOTES = /[",\r\n]/;

/**
 * A cell written as this text whatever its column's type: an odd value such as a MySQL zero date
 * in a DateTime column (the `oddCells` option). The renderers' fast paths never see one: it goes
 * through `renderCell`, the rare path.
 */
export class RawCell {
  constructor(readonly text: string) {}
}

export function quoteCell(s: string): string {
  return NEEDS_QUOTES.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

/** 'Date' here: a date-only cell, the day in the zone (`activityDateCells: 'date'`). */
export function renderCell(value: CellValue, type: FieldType | 'Date' | undefined, timeZone: string): string {
  if (value === null || value === undefined) return '';
  if (value instanceof RawCell) return quoteCell(value.text);
  if (isStringArray(value)) return quoteCell(value.join(';'));
  if (type === 'Date') {
    const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(String(value));
    return Number.isNaN(ms) ? quoteCell(String(value)) : formatWallTime(ms, timeZone).slice(0, 10);
  }
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

function isStringArray(v: CellValue): v is readonly string[] {
  return Array.isArray(v);
}

/** A calendar day `YYYY-MM-DD` as written: a day string as it is, a Date as its UTC day. */
export function dayText(v: CellValue): string {
  if (v === null || v === undefined) return '';
  if (v instanceof RawCell) return quoteCell(v.text);
  if (typeof v === 'string') return /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : quoteCell(v);
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? '' : v.toISOString().slice(0, 10);
  if (typeof v === 'number') return Number.isFinite(v) ? new Date(v).toISOString().slice(0, 10) : '';
  return quoteCell(String(v));
}

/** A multi-value cell's text before quoting: values joined by ';' or a JSON array; '' for none. */
export function multiValueText(v: CellValue, form: 'semicolon' | 'json'): string {
  if (v === null || v === undefined) return '';
  if (v instanceof RawCell) return v.text;
  if (!isStringArray(v)) return String(v);
  if (v.length === 0) return '';
  return form === 'json' ? JSON.stringify(v) : v.join(';');
}

type CellRenderer = (value: CellValue) => string;

/**
 * How a column's cells are written. Default from `type`: DateTime -> 'dateTime' (wall time in the
 * zone), else 'plain'; 'date': the day in the zone (a DateTime written date-only). Custom fields (custom-fields.ts):
 * 'day' (a custom Date: `YYYY-MM-DD`), 'multiSemicolon' / 'multiJson' (a string[] cell).
 */
export type ColumnKind = 'plain' | 'dateTime' | 'date' | 'day' | 'multiSemicolon' | 'multiJson';

export interface Column {
  name: string;
  type: FieldType | undefined;
  kind?: ColumnKind;
}

function kindOf(c: Column): ColumnKind {
  return c.kind ?? (c.type === 'DateTime' ? 'dateTime' : 'plain');
}

/**
 * Builds a function that renders one row (with its line ending) for a fixed column list.
 * The function is generated with constant property names (`row["email"]`) and one shared cell
 * function per kind, so V8 can use fast named loads and inline the calls: this is what lets the
 * fake stream millions of rows at tens of MB/s.
 */
export function rowRenderer(
  columns: readonly Column[],
  timeZone: string,
  eol: string,
): (row: Row) => string {
  const plain: CellRenderer = (v) => {
    if (v === null || v === undefined) return '';
    if (typeof v === 'string') return NEEDS_QUOTES.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v;
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    if (typeof v === 'number') return Number.isFinite(v) ? '' + v : '';
    return renderCell(v, undefined, timeZone);
  };
  const dateTime: CellRenderer = (v) =>
    v instanceof Date ? formatWallTime(v.getTime(), timeZone) : renderCell(v, 'DateTime', timeZone);
  const date: CellRenderer = (v) => renderCell(v, 'Date', timeZone);
  const day: CellRenderer = dayText;
  const multiSemicolon: CellRenderer = (v) => quoteCell(multiValueText(v, 'semicolon'));
  const multiJson: CellRenderer = (v) => quoteCell(multiValueText(v, 'json'));
  const parts = columns.map((c) => `${kindOf(c)}(row[${JSON.stringify(c.name)}])`);
  const body = parts.length > 0 ? parts.join(" + ',' + ") : "''";
  const factory = new Function(
    'plain',
    'dateTime',
    'date',
    'day',
    'multiSemicolon',
    'multiJson',
    'eol',
    `return function renderRow(row) { return ${body} + eol; };`,
  ) as (
    plain: CellRenderer,
    dateTime: CellRenderer,
    date: CellRenderer,
    day: CellRenderer,
    multiSemicolon: CellRenderer,
    multiJson: CellRenderer,
    eol: string,
  ) => (row: Row) => string;
  return factory(plain, dateTime, date, day, multiSemicolon, multiJson, eol);
}

export function headerLine(names: readonly string[], eol: string): string {
  return names.map(quoteCell).join(',') + eol;
}
