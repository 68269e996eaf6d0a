/**
 * The reader of v5 query streams: pages of `GET /api/v5/objects/{object}` (limit 1000), in
 * (cursor, id) order where the cursor is sortable, else in id order, never truncated.
 *
 * Pardot ends a nextPageToken sequence at 100,000 records (warning 203). The reader then starts a
 * new query from the last record it emitted, so every record arrives exactly once:
 * - (cursor, id) order, last record (L, X): first the records at cursor = L with id > X
 *   (`<c>AfterOrEqualTo=L&<c>BeforeOrEqualTo=L&idGreaterThan=X`, id order), then cursor >= L + 1 s;
 * - id order: `idGreaterThan=X` with the same date filters.
 * Records at or before the position already emitted are skipped, whatever Pardot answers.
 *
 * Bounds: rows with startDate (or the saved cursor) <= cursor < `to` (the sync's start minus the
 * lag, like the export windows); the upper bound is sent as `<c>BeforeOrEqualTo = to - 1 s` and
 * also applied here. STATE: after each page in (cursor, id) order ({<c>: L, last_id: X}); at the
 * end ({<c>: to}); id-ordered streams only at the end (their cursor cannot say how far a partial
 * read got); cursor-less streams ({state_version}) at the end.
 */
import { ConnectorError } from '../errors.js';
import type { QueryPage, QueryRequest } from '../pardot/query.js';
import { QUERY_MAX_LIMIT, QUERY_TIME_RESOLUTION_MS } from '../pardot/wire.js';
import { findStream, type ConfiguredStream, type QueryStreamDef } from '../streams.js';
import type { SyncEvent } from './events.js';
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

export async function* readQueryStream(cs: ConfiguredStream, ctx: ReaderContext): AsyncGenerator<SyncEvent> {
  const { prior, summary } = ctx;
  const signal = ctx.abort.signal;
  const stream = cs.stream as QueryStreamDef;
  if (stream.kind !== 'query') throw new Error(`readQueryStream: ${stream.name} is not a query stream`);
  const q = stream.query;
  const { config, api, clock } = ctx;
  const limit = QUERY_MAX_LIMIT;
  const c = stream.cursorField;
  const incremental = cs.syncMode === 'incremental' && c !== null;
  const deleted = q.deleted && config.includeDeleted ? ('all' as const) : undefined;
  const names = cs.fields.map((f) => f.name);
  // With deleted records included, isDeleted always comes along (else deleted rows look live).
  const askFields = deleted && stream.fields.some((f) => f.name === 'isDeleted') && !names.includes('isDeleted') ? [...names, 'isDeleted'] : names;
  const emitFields = deleted && askFields.length > names.length ? askFields : names;
  const t0 = clock.now();
  let pages = 0;
  let rows = 0;
  let sinceState = 0;
  const state: CursorState = { cursor: null, inFlight: [] };

  summary.status = 'RUNNING';
  yield { type: 'status', stream: stream.name, status: 'RUNNING' };

  const stateEvent = (): SyncEvent => {
    const ev: SyncEvent = { type: 'state', stream: stream.name, state: serializeState(stream, capCursor(state, ctx.cursorCap)), recordCount: sinceState };
    sinceState = 0;
    return ev;
  };
  const progress = (): SyncEvent => ({
    type: 'progress',
    stream: stream.name,
    windowsDone: pages,
    windowsPlanned: pages,
    rows,
    rowsPerSecond: rows / Math.max((clock.now() - t0) / 1000, 1e-3),
    apiCalls: api.apiCallsTotal(),
    unit: 'page',
  });
  const records = (values: Rec[]): SyncEvent => {
    const extractedAt = clock.now();
    const lines = values.map((v) => {
      const out: Rec = {};
      for (const n of emitFields) out[n] = v[n] ?? null;
      return JSON.stringify(out);
    });
    rows += lines.length;
    sinceState += lines.length;
    summary.rows = rows;
    return { type: 'records', stream: stream.name, lines, extractedAt };
  };

  const checkCeiling = (): void => {
    if (api.apiCallsTotal() + 1 > ctx.ceiling) {
      throw new ConnectorError(
        'API_CALL_CEILING',
        `Not reading the next page of ${stream.name}: the API call ceiling (max_api_calls or today's Pardot budget) is reached. ` +
          `State up to the last page is saved; run again later or raise max_api_calls.`,
        { failureType: 'transient_error', context: { stream: stream.name } },
      );
    }
  };

  /** One token sequence: every page, until Pardot ends it (page.capped tells why). */
  async function* sequence(req: QueryRequest): AsyncGenerator<QueryPage> {
    let page: QueryPage | null = null;
    do {
      checkCeiling();
      page = await api.queryPage(
        page === null ? req : { object: req.object, fields: req.fields, token: page.nextPageToken!, ability: req.ability },
        signal,
      );
      pages++;
      summary.windows = pages;
      yield page;
    } while (page.nextPageToken !== null);
  }

  const base = (): QueryRequest => ({ object: q.object, fields: askFields, limit, ability: q.ability, ...(deleted ? { deleted } : {}) });
  const capNoWay = (how: string): ConnectorError =>
    new ConnectorError(
      'QUERY_CAP_NO_CONTINUATION',
      `Pardot ended the ${stream.name} query at its 100,000-record cap and ${how}; no record was skipped silently: ` +
        `the records up to the last STATE are emitted. Report it (the object table, src/v5-objects.json, may need a filter).`,
      { failureType: 'system_error', context: { stream: stream.name } },
    );

  // ------------------------------------------------------------ singleton: the account
  if (q.singleton) {
    checkCeiling();
    const rec = await api.readObject({ object: q.object, fields: askFields, ability: q.ability }, signal);
    pages = 1;
    summary.windows = 1;
    yield records([rec]);
    yield stateEvent();
    yield progress();
    return;
  }

  // ------------------------------------------------------------ per parent record
  if (q.parent) {
    const parent = q.parent;
    const parentDef = parentQuery(parent.stream);
    // Records of deleted parents too, when deleted records are read.
    const parentDeleted = parentDef.deleted && config.includeDeleted ? { deleted: 'all' as const } : {};
    let lastParent: number | null = null;
    const parentIds: number[] = [];
    // Parent ids in id order, continued past the cap with idGreaterThan.
    for (;;) {
      let capped = false;
      const beforeParent: number | null = lastParent;
      const filters: Record<string, string> = lastParent !== null ? { idGreaterThan: String(lastParent) } : {};
      for await (const page of sequence({ object: parentDef.object, fields: ['id'], limit, orderBy: 'id ASC', filters, ability: parentDef.ability, ...parentDeleted })) {
        for (const v of page.values) {
          const id = idOf(v);
          if (id !== null && (lastParent === null || id > lastParent)) {
            parentIds.push(id);
            lastParent = id;
          }
        }
        capped = page.capped;
      }
      if (!capped) break;
      if (!parentDef.idFilter) throw capNoWay(`${parent.stream} has no idGreaterThan filter to continue from id ${String(lastParent)}`);
      // A capped sequence that brought no new id would be asked again forever.
      if (lastParent === beforeParent) throw capNoWay(`a new query of ${parent.stream} after id ${String(lastParent)} brought no new record`);
    }
    for (const pid of parentIds) {
      let last: number | null = null;
      for (;;) {
        let capped = false;
        const beforeChild: number | null = last;
        const filters: Record<string, string> = { [parent.filter]: String(pid) };
        if (last !== null) {
          if (!q.idFilter) throw capNoWay(`the object has no idGreaterThan filter to continue from id ${last}`);
          filters.idGreaterThan = String(last);
        }
        for await (const page of sequence({ ...base(), orderBy: 'id ASC', filters })) {
          const fresh = page.values.filter((v) => {
            const id = idOf(v);
            return last === null || (id !== null && id > last);
          });
          for (const v of fresh) last = idOf(v) ?? last;
          if (fresh.length > 0) yield records(fresh);
          capped = page.capped;
        }
        if (!capped) break;
        if (last === beforeChild) throw capNoWay(`a new query for ${parent.filter} ${pid} after id ${String(last)} brought no new record`);
      }
    }
    yield stateEvent();
    yield progress();
    return;
  }

  const from = incremental && prior.cursor !== null ? Math.max(prior.cursor, config.startDate) : config.startDate;
  const to = ctx.to;
  const lastSecond = to - QUERY_TIME_RESOLUTION_MS;
  const inRange = (v: Rec): boolean => {
    if (c === null) return true;
    const t = Date.parse(String(v[c] ?? ''));
    return Number.isFinite(t) && t >= from && t < to;
  };

  // ------------------------------------------------------------ (cursor, id) order
  if (c !== null && q.cursorSortable) {
    state.cursor = from;
    // Resume between two records of one second: the saved last_id.
    let pos: { at: number; id: number | null } = {
      at: from,
      id: incremental && prior.cursor !== null && prior.cursor === from && typeof prior.lastId === 'number' ? prior.lastId : null,
    };
    if (from >= to) {
      ctx.log('INFO', `${stream.name}: nothing to read, cursor ${toCursor(from)} is not before ${toCursor(to)}.`);
      // Keep the resume point as it was (a record of second `from` with id <= last_id is out already).
      state.cursor = from;
      state.lastId = pos.id;
      yield stateEvent();
      return;
    }
    const secOf = (v: Rec): number | null => {
      const t = Date.parse(String(v[c] ?? ''));
      return Number.isFinite(t) ? Math.floor(t / QUERY_TIME_RESOLUTION_MS) * QUERY_TIME_RESOLUTION_MS : null;
    };
    /** Emits a page's records past the position; moves the position and the state. */
    const take = (values: Rec[]): Rec[] => {
      const fresh: Rec[] = [];
      for (const v of values) {
        const t = secOf(v);
        const id = idOf(v);
        if (t === null || id === null || t >= to) continue;
        if (t < pos.at || (t === pos.at && pos.id !== null && id <= pos.id)) continue; // already emitted
        fresh.push(v);
        pos = { at: t, id };
      }
      if (fresh.length > 0) {
        state.cursor = pos.at;
        state.lastId = pos.id;
      }
      return fresh;
    };
    for (;;) {
      if (pos.id !== null) {
        // The rest of second pos.at, in id order.
        const at = pos.at;
        if (q.idFilter) {
          for (;;) {
            let capped = false;
            const beforeId: number | null = pos.id;
            const filters = { [`${c}AfterOrEqualTo`]: isoFilter(at), [`${c}BeforeOrEqualTo`]: isoFilter(at), idGreaterThan: String(pos.id) };
            for await (const page of sequence({ ...base(), orderBy: 'id ASC', filters })) {
              const fresh = take(page.values);
              if (fresh.length > 0) yield records(fresh);
              if (fresh.length > 0) yield stateEvent();
              capped = page.capped;
              if (pages % PROGRESS_EVERY_PAGES === 0) yield progress();
            }
            if (!capped) break;
            if (pos.at === at && pos.id === beforeId) throw capNoWay(`a new query of second ${toCursor(at)} after id ${String(beforeId)} brought no new record`);
          }
          // Every record of second `at` is out: go on from the next second.
          pos = { at: at + QUERY_TIME_RESOLUTION_MS, id: null };
          state.cursor = pos.at;
          state.lastId = null;
          if (pos.at >= to) break;
        }
      }
      let capped = false;
      const before = pos.at;
      const beforeId = pos.id;
      const filters = { [`${c}AfterOrEqualTo`]: isoFilter(pos.at), [`${c}BeforeOrEqualTo`]: isoFilter(lastSecond) };
      for await (const page of sequence({ ...base(), orderBy: `${c} ASC,id ASC`, filters })) {
        const fresh = take(page.values);
        if (fresh.length > 0) {
          yield records(fresh);
          yield stateEvent();
        }
        capped = page.capped;
        if (pages % PROGRESS_EVERY_PAGES === 0) yield progress();
      }
      if (!capped) break;
      // Without an id filter the next query asks from second pos.at again and skips what was emitted.
      if (pos.at === before && pos.id === beforeId) throw capNoWay(`a new query from ${toCursor(pos.at)} brought no new record`);
      ctx.log('INFO', `${stream.name}: Pardot's 100,000-record cap reached; continuing after ${toCursor(pos.at)} id ${String(pos.id)}.`);
    }
    state.cursor = to;
    state.lastId = null;
    yield stateEvent();
    yield progress();
    return;
  }

  // ------------------------------------------------------------ id order (no sortable cursor, or no cursor)
  if (c !== null && from >= to) {
    ctx.log('INFO', `${stream.name}: nothing to read, cursor ${toCursor(from)} is not before ${toCursor(to)}.`);
    state.cursor = from;
    yield stateEvent();
    return;
  }
  let last: number | null = null;
  const dateFilters: Record<string, string> = c !== null ? { [`${c}AfterOrEqualTo`]: isoFilter(from), [`${c}BeforeOrEqualTo`]: isoFilter(lastSecond) } : {};
  const orderBy = q.sortable.includes('id') ? 'id ASC' : undefined;
  for (;;) {
    let capped = false;
    const filters = { ...dateFilters };
    if (last !== null) {
      if (!q.idFilter) throw capNoWay(`the object has no idGreaterThan filter to continue from id ${last}`);
      filters.idGreaterThan = String(last);
    }
    const before: number | null = last;
    for await (const page of sequence({ ...base(), ...(orderBy ? { orderBy } : {}), filters })) {
      const fresh = page.values.filter((v) => {
        const id = idOf(v);
        return id !== null && (last === null || id > last) && inRange(v);
      });
      for (const v of page.values) {
        const id = idOf(v);
        if (id !== null && (last === null || id > last)) last = id;
      }
      if (fresh.length > 0) yield records(fresh);
      capped = page.capped;
      if (pages % PROGRESS_EVERY_PAGES === 0) yield progress();
    }
    if (!capped) break;
    if (last === before) throw capNoWay(`a new query after id ${String(last)} brought no new record`);
    ctx.log('INFO', `${stream.name}: Pardot's 100,000-record cap reached; continuing after id ${String(last)}.`);
  }
  if (c !== null) state.cursor = to;
  yield stateEvent();
  yield progress();
}

/** A parent stream's query object. */
function parentQuery(stream: string): QueryStreamDef['query'] {
  const def = findStream(stream);
  if (!def || def.kind !== 'query') throw new Error(`stream table: parent ${stream} is not a query stream`);
  return def.query;
}
