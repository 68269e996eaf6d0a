/**
 * What the sync core emits. The two protocol adapters (protocol/airbyte.ts, protocol/singer.ts)
 * turn these into messages; nothing else knows either wire format.
 */
export type StreamStatus = 'STARTED' | 'RUNNING' | 'COMPLETE' | 'INCOMPLETE';
export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/** One export in flight for a stream: enough to resume it after a crash instead of re-creating it. */
export interface InFlightExport {
  id: string;
  /** Window bounds as RFC 3339 UTC: rows with start <= cursor < end. */
  start: string;
  end: string;
  createdAt: string;
}

/** A stream's resumable state, shared by both protocols (Airbyte stream_state, Singer bookmark). */
export interface StreamState {
  /** The cursor value, under the stream's cursor field name (updatedAt or createdAt). */
  [cursorField: string]: unknown;
}

export interface ApiCallCounts {
  token: number;
  account: number;
  create: number;
  read: number;
  download: number;
  cancel: number;
  query: number;
}

export interface StreamSummary {
  stream: string;
  rows: number;
  windows: number;
  exports: number;
  status: StreamStatus;
  seconds: number;
}

export type SyncEvent =
  | { type: 'status'; stream: string; status: StreamStatus }
  /**
   * A batch of records. Each line is the record's data already serialised as a JSON object
   * (the per-row fast path: the adapter only wraps it in its envelope).
   */
  | { type: 'records'; stream: string; lines: string[]; extractedAt: number }
  /** Emitted only when everything before it is out: a valid resume point. */
  | { type: 'state'; stream: string; state: StreamState; recordCount: number }
  | { type: 'log'; level: LogLevel; message: string }
  | { type: 'estimate'; stream: string; rows: number }
  | {
      type: 'progress';
      stream: string;
      windowsDone: number;
      windowsPlanned: number;
      rows: number;
      rowsPerSecond: number;
      apiCalls: number;
    }
  | { type: 'summary'; streams: StreamSummary[]; apiCalls: ApiCallCounts; seconds: number };
