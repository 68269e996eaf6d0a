/**
 * One v5 query stream's pages, each a query of its own (keyset paging: the position is in the
 * filters, never in a nextPageToken, so a page token's loss, expiry or shifting position changes
 * nothing), with what a live business unit answers handled here, for the rest of the run:
 *
 * - a field Pardot refuses (code 51, or 180/224) is dropped with a WARN and the page asked again;
 * - a sort, or a bound on the cursor, it refuses is given up with a WARN (the reader then orders
 *   by id or filters on its side: QueryPager.refused tells it), and the page asked again; any
 *   other refused filter (the id keyset, a parent's id) is an error: nobody else could apply it;
 * - a query that timed out (214, HTTP 504) is asked again with half the page size, down to 100;
 * - too many filtered fields (209): the upper date bound is given up (the reader applies it);
 * - a page token refused as expired or invalid (210/211): the same query again, without a token.
 */
import { ConnectorError, isConnectorError } from '../errors.js';
import type { QueryRequest } from '../pardot/types.js';
import { QUERY_MAX_LIMIT } from '../pardot/wire.js';
import type { QueryStreamDef, StreamField } from '../streams.js';
import type { ReaderContext } from './reader.js';

/** The smallest page a timed-out query is shrunk to. */
export const QUERY_MIN_LIMIT = 100;
/** Re-asking one page after a refusal or a timeout: at most this many times. */
const MAX_PAGE_ATTEMPTS = 12;

type Rec = Record<string, unknown>;

export interface PageQuery {
  orderBy?: string;
  filters: Record<string, string>;
  /** Records of deleted parents too, or another object's query (a parent's ids). */
  object?: { object: string; ability: string; fields: string[]; deleted?: 'all' };
}

export class QueryPager {
  /** Field names to request: the emitted fields, collections as their sub-fields, less refused ones. */
  private ask: string[];
  /** Filters and sorts Pardot refused (their names), given up for the rest of the run. */
  readonly refused = new Set<string>();
  limit = QUERY_MAX_LIMIT;
  pages = 0;

  constructor(
    private readonly stream: QueryStreamDef,
    private readonly ctx: ReaderContext,
    /** The fields emitted (the catalog's, with isDeleted when deleted rows are read). */
    readonly emit: readonly StreamField[],
    private readonly deleted: 'all' | undefined,
  ) {
    const sub = stream.query.subFields ?? {};
    this.ask = emit.flatMap((f) => sub[f.name] ?? [f.name]);
  }

  /**
   * One page of the stream's object (or of `q.object`'s); throws what cannot be worked around.
   * `more`: the query has records past this page (a next page token, or the sequence cap), as
   * Pardot says; the position itself is never taken from the token.
   */
  async page(q: PageQuery): Promise<{ values: Rec[]; more: boolean }> {
    for (let attempt = 1; ; attempt++) {
      this.checkCeiling();
      const req = this.request(q);
      try {
        const page = await this.ctx.api.queryPage(req, this.ctx.abort.signal);
        this.pages++;
        return { values: page.values, more: page.nextPageToken !== null || page.capped };
      } catch (e) {
        if (this.ctx.abort.signal.aborted || attempt >= MAX_PAGE_ATTEMPTS || !this.recover(e, req, q)) throw e;
      }
    }
  }

  private request(q: PageQuery): QueryRequest {
    const filters = Object.fromEntries(Object.entries(q.filters).filter(([k]) => !this.refused.has(k)));
    const orderBy = q.orderBy === undefined || this.refusedSort(q.orderBy) ? undefined : q.orderBy;
    if (q.object) {
      const { object, ability, fields, deleted } = q.object;
      return { object, fields, limit: this.limit, filters, ability, ...(orderBy ? { orderBy } : {}), ...(deleted ? { deleted } : {}) };
    }
    const s = this.stream.query;
    return { object: s.object, fields: this.ask, limit: this.limit, filters, ability: s.ability, ...(orderBy ? { orderBy } : {}), ...(this.deleted ? { deleted: this.deleted } : {}) };
  }

  /**
   * Whether Pardot refused this orderBy. A code-51 answer names the parameter, not which of its
   * fields, so the whole orderBy is given up: a refused `updatedAt ASC,id ASC` leaves `id ASC` to try.
   */
  refusedSort(orderBy: string): boolean {
    return this.refused.has(`orderBy:${orderBy}`);
  }

  /** Handles what a live Pardot answers; true: ask again. */
  private recover(e: unknown, req: QueryRequest, q: PageQuery): boolean {
    if (!isConnectorError(e)) return false;
    const name = this.stream.name;
    switch (e.code) {
      case 'PARDOT_INVALID_FIELD':
        return q.object === undefined && this.dropField(e);
      case 'PARDOT_BAD_REQUEST':
        return this.giveUp(e, req, q);
      case 'PARDOT_QUERY_TIMEOUT': {
        if (this.limit <= QUERY_MIN_LIMIT) return false;
        this.limit = Math.max(QUERY_MIN_LIMIT, Math.floor(this.limit / 2));
        this.ctx.log('WARN', `${name}: Pardot's query timed out (${e.message}); asking pages of ${this.limit} records for the rest of the run.`);
        return true;
      }
      case 'PARDOT_QUERY_TOO_MANY_FILTERS': {
        const upper = Object.keys(req.filters ?? {}).find((k) => /BeforeOrEqualTo$/.test(k));
        if (upper === undefined) return false;
        this.refused.add(upper);
        this.ctx.log('WARN', `${name}: Pardot refused the query as filtering on too many fields; '${upper}' is applied by the connector instead for the rest of the run.`);
        return true;
      }
      case 'PARDOT_QUERY_TOKEN_INVALID':
        // The position is in the filters: the same query again starts where the last page ended.
        return true;
      default:
        return false;
    }
  }

  /** A refused field (not the key or the cursor) is left out; a collection's sub-field leaves the collection partial. */
  private dropField(e: ConnectorError): boolean {
    const f = e.context.field;
    const c = this.stream.cursorField;
    if (typeof f !== 'string' || f === 'id' || f === c || !this.ask.includes(f)) return false;
    this.ask = this.ask.filter((x) => x !== f);
    this.ctx.log(
      'WARN',
      `${this.stream.name}: Pardot refused field '${f}' (${e.message}); it is left out of this stream's queries for the rest of the run (its value stays empty), and the page is asked again.`,
    );
    return true;
  }

  /** A refused sort or cursor bound (code 51 naming that parameter): given up, as the reader can do their work itself. */
  private giveUp(e: ConnectorError, req: QueryRequest, q: PageQuery): boolean {
    const p = e.context.parameter;
    if (typeof p !== 'string') return false;
    if (p === 'orderBy' && req.orderBy) {
      this.refused.add(`orderBy:${req.orderBy}`);
      this.ctx.log('WARN', `${this.stream.name}: Pardot refused orderBy=${req.orderBy} (${e.message}); the connector reads in another order (id, or Pardot's default, checked page by page) for the rest of the run.`);
      return true;
    }
    // Only the cursor's date bounds: the reader applies those itself (never the id keyset or a parent's id).
    const c = this.stream.cursorField;
    if (c !== null && q.object === undefined && (p === `${c}AfterOrEqualTo` || p === `${c}BeforeOrEqualTo`) && p in (req.filters ?? {})) {
      this.refused.add(p);
      this.ctx.log('WARN', `${this.stream.name}: Pardot refused the filter '${p}' (${e.message}); the connector applies it itself for the rest of the run (reading more records).`);
      return true;
    }
    return false;
  }

  private checkCeiling(): void {
    if (this.ctx.api.apiCallsTotal() + 1 > this.ctx.ceiling) {
      throw new ConnectorError(
        'API_CALL_CEILING',
        `Not reading the next page of ${this.stream.name}: the API call ceiling (max_api_calls or today's Pardot budget) is reached. ` +
          `State up to the last page is saved; run again later or raise max_api_calls.`,
        { failureType: 'transient_error', context: { stream: this.stream.name } },
      );
    }
  }
}
