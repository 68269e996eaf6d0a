/**
 * Custom field test data (issue 11): custom field definitions with a deterministic mix of every
 * Pardot type, deterministic values for them on prospect rows (eager or lazy), and the JSON value
 * a correct connector must emit for each value.
 *
 * Values come from (seed, row id, field id) only, so a lazy source (the benchmark's millions of
 * rows) and an eager one give a row the same values, and a test can recompute any value.
 */
import {
  apiFieldIdOf,
  hash32,
  isMultiValued,
  TRICKY_STRINGS,
  type CellValue,
  type FakeCustomField,
  type FakeCustomFieldType,
  type LazySource,
  type Row,
} from '../fake-pardot/index.js';

/**
 * The type pattern of makeCustomFields, repeated: its first 11 entries hold every type and a
 * multiple-responses text field; over 20 entries: 50 % text kinds (Text, Textarea, Dropdown,
 * Radio Button, Hidden, CRM User), 15 % Number, 10 % Date, 15 % Checkbox/Multi-Select,
 * 10 % Text recording multiple responses.
 */
const TYPE_PATTERN: readonly [FakeCustomFieldType, boolean][] = [
  ['Text', false],
  ['Number', false],
  ['Date', false],
  ['Checkbox', false],
  ['Multi-Select', false],
  ['Text', true],
  ['Textarea', false],
  ['Dropdown', false],
  ['Radio Button', false],
  ['Hidden', false],
  ['CRM User', false],
  ['Text', false],
  ['Number', false],
  ['Textarea', false],
  ['Multi-Select', false],
  ['Dropdown', false],
  ['Number', false],
  ['Date', false],
  ['Text', true],
  ['Text', false],
];

const WORDS = [
  'Region',
  'Segment',
  'Budget',
  'Renewal',
  'Lead Source',
  'Tier',
  'Product Interest',
  'Industry Vertical',
  'Préférence',
  'Fiscal Year',
  'Partner',
  'Score Band',
];

const DAY = 86_400_000;

/**
 * `n` custom fields with ids `startId…` (default 1): field ids like `Cf_017_Region` (so the name a
 * request uses, `apiFieldIdOf`, is `Cf_017_Region__c`), display names like `Region 17` (every
 * fourth with a comma, e.g. `Region, Tier 17`; some non-ASCII), all unique; createdAt/updatedAt
 * whole seconds in 2023.
 */
export function makeCustomFields(n: number, o: { seed?: number; startId?: number } = {}): FakeCustomField[] {
  const seed = o.seed ?? 1;
  const startId = o.startId ?? 1;
  const out: FakeCustomField[] = [];
  for (let k = 0; k < n; k++) {
    const id = startId + k;
    const [type, multiResp] = TYPE_PATTERN[k % TYPE_PATTERN.length]!;
    const word = WORDS[hash32(seed, id, 1) % WORDS.length]!;
    const apiWord = word.normalize('NFD').replace(/[^A-Za-z0-9]/g, '');
    const name = k % 4 === 3 ? `${word}, ${WORDS[hash32(seed, id, 2) % WORDS.length]!} ${id}` : `${word} ${id}`;
    const createdMs = Date.UTC(2023, 0, 1) + (hash32(seed, id, 3) % 200) * DAY + (hash32(seed, id, 4) % 86_400) * 1000;
    const updatedMs = createdMs + (hash32(seed, id, 5) % 150) * DAY;
    const f: FakeCustomField = {
      id,
      name,
      fieldId: `Cf_${String(id).padStart(3, '0')}_${apiWord}`,
      type,
      createdAt: new Date(createdMs),
      updatedAt: new Date(updatedMs),
    };
    if (multiResp) f.isRecordMultipleResponses = true;
    out.push(f);
  }
  return out;
}

/** Numbers that matter: zero, decimals, negatives, large. */
const NUMBERS = [0, 12.5, -3, 42, -0.25, 3.14159, 1_000_000, -1234.5, 99.99, 7];

/** Days that matter: leap day, year ends, before 1970, far future. */
const DAYS = ['2024-02-29', '1999-12-31', '2000-01-01', '1965-07-04', '2038-01-19', '2024-03-10', '2024-11-03'];

/**
 * Values of multi-valued cells: commas, quotes, inner spaces, a line break, non-ASCII; never ';',
 * never a leading '[' or an empty string (so the ';' form is unambiguous), no leading or trailing
 * space.
 */
export const MULTI_VALUES: readonly string[] = [
  'Alpha',
  'Beta, Gamma',
  'He said "yes"',
  'two words',
  'Zürich',
  '東京都',
  '🚀 launch',
  'a,b,c',
  "O'Brien",
  'line\nbreak',
  'Привет',
  'x]',
];

/** A CRM User value (a Salesforce user id) or a text value. */
function textValue(f: FakeCustomField, h: number): string {
  if (f.type === 'CRM User') return '005' + String(100_000_000_000_000 + (h % 900_000_000_000_000)).slice(0, 15);
  return TRICKY_STRINGS[(h >>> 3) % TRICKY_STRINGS.length]!;
}

/**
 * The value of custom field `f` on the row with id `rowId`: null ~20 % of the time; a number for
 * Number, a 'YYYY-MM-DD' string for Date, 0–3 distinct strings for multi-valued fields, a string
 * otherwise (never '').
 */
export function customValue(f: FakeCustomField, rowId: number, seed = 1): CellValue {
  const h = hash32(seed, rowId, f.id * 7 + 13);
  if (h % 5 === 0) return null;
  if (isMultiValued(f)) {
    const count = (h >>> 3) % 4;
    const picked: string[] = [];
    for (let k = 0; picked.length < count; k++) {
      const v = MULTI_VALUES[hash32(seed, rowId, f.id * 7 + 100 + k) % MULTI_VALUES.length]!;
      if (!picked.includes(v)) picked.push(v);
    }
    return picked;
  }
  if (f.type === 'Number') {
    const r = (h >>> 3) % 3;
    if (r === 0) return NUMBERS[(h >>> 5) % NUMBERS.length]!;
    if (r === 1) return ((h >>> 5) % 200_001) - 100_000;
    return (((h >>> 5) % 2_000_001) - 1_000_000) / 100;
  }
  if (f.type === 'Date') {
    if ((h >>> 3) % 3 === 0) return DAYS[(h >>> 5) % DAYS.length]!;
    return new Date(Date.UTC(1990, 0, 1) + ((h >>> 5) % 18_000) * DAY).toISOString().slice(0, 10);
  }
  return textValue(f, h);
}

/** Sets each row's value of every field under the name a request uses (`apiFieldId`); rows are keyed by `id`. */
export function addCustomValues(rows: Row[], fields: readonly FakeCustomField[], seed = 1): void {
  const names = fields.map(apiFieldIdOf);
  rows.forEach((row, i) => {
    const key = typeof row.id === 'number' ? row.id : i;
    fields.forEach((f, k) => (row[names[k]!] = customValue(f, key, seed)));
  });
}

/**
 * A lazy source whose rows also carry the custom values (same values as addCustomValues). Rows
 * are built by a generated object literal with constant keys (fast properties: hundreds of keys
 * added one by one would leave the object slow to build and to render): every row of `src` must
 * have the keys of its first row (as lazyProspects' rows do).
 */
export function withCustomValues(src: LazySource, fields: readonly FakeCustomField[], seed = 1): LazySource {
  let keys: string[] | null = null;
  let make: ((base: Row, values: CellValue[]) => Row) | null = null;
  const values: CellValue[] = new Array<CellValue>(fields.length);
  const names = fields.map(apiFieldIdOf);
  const out: LazySource = {
    count: src.count,
    row(i: number): Row {
      const base = src.row(i);
      const key = typeof base.id === 'number' ? base.id : i;
      for (let k = 0; k < fields.length; k++) values[k] = customValue(fields[k]!, key, seed);
      if (keys === null) {
        keys = Object.keys(base).filter((name) => !names.includes(name));
        const props = [
          ...keys.map((name) => `${JSON.stringify(name)}: b[${JSON.stringify(name)}]`),
          ...names.map((name, k) => `${JSON.stringify(name)}: v[${k}]`),
        ];
        make = new Function('b', 'v', `return { ${props.join(', ')} };`) as (base: Row, values: CellValue[]) => Row;
      }
      return make!(base, values);
    },
  };
  if (src.timeOf) out.timeOf = src.timeOf.bind(src);
  if (src.isDeleted) out.isDeleted = src.isDeleted.bind(src);
  return out;
}

/**
 * The JSON value a correct connector emits for value `v` of custom field `f`: Number -> number,
 * Date -> its 'YYYY-MM-DD' text, multi-valued -> string[] (null when empty or none), any other
 * type -> the string (null when empty or none).
 */
export function expectedCustomValue(f: FakeCustomField, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (isMultiValued(f)) {
    const list = Array.isArray(v) ? v.map(String) : [String(v)];
    return list.length === 0 ? null : list;
  }
  if (f.type === 'Number') return typeof v === 'number' ? v : Number(v);
  if (f.type === 'Date') return v instanceof Date ? v.toISOString().slice(0, 10) : String(v);
  const s = String(v);
  return s === '' ? null : s;
}
