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
  /**
   * Hash of the request that created it (object, procedure, arguments, fields): an export is
   * resumed only for the same request. Absent in states written before it existed.
   */
  fingerprint?: string;
  /**
   * Which part of a window split over several exports (more fields than one export takes), from 0;
   * absent: 0 (a window of one export).
   */
  part?: number;
}

/** A stream's resumable state, shared by both protocols (Airbyte stream_state, Singer bookmark). */
export interface StreamState {
  /** The cursor value, under the stream's cursor field name (updatedAt or createdAt). */
  [cursorField: string]: unknown;
}

// The Pardot client counts its calls; the core reports them (pardot/ takes no type from sync/).
import type { ApiCallCounts } from '../pardot/types.js';
export type { ApiCallCounts };

export interface StreamSummary {
  stream: string;
  rows: number;
  windows: number;
  exports: number;
  status: StreamStatus;
  seconds: number;
  /** API calls made while this stream was read (token grants excluded). */
  apiCalls?: number;
  /** Windows that closed a full refresh (rows changed during the run), and the rows they brought. */
  closingWindows?: number;
  closingRows?: number;
}

/**
 * A batch of records, either as the data objects' JSON texts (`lines`: the adapter wraps each in
 * its envelope; the readable reference path) or, as runRead emits them, as output lines ready to
 * write (`encoded`: UTF-8 bytes back to back, row k = data[k ? ends[k-1] : 0, ends[k]], each row
 * already inside the adapter's own record envelope, the RowFrame it gave runRead). An encoded
 * batch's `release`, when set, is called once its bytes are written (the buffer is then reused).
 */
export type RecordsEvent =
  | { type: 'records'; stream: string; lines: string[]; encoded?: undefined; extractedAt: number }
  | {
      type: 'records';
      stream: string;
      encoded: { data: Uint8Array; ends: Uint32Array; release?: () => void };
      lines?: undefined;
      extractedAt: number;
    };

/** Records in a records event. */
export function recordCount(ev: RecordsEvent): number {
  return ev.lines !== undefined ? ev.lines.length : ev.encoded.ends.length;
}

export type SyncEvent =
  | { type: 'status'; stream: string; status: StreamStatus }
  | RecordsEvent
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
      /** What windowsDone counts: export windows (default) or query pages. */
      unit?: 'window' | 'page';
    }
  /** The run's end. peakRssBytes: the process's peak resident memory so far, when the caller measures it. */
  | { type: 'summary'; streams: StreamSummary[]; apiCalls: ApiCallCounts; seconds: number; peakRssBytes?: number };
