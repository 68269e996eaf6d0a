/**
 * Rows that change, vanish and appear between the pages of a v5 query read (the fake's
 * `onQueryPage` hook and its v5 change API), and the tally of one read against the rows as they
 * were before and after it: lost (a row there throughout, in range and unmoved, not emitted),
 * duplicated (emitted twice in one read), unexpected (emitted though never in range). The
 * expectation is the fake's rows only; nothing comes from the reader under test.
 */
import { V5_OBJECTS, type FakePardot, type Row } from '../fake-pardot/index.js';
import { secondOf } from './query-run.js';

export interface Churn {
  /** Ids the fake served so far (any page of the object). */
  served: Set<number>;
  changed: number[];
  removed: number[];
  inserted: number[];
  stop(): void;
}

/**
 * After each of the object's first `pages` pages: 2 rows not served yet and 1 served row change
 * (their updatedAt, where they have one, moves to the fake's now), 1 unserved and 1 served row are
 * deleted (recycle bin where the object has one, else gone), and 1 row is inserted.
 */
export function churn(fake: FakePardot, object: string, o: { pages?: number; firstNewId?: number } = {}): Churn {
  const def = V5_OBJECTS[object];
  if (!def) throw new Error(`churn: ${object} is not in the fake's table`);
  const text = Object.entries(def.fields).find(([n, t]) => t === 'String' && n !== 'id')?.[0];
  const c: Churn = { served: new Set(), changed: [], removed: [], inserted: [], stop: () => fake.setOnQueryPage(null) };
  let pages = 0;
  let nextId = o.firstNewId ?? 900_000;
  const live = () => fake.v5.rows(object).filter((r) => r.isDeleted !== true && !c.removed.includes(r.id as number) && !c.changed.includes(r.id as number));
  fake.setOnQueryPage((info) => {
    if (info.object !== object) return;
    for (const v of info.values) c.served.add(v.id as number);
    if (++pages > (o.pages ?? 3)) return;
    const unread = live().filter((r) => !c.served.has(r.id as number));
    const read = live().filter((r) => c.served.has(r.id as number));
    for (const r of [unread[0], unread[Math.floor(unread.length / 2)], read[0]]) {
      if (!r) continue;
      fake.v5.update(object, r.id as number, text ? { [text]: `changed on page ${pages}` } : {});
      c.changed.push(r.id as number);
    }
    for (const r of [unread.at(-1), read.at(-1)]) {
      if (!r || c.changed.includes(r.id as number)) continue;
      fake.v5.delete(object, r.id as number);
      c.removed.push(r.id as number);
    }
    const template = fake.v5.rows(object)[0];
    if (template) {
      const id = nextId++;
      fake.v5.insert(object, { ...template, id, createdAt: null, ...(def.deleted ? { isDeleted: false } : {}) });
      c.inserted.push(id);
    }
  });
  return c;
}

/** A row as a read may see it: its cursor second (null: none or no cursor) and whether it is there. */
export type Snapshot = Map<number, number | null>;

export function snapshot(rows: readonly Row[], cursor: string | null): Snapshot {
  return new Map(rows.map((r) => [r.id as number, cursor === null ? null : secondOf(r, cursor)]));
}

export interface Range {
  /** Inclusive lower bound (null: none). */
  from: number | null;
  /** Exclusive upper bound (Infinity: none, a full refresh). */
  to: number;
  /** A full refresh: a row there throughout is read wherever its cursor moved. */
  full: boolean;
}

export interface Tally {
  must: number;
  emitted: number;
  lost: number[];
  duplicated: number;
  unexpected: number[];
}

/**
 * One read's tally. Must: rows there before and after the read, in range both times, and (an
 * incremental read) with an unmoved cursor. May: rows in range before or after (changed, deleted,
 * inserted during the read). Anything else emitted is unexpected.
 */
export function tally(before: Snapshot, after: Snapshot, range: Range, emitted: number[]): Tally {
  const inRange = (t: number | null | undefined): boolean =>
    t === undefined ? false : t === null ? range.full : (range.from === null || t >= range.from) && t < range.to;
  const must: number[] = [];
  const may = new Set<number>();
  for (const id of new Set([...before.keys(), ...after.keys()])) {
    const [t0, t1] = [before.get(id), after.get(id)];
    if (inRange(t0) || inRange(t1)) may.add(id);
    if (before.has(id) && after.has(id) && inRange(t0) && inRange(t1) && (range.full || t0 === t1)) must.push(id);
  }
  const seen = new Set(emitted);
  return {
    must: must.length,
    emitted: emitted.length,
    lost: must.filter((id) => !seen.has(id)),
    duplicated: emitted.length - seen.size,
    unexpected: [...seen].filter((id) => !may.has(id)),
  };
}
