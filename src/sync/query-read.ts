/**
 * The reader of v5 query streams: pages of `GET /api/v5/objects/{object}` (query-pager.ts), paged
 * by position in the data (keyset), never by nextPageToken. A token is a position in the live
 * result: rows that change or vanish after a page was served shift the rest, and as many unread
 * rows would be skipped. A keyset query asks "after the last record read", whatever moved since.
 *
 * - Incremental with a start point, on a cursor Pardot sorts and filters on (`cursorSortable`):
 *   `<c>AfterOrEqualTo=L` ordered by `<c>,id`, skipping the ids already emitted at second L; STATE
 *   after each page ({<c>: L, last_id: X}). More records of one second than a page holds: that
 *   second alone, in id order (`idGreaterThan`). A refused sort or filter, or a page out of that
 *   order, hands the rest to id order from the same point.
 * - Everything else (a full refresh; a first incremental read of a dimension table; a cursor Pardot
 *   cannot sort or filter on): `idGreaterThan=X` ordered by id (objects taking no orderBy: Pardot's
 *   default order, checked on every page), with the cursor's date filters where the object has
 *   them (else applied here); STATE at the end.
 * - A full refresh reads the table as it is: no upper bound (a row changed during the run keeps
 *   its id's place). start_date bounds event streams only; a dimension stream (campaigns, lists,
 *   users, ...) is read whole, also on an incremental stream's first read.
 * - Per parent record (dynamic content variations): the parents' ids, then each parent's records.
 * - The account: one read.
 */
import { ConnectorError } from '../errors.js';
import { QUERY_DEFAULT_ORDER_IS_ID, QUERY_TIME_RESOLUTION_MS } from '../pardot/wire.js';
import { findStream, type ConfiguredStream, type QueryStreamDef, type StreamField } from '../streams.js';
import type { SyncEvent } from './events.js';
import { QueryPager, type PageQuery } from './query-pager.js';
import type { ReaderContext } from './reader.js';
import { capCursor, serializeState, type CursorState } from './state.js';
import { toCursor } from './windows.js';

/** Progress is reported every this many pages (and at the end). */
const PROGRESS_EVERY_PAGES = 20;

type Rec = Record<string, unknown>;

/** v5 filter values: ISO 8601 with an explicit offset (sent URL-encoded). */
export function isoFilter(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

function idOf(r: Rec): number | null {
  const v = r['id'];
  return typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : null;
}

/** The fields emitted: the catalog's, and isDeleted when deleted rows are read (else they would look live). */
function emittedFields(cs: ConfiguredStream, deleted: boolean): StreamField[] {
  const isDel = cs.stream.fields.find((f) => f.name === 'isDeleted');
  return deleted && isDel && !cs.fields.some((f) => f.name === 'isDeleted') ? [...cs.fields, isDel] : [...cs.fields];
}

export async function* readQueryStream(cs: ConfiguredStream, ctx: ReaderContext): AsyncGenerator<SyncEvent> {
  const stream = cs.stream as QueryStreamDef;
  if (stream.kind !== 'query') throw new Error(`readQueryStream: ${stream.name} is not a query stream`);
  const r = new QueryStreamReader(cs, stream, ctx);
  ctx.summary.status = 'RUNNING';
  yield { type: 'status', stream: stream.name, status: 'RUNNING' };
  const q = stream.query;
  if (q.singleton) yield* r.singleton();
  else if (q.parent) yield* r.children(q.parent);
  else if (r.incremental && q.cursorSortable && r.hasStart) yield* r.byCursor();
  else yield* r.byId();
  yield r.progress();
}

class QueryStreamReader {
  readonly incremental: boolean;
  private readonly pager: QueryPager;
  private readonly emit: StreamField[];
  private readonly state: CursorState = { cursor: null, inFlight: [] };
  private rows = 0;
  private sinceState = 0;
  private readonly t0: number;
  /** Rows from here on (null: the whole table), and up to `to` (exclusive). */
  private readonly from: number | null;
  private readonly to: number;

  constructor(
    private readonly cs: ConfiguredStream,
    private readonly stream: QueryStreamDef,
    private readonly ctx: ReaderContext,
  ) {
    const q = stream.query;
    const c = stream.cursorField;
    this.incremental = cs.syncMode === 'incremental' && c !== null;
    const deleted = q.deleted && ctx.config.includeDeleted ? ('all' as const) : undefined;
    this.emit = emittedFields(cs, deleted !== undefined);
    this.pager = new QueryPager(stream, ctx, this.emit, deleted);
    this.t0 = ctx.clock.now();
    const prior = ctx.prior.cursor;
    // start_date bounds events only; a dimension table is read whole (a campaign untouched since 2019 is still a campaign).
    const floor = q.role === 'event' ? ctx.config.startDate : null;
    this.from = this.incremental && prior !== null ? Math.max(prior, floor ?? prior) : floor;
    this.to = ctx.to;
  }

  /** Whether the read starts at a cursor (an incremental read with a state, or of an event stream). */
  get hasStart(): boolean {
    return this.from !== null;
  }

  // ------------------------------------------------------------ events

  private records(values: Rec[]): SyncEvent {
    const extractedAt = this.ctx.clock.now();
    const lines = values.map((v) => {
      const out: Rec = {};
      for (const f of this.emit) out[f.name] = v[f.name] ?? null;
      return JSON.stringify(out);
    });
    this.rows += lines.length;
    this.sinceState += lines.length;
    this.ctx.summary.rows = this.rows;
    this.ctx.summary.windows = this.pager.pages;
    return { type: 'records', stream: this.stream.name, lines, extractedAt };
  }

  private stateEvent(): SyncEvent {
    const ev: SyncEvent = { type: 'state', stream: this.stream.name, state: serializeState(this.stream, capCursor(this.state, this.ctx.cursorCap)), recordCount: this.sinceState };
    this.sinceState = 0;
    return ev;
  }

  progress(): SyncEvent {
    const p = this.pager.pages;
    return {
      type: 'progress',
      stream: this.stream.name,
      windowsDone: p,
      windowsPlanned: p,
      rows: this.rows,
      rowsPerSecond: this.rows / Math.max((this.ctx.clock.now() - this.t0) / 1000, 1e-3),
      apiCalls: this.ctx.api.apiCallsTotal(),
      unit: 'page',
    };
  }

  // ------------------------------------------------------------ the account

  async *singleton(): AsyncGenerator<SyncEvent> {
    const q = this.stream.query;
    const rec = await this.ctx.api.readObject({ object: q.object, fields: this.emit.map((f) => f.name), ability: q.ability }, this.ctx.abort.signal);
    this.pager.pages = 1;
    yield this.records([rec]);
    yield this.stateEvent();
  }

  // ------------------------------------------------------------ id order

  /**
   * Every record in id order (`idGreaterThan`), with the cursor's range as filters where the
   * object has them (else applied here). Records of `object` when given (a parent's ids).
   */
  private async *idPages(base: PageQuery, range: { from: number | null; to: number | null }): AsyncGenerator<Rec[]> {
    const c = this.stream.cursorField;
    const filters: Record<string, string> = { ...base.filters };
    const f = this.stream.query.filters;
    if (c !== null && base.object === undefined) {
      if (range.from !== null && f.includes(`${c}AfterOrEqualTo`)) filters[`${c}AfterOrEqualTo`] = isoFilter(range.from);
      if (range.to !== null && f.includes(`${c}BeforeOrEqualTo`)) filters[`${c}BeforeOrEqualTo`] = isoFilter(range.to - QUERY_TIME_RESOLUTION_MS);
    }
    const sortable = base.object === undefined ? this.stream.query.sortable.includes('id') : true;
    if (!sortable && !QUERY_DEFAULT_ORDER_IS_ID) throw this.unordered(null, null);
    let last: number | null = null;
    for (;;) {
      const { values, more } = await this.pager.page({ ...base, orderBy: sortable ? 'id ASC' : undefined, filters: last === null ? filters : { ...filters, idGreaterThan: String(last) } });
      const asked = sortable && !this.pager.refusedSort('id ASC');
      let prev = last;
      const fresh: Rec[] = [];
      for (const v of values) {
        const id = idOf(v);
        if (id === null) continue;
        // The keyset rests on id order, asked or (no sort) Pardot's default (QUERY_DEFAULT_ORDER_IS_ID): checked, never assumed.
        if (prev !== null && id <= prev) throw this.unordered(id, prev, asked);
        prev = id;
        if (last === null || id > last) fresh.push(v);
      }
      if (fresh.length > 0) last = idOf(fresh[fresh.length - 1]!);
      yield fresh.filter((v) => base.object !== undefined || this.inRange(v, range));
      if (!more || fresh.length === 0) return;
    }
  }

  private inRange(v: Rec, range: { from: number | null; to: number | null }): boolean {
    const c = this.stream.cursorField;
    if (c === null || (range.from === null && range.to === null)) return true;
    const t = Date.parse(String(v[c] ?? ''));
    if (!Number.isFinite(t)) return range.from === null; // no cursor value: only a whole-table read keeps it
    return (range.from === null || t >= range.from) && (range.to === null || t < range.to);
  }

  private unordered(id: number | null, prev: number | null, asked = false): ConnectorError {
    const why = asked ? 'though asked orderBy=id ASC' : 'the object takes no orderBy, and its default order is not id order';
    return new ConnectorError(
      'QUERY_UNORDERED',
      `The ${this.stream.name} query is not in id order (${id !== null ? `Pardot answered id ${id} after id ${prev}: ` : ''}${why}), ` +
        `so reading on from the last id could skip records. Nothing was skipped silently; report it (src/pardot/wire.ts QUERY_DEFAULT_ORDER_IS_ID).`,
      { failureType: 'system_error', context: { stream: this.stream.name } },
    );
  }

  /**
   * A full refresh, or an incremental read in id order (a first read of a dimension table, a
   * cursor Pardot cannot sort or filter on, or the rest of a (cursor, id) read that had to give
   * up its sort): STATE at the end. `start`: the (second, last id) a cursor read got to; records
   * of that second up to that id are out already.
   */
  async *byId(start?: { at: number; lastId: number | null }): AsyncGenerator<SyncEvent> {
    const prior = this.ctx.prior;
    const from = start?.at ?? this.from;
    const skip = start ?? (this.incremental && from !== null && prior.cursor === from ? { at: from, lastId: prior.lastId ?? null } : null);
    // A full refresh reads the table as it is (no upper bound: a row changed during the run keeps its place).
    const range = { from, to: this.incremental ? this.to : null };
    if (this.incremental && from !== null && from >= this.to) return yield* this.nothingToRead(from);
    const done = (v: Rec): boolean => skip !== null && skip.lastId !== null && this.second(v) === skip.at && idOf(v)! <= skip.lastId;
    for await (const values of this.idPages({ filters: {} }, range)) {
      const fresh = skip?.lastId != null ? values.filter((v) => !done(v)) : values;
      if (fresh.length > 0) yield this.records(fresh);
      if (this.pager.pages % PROGRESS_EVERY_PAGES === 0) yield this.progress();
    }
    if (this.stream.cursorField !== null) {
      this.state.cursor = this.to;
      this.state.lastId = null;
    }
    yield this.stateEvent();
  }

  /** A record's cursor value at Pardot's resolution (QUERY_TIME_RESOLUTION_MS), or null. */
  private second(v: Rec): number | null {
    const t = Date.parse(String(v[this.stream.cursorField!] ?? ''));
    return Number.isFinite(t) ? Math.floor(t / QUERY_TIME_RESOLUTION_MS) * QUERY_TIME_RESOLUTION_MS : null;
  }

  private *nothingToRead(at: number): Generator<SyncEvent> {
    this.ctx.log('INFO', `${this.stream.name}: nothing to read, cursor ${toCursor(at)} is not before ${toCursor(this.to)}.`);
    this.state.cursor = at;
    this.state.lastId = this.ctx.prior.cursor === at ? (this.ctx.prior.lastId ?? null) : null;
    yield this.stateEvent();
  }

  // ------------------------------------------------------------ per parent record

  async *children(parent: { stream: string; filter: string }): AsyncGenerator<SyncEvent> {
    const p = parentQuery(parent.stream);
    const parentDeleted = p.deleted && this.ctx.config.includeDeleted ? ('all' as const) : undefined;
    const parents: number[] = [];
    const of = { object: p.object, ability: p.ability, fields: ['id'], ...(parentDeleted ? { deleted: parentDeleted } : {}) };
    for await (const values of this.idPages({ filters: {}, object: of }, { from: null, to: null })) for (const v of values) parents.push(idOf(v)!);
    for (const pid of parents) {
      for await (const values of this.idPages({ filters: { [parent.filter]: String(pid) } }, { from: null, to: null })) {
        if (values.length > 0) yield this.records(values);
      }
    }
    yield this.stateEvent();
  }

  // ------------------------------------------------------------ (cursor, id) order

  /**
   * Incremental on a cursor Pardot sorts and filters on: each page asks `<c> >= at` ordered by
   * (c, id) and skips the ids of second `at` emitted already; STATE after each page: (at,
   * lastId). A page that brings nothing new holds only second `at`: more of its records than a
   * page holds, read alone in id order (`tie`). A refused sort or cursor filter, or a page out of
   * (c, id) order, hands the rest to byId from the same (at, lastId): nothing is skipped.
   */
  async *byCursor(): AsyncGenerator<SyncEvent> {
    const c = this.stream.cursorField!;
    const prior = this.ctx.prior;
    // Where the last run stopped: second `at`, and there the ids up to seenMax are out already.
    let at = this.from!;
    let seenMax: number | null = prior.cursor === at ? (prior.lastId ?? null) : null;
    if (at >= this.to) return yield* this.nothingToRead(at);
    const upper = isoFilter(this.to - QUERY_TIME_RESOLUTION_MS);
    /** In a tie: the last id seen of second `at` (also records dropped below), else null. */
    let tieFrom: number | null = null;
    for (;;) {
      const tie = tieFrom !== null;
      const orderBy = tie ? 'id ASC' : `${c} ASC,id ASC`;
      const filters = tie
        ? { [`${c}AfterOrEqualTo`]: isoFilter(at), [`${c}BeforeOrEqualTo`]: isoFilter(at), idGreaterThan: String(tieFrom) }
        : { [`${c}AfterOrEqualTo`]: isoFilter(at), [`${c}BeforeOrEqualTo`]: upper };
      const { values, more } = await this.pager.page({ orderBy, filters });
      if (this.pager.refusedSort(orderBy) || this.pager.refused.has(`${c}AfterOrEqualTo`) || !this.inCursorOrder(values, tie)) {
        // Pardot will not sort or filter on the cursor after all: the rest in id order, the range applied here.
        return yield* this.byId({ at, lastId: seenMax });
      }
      const fresh: Rec[] = [];
      let past = false;
      let maxId: number | null = tieFrom;
      for (const v of values) {
        const t = this.second(v);
        const id = idOf(v);
        if (id !== null && tie) maxId = Math.max(maxId!, id);
        if (t !== null && t >= this.to) past = true; // the upper bound given up (code 209): applied here
        // A tie page holds second `at` alone, whatever filter Pardot may have dropped.
        if (t === null || id === null || t >= this.to || t < at || (tie && t !== at)) continue;
        if (t === at && seenMax !== null && id <= seenMax) continue; // emitted already
        if (t !== at) seenMax = null;
        fresh.push(v);
        at = t;
        seenMax = Math.max(seenMax ?? id, id);
      }
      if (fresh.length > 0) {
        this.state.cursor = at;
        this.state.lastId = seenMax;
        yield this.records(fresh);
        yield this.stateEvent();
      }
      if (this.pager.pages % PROGRESS_EVERY_PAGES === 0) yield this.progress();
      if (tie) {
        if (more && maxId! > tieFrom!) {
          tieFrom = maxId;
          continue;
        }
        // Second `at` is out whole: on from the next one.
        tieFrom = null;
        at += QUERY_TIME_RESOLUTION_MS;
        seenMax = null;
        if (at >= this.to) break;
        continue;
      }
      if (!more || past) break;
      if (fresh.length === 0) {
        if (values.length === 0 || seenMax === null) break; // an empty page: nothing more
        // A page with nothing new: more records share second `at` than a page holds.
        tieFrom = seenMax;
      }
    }
    this.state.cursor = this.to;
    this.state.lastId = null;
    yield this.stateEvent();
  }

  /**
   * Whether a page is in the order asked: (second, id) ascending, or id ascending in a tie. The
   * keyset rests on it (and on QUERY_TIME_RESOLUTION_MS: Pardot sorting on a finer time than it
   * shows would put ids of one shown second out of order): checked, never assumed.
   */
  private inCursorOrder(values: Rec[], tie: boolean): boolean {
    let pt = -Infinity;
    let pid = -Infinity;
    for (const v of values) {
      const t = tie ? 0 : (this.second(v) ?? -Infinity);
      const id = idOf(v) ?? -Infinity;
      if (t < pt || (t === pt && id <= pid)) {
        this.ctx.log('WARN', `${this.stream.name}: Pardot answered a page out of the order asked (id ${id} after id ${pid}); reading the rest in id order.`);
        return false;
      }
      pt = t;
      pid = id;
    }
    return true;
  }
}

/** A parent stream's query object. */
function parentQuery(stream: string): QueryStreamDef['query'] {
  const def = findStream(stream);
  if (!def || def.kind !== 'query') throw new Error(`stream table: parent ${stream} is not a query stream`);
  return def.query;
}
