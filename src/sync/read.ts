/**
 * The read loop: for each configured stream, plan windows, run one export per window, stream
 * its files through CSV extraction, and emit events. It knows Pardot only through the
 * PardotApi port and the stream table; it knows neither protocol's wire format.
 *
 * Guarantees:
 * - A stream's STATE is emitted only after every row of the window it closes was emitted; its
 *   cursor is that window's end, never later than the sync's start minus CURSOR_LAG_MS.
 * - Exports created but not yet emitted are recorded in state (in_flight), so a killed run
 *   resumes them instead of queueing duplicates in Pardot.
 * - Windows are pipelined (config.pipelineDepth): when window N's export completes, window N+1's
 *   is created while N downloads, so Pardot's one-at-a-time queue never idles. Events still come
 *   out in window order.
 */
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { ConnectorError, configError, isConnectorError, toConnectorError } from '../errors.js';
import { extractCsvBytes } from '../extract/index.js';
import type { Extractor } from '../extract/parallel.js';
import type { RowFrame } from '../extract/types.js';
import { offsetMinutesAt } from '../extract/timezone.js';
import type { JobPort, JobSnapshot } from '../jobs/types.js';
import { waitForJob } from '../jobs/run-job.js';
import type { CreateExportRequest, PardotApi } from '../pardot/types.js';
import { DELETED_ALL, OBJECT_NAMES } from '../pardot/wire.js';
import type { ConfiguredStream, FieldDef } from '../streams.js';
import type { InFlightExport, LogLevel, RecordsEvent, StreamStatus, StreamSummary, SyncEvent } from './events.js';
import { EventQueue } from './event-queue.js';
import { readQueryStream } from './query-read.js';
import { mergeBounded } from './merge.js';
import { serializeState, type CursorState } from './state.js';
import { CURSOR_LAG_MS, describeWindow, floorToSecond, maxWindowMs, planWindows, toCursor, windowArgs, type Window } from './windows.js';

/** API calls one window may need (create, polls, downloads): a window is not started with fewer left. */
export const EST_CALLS_PER_WINDOW = 12;
/** Re-opening a result file cut off mid-body: attempts before giving up. */
export const MAX_DOWNLOAD_ATTEMPTS = 5;
/** An export found expired while downloading is re-created at most this often. */
export const MAX_EXPIRED_RECREATES = 2;

export interface ReadOptions {
  config: Config;
  streams: ConfiguredStream[];
  state: Map<string, CursorState>;
  api: PardotApi;
  port: JobPort<CreateExportRequest>;
  clock: Clock;
  signal?: AbortSignal;
  /**
   * Converts one file's body into encoded record batches. Default: extractCsvBytes on this thread;
   * the commands pass the worker-thread pool's (extract/parallel.ts) when more cores are there.
   */
  extract?: Extractor;
  /**
   * The protocol adapter's record envelope for a stream's records extracted at a time (ms):
   * records come out inside it, ready to write, with no copy on this thread.
   */
  recordFrame: (stream: string, extractedAt: number) => RowFrame;
  /** The process's peak resident memory in bytes (the adapters pass process.resourceUsage), for the summary. */
  memory?: () => number;
}

interface PlannedWindow extends Window {
  resumeId?: string;
}

/** Config and transient failures (auth, budget, abort) stop the whole run; others stop one stream. */
function stopsRun(e: ConnectorError): boolean {
  // A missing ability concerns one object: that stream fails, the others go on.
  if (e.code === 'PARDOT_PERMISSION') return false;
  return e.failureType !== 'system_error' || e.code === 'ABORTED';
}

function parseOffsetMinutes(iso: string): number | null {
  const m = /(?:([+-])(\d{2}):?(\d{2})|Z)$/.exec(iso);
  if (!m) return null;
  if (!m[1]) return 0;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}

function fmtOffset(min: number): string {
  const a = Math.abs(min);
  return `${min < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

/**
 * CSV dates carry no offset: they are wall times in the export creator's timezone. The export's
 * createdAt carries that user's offset; if the configured timezone disagrees at that instant,
 * every timestamp would be shifted, so stop instead.
 */
export function checkTimezone(createdAt: string | null, timezone: string, ctx: { stream: string; exportId: string }): void {
  if (!createdAt) return;
  const at = Date.parse(createdAt);
  const actual = parseOffsetMinutes(createdAt);
  if (!Number.isFinite(at) || actual === null) return;
  const expected = offsetMinutesAt(timezone, at);
  if (expected !== actual) {
    throw configError(
      'TIMEZONE_MISMATCH',
      `The Pardot API user's timezone does not match config 'timezone': export ${ctx.exportId} was created at ${createdAt} ` +
        `(UTC offset ${fmtOffset(actual)}), but ${timezone} is at ${fmtOffset(expected)} then. CSV dates are written in the ` +
        `user's timezone without an offset, so no rows were emitted from it. Set 'timezone' to the IANA name of the API user's ` +
        `timezone (Salesforce: the user's Personal Information > Time Zone).`,
      { ...ctx, field: 'timezone' },
    );
  }
}

export async function* runRead(o: ReadOptions): AsyncGenerator<SyncEvent> {
  const { config, api, clock } = o;
  const started = clock.now();
  const events = new EventQueue<SyncEvent>();
  const enqueue = (ev: SyncEvent) => events.enqueue(ev);
  const log = (level: LogLevel, message: string) => enqueue({ type: 'log', level, message });
  const drain = () => events.drain();
  const flushWhile = <T>(p: Promise<T>) => events.flushWhile(p);

  const extract: Extractor = o.extract ?? extractCsvBytes;
  // A window's files download in parallel, leaving one request slot for polling the next export.
  const downloadConcurrency = Math.max(1, config.maxConcurrentRequests - 1);

  // Today's budget: one cheap call that also proves credentials before any export is created.
  let ceiling = config.maxApiCalls ?? Infinity;
  const account = await api.account(o.signal);
  if (account.maximumDailyApiCalls !== null && account.apiCallsUsed !== null) {
    const left = account.maximumDailyApiCalls - account.apiCallsUsed;
    log('INFO', `Pardot API budget today: ${account.apiCallsUsed} of ${account.maximumDailyApiCalls} calls used, ${left} left.`);
    ceiling = Math.min(ceiling, left + api.apiCallsTotal());
  }
  if (config.maxApiCalls !== null) log('INFO', `This run stops before exceeding max_api_calls=${config.maxApiCalls}.`);
  yield* drain();

  const summaries: StreamSummary[] = [];
  const failures: ConnectorError[] = [];
  for (const cs of o.streams) {
    const summary: StreamSummary = { stream: cs.stream.name, rows: 0, windows: 0, exports: 0, status: 'STARTED', seconds: 0 };
    summaries.push(summary);
    const t0 = clock.now();
    const calls0 = api.apiCallsTotal();
    const status = (s: StreamStatus): SyncEvent => {
      summary.status = s;
      return { type: 'status', stream: cs.stream.name, status: s };
    };
    yield status('STARTED');
    const streamAbort = new AbortController();
    const onOuterAbort = () => streamAbort.abort();
    o.signal?.addEventListener('abort', onOuterAbort, { once: true });
    try {
      const reader =
        cs.stream.kind === 'export'
          ? readStream(cs, streamAbort, summary)
          : readQueryStream(
              { config, api, clock, log, to: floorToSecond(started - CURSOR_LAG_MS), ceiling, signal: streamAbort.signal },
              cs,
              o.state.get(cs.stream.name) ?? { cursor: null, inFlight: [] },
              summary,
            );
      for await (const ev of reader) {
        yield* drain();
        yield ev;
      }
      yield* drain();
      yield status('COMPLETE');
    } catch (err) {
      streamAbort.abort(); // cancels this stream's exports still waiting or processing
      const e = toConnectorError(o.signal?.aborted ? abortedError() : err).with({ stream: cs.stream.name });
      yield* drain();
      yield status('INCOMPLETE');
      if (stopsRun(e)) {
        summary.seconds = (clock.now() - t0) / 1000;
        summary.apiCalls = api.apiCallsTotal() - calls0;
        yield summaryEvent();
        throw e;
      }
      log('ERROR', `Stream ${cs.stream.name} failed: ${e.message} Continuing with the other streams.`);
      failures.push(e);
    } finally {
      o.signal?.removeEventListener('abort', onOuterAbort);
      summary.seconds = (clock.now() - t0) / 1000;
      summary.apiCalls = api.apiCallsTotal() - calls0;
    }
  }
  yield* drain();
  yield summaryEvent();
  if (failures.length > 0) {
    const first = failures[0]!;
    if (failures.length === 1) throw first;
    throw new ConnectorError(first.code, `${failures.length} streams failed. First: ${first.message}`, {
      failureType: first.failureType,
      context: first.context,
    });
  }

  function summaryEvent(): SyncEvent {
    const ev: SyncEvent = { type: 'summary', streams: summaries, apiCalls: { ...api.calls }, seconds: (clock.now() - started) / 1000 };
    if (o.memory) ev.peakRssBytes = o.memory();
    return ev;
  }

  function abortedError(): ConnectorError {
    return new ConnectorError('ABORTED', 'The run was stopped by a signal; state up to the last finished window is saved.', {
      failureType: 'transient_error',
    });
  }

  async function* readStream(cs: ConfiguredStream, abort: AbortController, summary: StreamSummary): AsyncGenerator<SyncEvent> {
    const stream = cs.stream;
    if (stream.kind !== 'export') throw new Error(`readStream: ${stream.name} is not an export stream`);
    const { signal } = abort;
    const prior = o.state.get(stream.name) ?? { cursor: null, inFlight: [] };
    const incremental = cs.syncMode === 'incremental';
    const from = incremental && prior.cursor !== null ? Math.max(prior.cursor, config.startDate) : config.startDate;
    const to = floorToSecond(started - CURSOR_LAG_MS);
    const windows = planWithResume(from, to, prior.inFlight);
    const state: CursorState = { cursor: incremental ? (prior.cursor ?? null) : null, inFlight: [] };
    let sinceLastState = 0;
    const stateEvent = (): SyncEvent => {
      const ev: SyncEvent = { type: 'state', stream: stream.name, state: serializeState(stream, state), recordCount: sinceLastState };
      sinceLastState = 0;
      return ev;
    };
    yield { type: 'status', stream: stream.name, status: 'RUNNING' };
    summary.status = 'RUNNING';
    if (windows.length === 0) {
      // Nothing to read (cursor at or past the sync's start): still one STATE, cursor kept.
      if (state.cursor === null) state.cursor = Math.min(from, to);
      log('INFO', `${stream.name}: nothing to read, cursor ${toCursor(state.cursor)} is not before ${toCursor(to)}.`);
      yield stateEvent();
      return;
    }
    log('INFO', `${stream.name}: ${windows.length} window(s) from ${toCursor(windows[0]!.start)} to ${toCursor(to)}.`);

    const baseSpec = (w: Window): CreateExportRequest => {
      const { after, before } = windowArgs(w);
      const args: Record<string, string> = { [stream.afterArg]: after, [stream.beforeArg]: before };
      if (stream.deletedArg && config.includeDeleted) args[stream.deletedArg] = DELETED_ALL;
      return { object: OBJECT_NAMES[stream.object], fields: cs.fields.map((f) => f.name), procedure: { name: stream.procedure, arguments: args } };
    };
    const track = (w: Window, id: string, createdAt: string | null) => {
      state.inFlight = state.inFlight.filter((f) => !(Date.parse(f.start) === w.start));
      state.inFlight.push({ id, start: toCursor(w.start), end: toCursor(w.end), createdAt: createdAt ?? '' });
      state.inFlight.sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
      summary.exports++;
      enqueue(stateEvent());
    };
    const startJob = (w: PlannedWindow, resumeId?: string): Promise<JobSnapshot> => {
      if (api.apiCallsTotal() + EST_CALLS_PER_WINDOW > ceiling) {
        // Rejected, not thrown: a window queued while the one before it downloads must not stop
        // that download; the refusal surfaces in window order, after the earlier STATE.
        const refused = Promise.reject(new ConnectorError(
          'API_CALL_CEILING',
          `Not starting ${stream.name} window ${describeWindow(w)}: it may need ${EST_CALLS_PER_WINDOW} API calls and only ` +
            `${Math.max(0, ceiling - api.apiCallsTotal())} remain under the ceiling (max_api_calls or today's Pardot budget). ` +
            `State up to the last finished window is saved; run again later or raise max_api_calls.`,
          { failureType: 'transient_error', context: { stream: stream.name, window: { start: toCursor(w.start), end: toCursor(w.end) } } },
        ));
        refused.catch(() => undefined);
        return refused;
      }
      const p = waitForJob({
        port: o.port,
        spec: baseSpec(w),
        clock,
        pollInitialMs: config.pollInitialMs,
        pollMaxMs: config.pollMaxMs,
        deadlineMs: config.exportDeadlineMs,
        resumeId,
        signal,
        onCreated: (id, snap) => track(w, id, snap.createdAt),
        log,
        label: `${stream.name} ${describeWindow(w)}`,
      });
      p.catch(() => undefined); // awaited in order below; never an unhandled rejection meanwhile
      return p;
    };

    const pending: Array<{ w: PlannedWindow; job: Promise<JobSnapshot> }> = [];
    let next = 0;
    const startNext = () => {
      const w = windows[next++]!;
      pending.push({ w, job: startJob(w, w.resumeId) });
    };
    startNext();
    let rowsTotal = 0;
    const t0 = clock.now();
    try {
      yield* drive();
    } finally {
      if (pending.length > 0) {
        // Stopped early (an error, a signal, or the consumer stopped): cancel this stream's exports
        // still waiting or processing (Pardot runs an account's exports one at a time, so one left
        // queued delays every other export), and wait for those cancels, each bounded by
        // CANCEL_TIMEOUT_MS, so that none is cut off by the process exiting.
        abort.abort();
        await Promise.allSettled(pending.map((p) => p.job));
      }
    }

    async function* drive(): AsyncGenerator<SyncEvent> {
      while (pending.length > 0) {
        const head = pending[0]!;
        let snap = yield* flushWhile(head.job);
        // The head export is complete: queue the next window's export while this one downloads.
        while (next < windows.length && pending.length < config.pipelineDepth) startNext();
        let recreated = 0;
        let rows = 0;
        for (;;) {
          try {
            checkTimezone(snap.createdAt, config.timezone, { stream: stream.name, exportId: snap.id });
            const job = snap;
            const files = job.files.map((url) => () => readFile(cs, job.id, url, signal));
            // Batches a stop leaves unseen give their buffers back (a parse worker's are reused).
            const merged = mergeBounded(files, downloadConcurrency, (ev) => ev.encoded.release?.());
            try {
              // Once per batch (not per row): queued events also come out while a download stalls.
              for (;;) {
                const r = yield* flushWhile(merged.next());
                if (r.done) break;
                const n = r.value.encoded.ends.length;
                rows += n;
                sinceLastState += n;
                yield r.value;
              }
            } finally {
              await merged.return(undefined);
            }
            break;
          } catch (err) {
            if (!(isConnectorError(err) && err.code === 'PARDOT_EXPORT_EXPIRED') || recreated >= MAX_EXPIRED_RECREATES) throw err;
            recreated++;
            log(
              'WARN',
              `${stream.name}: export ${snap.id} for ${describeWindow(head.w)} expired before it was downloaded; re-creating it. ` +
                `${rows} row(s) of this window already emitted will be emitted again (de-duplicate on the primary key).`,
            );
            snap = yield* flushWhile(startJob(head.w));
          }
        }
        pending.shift();
        state.inFlight = state.inFlight.filter((f) => Date.parse(f.start) !== head.w.start);
        state.cursor = head.w.end;
        rowsTotal += rows;
        summary.rows = rowsTotal;
        summary.windows++;
        yield* drain();
        yield stateEvent();
        const secs = Math.max((clock.now() - t0) / 1000, 1e-3);
        yield {
          type: 'progress',
          stream: stream.name,
          windowsDone: summary.windows,
          windowsPlanned: windows.length,
          rows: rowsTotal,
          rowsPerSecond: rowsTotal / secs,
          apiCalls: api.apiCallsTotal(),
        };
      }
    }
  }

  /** In-flight exports of the prior run that start exactly at the cursor are resumed, then planning goes on. */
  function planWithResume(from: number, to: number, inFlight: InFlightExport[]): PlannedWindow[] {
    const out: PlannedWindow[] = [];
    let cur = floorToSecond(from);
    const sorted = [...inFlight].sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
    for (const f of sorted) {
      const s = Date.parse(f.start);
      const e = Date.parse(f.end);
      if (s !== cur || !(e > s) || e - s > maxWindowMs(config.windowDays) || e > to + CURSOR_LAG_MS) break;
      out.push({ start: s, end: e, resumeId: f.id });
      cur = e;
    }
    const unused = sorted.length - out.length;
    if (unused > 0) log('WARN', `${unused} export(s) in flight in the saved state do not continue from the cursor and are not reused.`);
    return [...out, ...planWindows(cur, to, config.windowDays)];
  }

  /** One result file; a body cut off mid-file is fetched again, skipping the rows already emitted. */
  async function* readFile(
    cs: ConfiguredStream,
    exportId: string,
    url: string,
    signal: AbortSignal,
  ): AsyncGenerator<Extract<RecordsEvent, { encoded: object }>> {
    let emitted = 0;
    for (let attempt = 1; ; attempt++) {
      const body = await api.download(url, signal);
      // Records carry the time their file's conversion began (Airbyte emitted_at, Singer time_extracted).
      const extractedAt = clock.now();
      const frame = o.recordFrame(cs.stream.name, extractedAt);
      try {
        for await (const batch of extract(body, {
          stream: cs.stream.name,
          exportId,
          file: url,
          // An export stream's fields are the Export API's CSV types (streams.ts).
          fields: cs.fields as FieldDef[],
          timezone: config.timezone,
          skipRows: emitted,
          frame,
        })) {
          emitted += batch.ends.length;
          yield { type: 'records', stream: cs.stream.name, encoded: batch, extractedAt };
        }
        return;
      } catch (err) {
        if (signal.aborted || isConnectorError(err) || attempt >= MAX_DOWNLOAD_ATTEMPTS) {
          if (isConnectorError(err) || signal.aborted) throw err;
          throw new ConnectorError(
            'DOWNLOAD_FAILED',
            `Downloading ${cs.stream.name} export ${exportId} file failed ${attempt} times (${(err as Error).message}); state up to the last finished window is saved.`,
            { failureType: 'transient_error', context: { stream: cs.stream.name, exportId, file: url }, cause: err },
          );
        }
        log('WARN', `${cs.stream.name}: download of export ${exportId} was cut off after ${emitted} row(s) (${(err as Error).message}); fetching the file again and skipping them.`);
        await clock.sleep(Math.min(1000 * 2 ** (attempt - 1), 30_000), signal);
      } finally {
        body.destroy();
      }
    }
  }
}
