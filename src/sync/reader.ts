/**
 * The one interface of the sync core's stream readers: a reader per source kind (export windows:
 * export-read.ts; v5 query pages: query-read.ts) gets what runRead shares across streams and
 * yields the core's SyncEvents (status RUNNING, records, state, progress, logs) for one stream.
 * A new stream of an existing kind is a row of the stream table; a new kind is a reader here.
 */
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Extractor } from '../extract/parallel.js';
import type { RowFrame } from '../extract/types.js';
import type { JobPort } from '../jobs/types.js';
import type { CreateExportRequest, PardotApi } from '../pardot/types.js';
import type { ConfiguredStream } from '../streams.js';
import type { EventQueue } from './event-queue.js';
import type { LogLevel, StreamSummary, SyncEvent } from './events.js';
import type { ExportStreamRun } from './export-run.js';
import type { CursorState } from './state.js';

export interface ReaderContext {
  config: Config;
  api: PardotApi;
  /** The job runner's port over exports (export readers). */
  port: JobPort<CreateExportRequest>;
  clock: Clock;
  log(level: LogLevel, message: string): void;
  /** The run's event queue: events enqueued while a reader waits come out in order. */
  events: EventQueue<SyncEvent>;
  /** Exclusive upper bound of the stream's rows this run: min(local, Pardot's clock), minus lookback_seconds for an incremental read. */
  to: number;
  /**
   * The newest cursor a full refresh's STATE may carry: min(local, Pardot's clock) minus
   * lookback_seconds. A full refresh reads up to `to` (later) but saves no cursor past this, so a
   * switch to incremental from its state still looks back. Infinity for an incremental read.
   */
  cursorCap: number;
  /** Most API calls the run may have made (max_api_calls, today's budget left). */
  ceiling: number;
  /** The zone Pardot writes CSV wall times in (checked or determined from Pardot's evidence). */
  timezone: string;
  /** CSV body -> encoded record batches (export readers). */
  extract: Extractor;
  /** The protocol adapter's record envelope (export readers frame records in it). */
  recordFrame: (stream: string, extractedAt: number) => RowFrame;
  /** This stream's saved state. */
  prior: CursorState;
  /** This stream's line of the run summary (rows, windows or pages, exports). */
  summary: StreamSummary;
  /** Aborted when the stream must stop (an error, a signal). */
  abort: AbortController;
  /** An export stream's run: its planned windows and the exports it queued (export-run.ts). */
  exportRun?: ExportStreamRun;
}

export type StreamReader = (cs: ConfiguredStream, ctx: ReaderContext) => AsyncGenerator<SyncEvent>;
