// Odd cells (the `oddCells` option): a live business unit's exports hold values their field table
// does not allow, e.g. a MySQL zero date in a DateTime column (wire-contract.md: "CSV values may not
// match their field table"). The fake writes such raw text into a few cells chosen from a seed and
// tells the test exactly which ones (the ledger), so the test can compute its expected nulls alone.

import type { DataSource, Row } from './data.js';
import { FIELDS, OBJECT_NAMES, type FieldType, type ObjectName } from './fields.js';
import { hash32 } from './data.js';

export interface OddCellsOptions {
  /** Rows per export object that get one odd cell each (fewer when the object has fewer rows). */
  rows: number;
  /** Chooses the rows, fields and values. Default 1. */
  seed?: number;
  /** Objects that get odd cells. Default: all six. */
  objects?: readonly ObjectName[];
}

/** One cell written as `raw` instead of its value: the row with this `id`, column `field`. */
export interface OddCell {
  object: ObjectName;
  id: number;
  field: string;
  raw: string;
}

type OddType = Extract<FieldType, 'DateTime' | 'Integer' | 'Boolean'>;

/**
 * The raw texts per column type, each seen in (or plausible for) a live business unit: MySQL's zero
 * date and zero day, a number with letters, a decimal, a leading space, a placeholder.
 */
export const ODD_VALUES: Readonly<Record<OddType, readonly string[]>> = {
  DateTime: ['0000-00-00 00:00:00', '0000-00-00', 'N/A'],
  Integer: ['12abc', '1.5', ' 7', 'N/A'],
  Boolean: ['maybe', 'N/A'],
};

/**
 * Fields never made odd: the key, and the fields the fake itself filters rows on (a window's date
 * field, deletion, a visitor activity's type): an odd value there would change which rows an
 * export holds, not just how one cell reads.
 */
const KEPT: ReadonlySet<string> = new Set(['id', 'createdAt', 'updatedAt', 'activityDate', 'isDeleted']);
const keptFor = (object: ObjectName, name: string): boolean => KEPT.has(name) || (object === 'visitorActivity' && name === 'type');

/** The exportable fields of `object` that may hold odd cells, grouped by type (types in a fixed order). */
function candidates(object: ObjectName): [OddType, string[]][] {
  const out: [OddType, string[]][] = [];
  for (const type of ['DateTime', 'Integer', 'Boolean'] as const) {
    const names = FIELDS[object].filter((d) => d.exportable && d.type === type && !keptFor(object, d.name)).map((d) => d.name);
    if (names.length > 0) out.push([type, names]);
  }
  return out;
}

const rowOf = (src: DataSource, i: number): Row => (Array.isArray(src) ? src[i]! : (src as Exclude<DataSource, Row[]>).row(i));

/**
 * The odd cells of one object's rows: `rows` distinct rows picked by (seed, object), one cell each.
 * Types take turns (DateTime, Integer, Boolean, as the object has them) and each type's values take
 * turns, so enough rows show every value. Each entry also carries the row's index in the source.
 */
export function chooseOddCells(object: ObjectName, src: DataSource, o: OddCellsOptions): (OddCell & { index: number })[] {
  if (o.objects && !o.objects.includes(object)) return [];
  const groups = candidates(object);
  const count = Array.isArray(src) ? src.length : src.count;
  const want = Math.min(Math.max(0, Math.floor(o.rows)), count);
  if (groups.length === 0 || want === 0) return [];
  const seed = (o.seed ?? 1) >>> 0;
  const salt = OBJECT_NAMES.indexOf(object);
  const taken = new Set<number>();
  const out: (OddCell & { index: number })[] = [];
  for (let tries = 0; out.length < want && taken.size < count; tries++) {
    // Hash picks keep this cheap for a lazy source of millions of rows; past many collisions
    // (nearly every row wanted), take the lowest free index.
    let index = hash32(seed, tries, 0x0dd + salt) % count;
    if (taken.has(index)) {
      if (tries < want * 20) continue;
      index = 0;
      while (taken.has(index)) index++;
    }
    taken.add(index);
    const id = rowOf(src, index).id;
    if (typeof id !== 'number') continue;
    const n = out.length;
    const [type, names] = groups[n % groups.length]!;
    const pool = ODD_VALUES[type];
    out.push({
      object,
      id,
      field: names[hash32(seed, index, 0x0de + salt) % names.length]!,
      raw: pool[Math.floor(n / groups.length) % pool.length]!,
      index,
    });
  }
  return out.sort((a, b) => a.id - b.id);
}
