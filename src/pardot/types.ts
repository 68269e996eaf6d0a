import type { Readable } from 'node:stream';
import type { ExportState, PardotObject } from './wire.js';

/** The export resource, normalised: resultRefs always an array (absent -> []). */
export interface ExportResource {
  id: string;
  state: ExportState;
  isExpired: boolean;
  resultRefs: string[];
  /** ISO 8601 with the API user's UTC offset, as Pardot sends it. */
  createdAt: string | null;
  updatedAt: string | null;
}

/** A procedure argument: dates, `deleted` and booleans as strings; visitor activity `type` as integers. */
export type ProcedureArgValue = string | number[];

export interface CreateExportRequest {
  object: string;
  fields: string[];
  procedure: { name: string; arguments: Record<string, ProcedureArgValue> };
}

/** One page of a v5 object query: the records as Pardot wrote them (date-times with the user's offset). */
export interface QueryPage {
  values: Array<Record<string, unknown>>;
  nextPageToken: string | null;
}

export interface AccountInfo {
  id: number | string | null;
  maximumDailyApiCalls: number | null;
  apiCallsUsed: number | null;
}

/** API calls made so far, by kind ('query': v5 object queries; token grants do not count against the budget). */
export interface ApiCallCounts {
  token: number;
  account: number;
  create: number;
  read: number;
  download: number;
  cancel: number;
  query: number;
}

export interface PardotApi {
  /** Cheap authenticated call: proves credentials and business unit, and reads today's budget. */
  account(signal?: AbortSignal): Promise<AccountInfo>;
  /**
   * One page of a v5 object query (GET /api/v5/objects/{object}?fields=..&...): counted as a
   * `query` call; a missing View ability is PARDOT_PERMISSION naming it.
   */
  query(object: PardotObject, params: Record<string, string>, signal?: AbortSignal): Promise<QueryPage>;
  /** Pardot's clock minus the local clock (ms), from the Date header of its latest answer; null before one. */
  clockSkewMs(): number | null;
  createExport(req: CreateExportRequest, signal?: AbortSignal): Promise<ExportResource>;
  readExport(id: string, signal?: AbortSignal): Promise<ExportResource>;
  cancelExport(id: string, signal?: AbortSignal): Promise<ExportResource>;
  /**
   * Opens one result file. Refuses (ConnectorError) a URL whose origin is not the API origin.
   * The body is a byte stream; the caller consumes it with backpressure.
   */
  download(url: string, signal?: AbortSignal): Promise<Readable>;
  /**
   * One page of a v5 object query stream (a first request, or the next page of its token
   * sequence), with the 203 cap warning surfaced (pardot/query.ts).
   */
  queryPage(req: QueryRequest | QueryNext, signal?: AbortSignal): Promise<ObjectQueryPage>;
  /** A singleton v5 object (the account): its one record. */
  readObject(req: ObjectRead, signal?: AbortSignal): Promise<Record<string, unknown>>;
  /** Calls made so far by kind (token grants included). */
  readonly calls: ApiCallCounts;
  /** Total API calls (token grants excluded: they do not count against Pardot's budget). */
  apiCallsTotal(): number;
}

// ---- v5 object query streams (pardot/query.ts sends them)

export interface QueryRequest {
  /** The object's URL name, e.g. `campaigns`, `visitor-page-views`. */
  object: string;
  fields: string[];
  /** Records per page, at most 1000 (QUERY_MAX_LIMIT). */
  limit?: number;
  /** e.g. `updatedAt ASC,id ASC`. */
  orderBy?: string;
  /** Filter parameters as the object's page names them, e.g. {updatedAtAfterOrEqualTo: ISO, idGreaterThan: '12'}. */
  filters?: Record<string, string>;
  deleted?: 'all' | 'true' | 'false';
  /** The ability the object's page names (for the error when the user lacks it). */
  ability?: string;
}

/** The next page of a sequence: only `fields` may accompany a token. */
export interface QueryNext {
  object: string;
  fields: string[];
  token: string;
  ability?: string;
}

/** A singleton object (the account): one GET, the record is the body. */
export interface ObjectRead {
  object: string;
  fields: string[];
  ability?: string;
}

export interface ObjectQueryPage {
  values: Record<string, unknown>[];
  /** null: the sequence ended (see `capped`). */
  nextPageToken: string | null;
  /** Pardot stopped the token sequence at its record cap (warning 203): more records may match. */
  capped: boolean;
  /** Every Pardot-Warning the answer carried, as sent. */
  warnings: string[];
}
