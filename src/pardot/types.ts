import type { Readable } from 'node:stream';
import type { ApiCallCounts } from '../sync/events.js';
import type { ObjectRead, QueryNext, QueryPage, QueryRequest } from './query.js';
import type { ExportState } from './wire.js';

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

export interface CreateExportRequest {
  object: string;
  fields: string[];
  procedure: { name: string; arguments: Record<string, string> };
}

export interface AccountInfo {
  id: number | string | null;
  maximumDailyApiCalls: number | null;
  apiCallsUsed: number | null;
}

export interface PardotApi {
  /** Cheap authenticated call: proves credentials and business unit, and reads today's budget. */
  account(signal?: AbortSignal): Promise<AccountInfo>;
  createExport(req: CreateExportRequest, signal?: AbortSignal): Promise<ExportResource>;
  readExport(id: string, signal?: AbortSignal): Promise<ExportResource>;
  cancelExport(id: string, signal?: AbortSignal): Promise<ExportResource>;
  /**
   * Opens one result file. Refuses (ConnectorError) a URL whose origin is not the API origin.
   * The body is a byte stream; the caller consumes it with backpressure.
   */
  download(url: string, signal?: AbortSignal): Promise<Readable>;
  /** One page of a v5 object query (a first request, or the next page of its token sequence). */
  query(req: QueryRequest | QueryNext, signal?: AbortSignal): Promise<QueryPage>;
  /** A singleton v5 object (the account): its one record. */
  readObject(req: ObjectRead, signal?: AbortSignal): Promise<Record<string, unknown>>;
  /** Calls made so far by kind (token grants included). */
  readonly calls: ApiCallCounts;
  /** Total API calls (token grants excluded: they do not count against Pardot's budget). */
  apiCallsTotal(): number;
}
