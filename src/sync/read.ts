/**
 * The sync core's read loop: for each configured stream, the reader of its source kind (export
 * windows: export-read.ts; v5 query pages: query-read.ts) behind one interface (reader.ts), with
 * what they share: the API call ceiling, the run's end (Pardot's clock minus lookback_seconds),
 * state, the event queue, per-stream status and the summary. It knows Pardot only through the
 * PardotApi port and the stream table; it knows neither protocol's wire format.
 */
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { ConnectorError, isConnectorError, toConnectorError } from '../errors.js';
import { extractCsvBytes } from '../extract/index.js';
import type { Extractor } from '../extract/parallel.js';
import type { RowFrame } from '../extract/types.js';
import type { JobPort } from '../jobs/types.js';
import type { CreateExportRequest, PardotApi } from '../pardot/types.js';
import type { PardotObject } from '../pardot/wire.js';
import type { ConfiguredStream } from '../streams.js';
import type { LogLevel, StreamStatus, StreamSummary, SyncEvent } from './events.js';
import { EventQueue } from './event-queue.js';
import { dropRemovedCustomFields } from './custom-fields.js';
import { readExportStream } from './export-read.js';
import { readQueryStream } from './query-read.js';
import type { ReaderContext, StreamReader } from './reader.js';
import type { CursorState } from './state.js';
import { resolveTimezone } from './timezone-evidence.js';
import { CLOCK_SKEW_WARN_MS, syncEndMs } from './windows.js';

// The export reader's pieces, as before the split (tests and tools import them from here).
export {
  MAX_DOWNLOAD_ATTEMPTS,
  MAX_EXPIRED_RECREATES,
  checkTimezone,
  droppableField,
  estimateCallsPerWindow,
  procedureArgs,
  requestFingerprint,
  requestedFields,
} from './export-read.js';

/** The reader of each source kind. */
const READERS: { [K in ConfiguredStream['stream']['kind']]: StreamReader } = {
  export: readExportStream,
  query: readQueryStream,
};


/** Objects to read timezone evidence from: the selected streams' first, then the rest (external activities last). */
function evidenceObjects(streams: readonly ConfiguredStream[]): PardotObject[] {
  const order: PardotObject[] = ['prospect', 'visitor', 'visitorActivity', 'listMembership', 'prospectAccount', 'externalActivity'];
  const selected = streams.flatMap((s) => (s.stream.kind === 'export' ? [s.stream.object] : []));
  return [...new Set([...selected.filter((o) => o !== 'externalActivity'), ...order])];
}


/**
 * The ceiling of API calls for this run: max_api_calls and, when Pardot tells it, today's budget
 * left. Reading the budget needs the admin-only account object: without that ability, a WARN and
 * no ceiling from it (max_api_calls still applies).
 */
export async function readBudget(api: PardotApi, config: Config, log: (l: LogLevel, m: string) => void, signal?: AbortSignal): Promise<number> {
  let ceiling = config.maxApiCalls ?? Infinity;
  try {
    const account = await api.account(signal);
    if (account.maximumDailyApiCalls !== null && account.apiCallsUsed !== null) {
      const left = account.maximumDailyApiCalls - account.apiCallsUsed;
      log('INFO', `Pardot API budget today: ${account.apiCallsUsed} of ${account.maximumDailyApiCalls} calls used, ${left} left.`);
      ceiling = Math.min(ceiling, left + api.apiCallsTotal());
    }
  } catch (e) {
    if (!(isConnectorError(e) && e.code === 'PARDOT_PERMISSION')) throw e;
    log(
      'WARN',
      `Could not read today's Pardot API budget (the account object needs the "Admin > Account > Edit Settings" ability, which an export user usually lacks); ` +
        `the run goes on without a ceiling from it${config.maxApiCalls !== null ? ` (max_api_calls=${config.maxApiCalls} still applies)` : ''}.`,
    );
  }
  return ceiling;
}


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


/** Config and transient failures (auth, budget, abort) stop the whole run; others stop one stream. */
function stopsRun(e: ConnectorError): boolean {
  // A missing ability or a refused key/cursor field concerns one stream: the others go on.
  if (e.code === 'PARDOT_PERMISSION' || e.code === 'PARDOT_INVALID_FIELD') return false;
  return e.failureType !== 'system_error' || e.code === 'ABORTED';
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

  // Today's budget (best effort): one cheap call that also proves credentials before any export is created.
  const ceiling = await readBudget(api, config, log, o.signal);
  if (config.maxApiCalls !== null) log('INFO', `This run stops before exceeding max_api_calls=${config.maxApiCalls}.`);
  yield* drain();
  // The zone CSV dates are written in: config.timezone checked against Pardot's evidence, or determined from it.
  // Only CSV needs it: v5 query records carry their offsets, so a run of query streams alone skips it.
  // (flushWhile: its WARNs, e.g. objects skipped, come out even when it ends in a config error.)
  const timezone = o.streams.some((cs) => cs.stream.kind === 'export')
    ? yield* flushWhile(
        resolveTimezone({ api, configured: config.timezone, since: config.startDate, objects: evidenceObjects(o.streams), now: clock.now(), signal: o.signal, log }).then((r) => r.zone),
      )
    : config.timezone;
  yield* drain();
  // Schema drift: selected custom fields Pardot no longer lists are left out (WARN), before any export.
  yield* flushWhile(dropRemovedCustomFields(o.streams, api, config, log, o.signal));
  yield* drain();
  const to = syncEnd();
  // A full refresh keeps no cursor for the next run, so it needs no lookback (rows Pardot makes
  // visible late are simply in the next snapshot); with one, an overwrite destination would drop the
  // rows changed in the last lookback_seconds until the next run.
  const toFullRefresh = syncEndMs(started, api.clockSkewMs(), 0);
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
      // One reader per source kind, behind one interface (reader.ts): a new stream is a row of data.
      const ctx: ReaderContext = {
        config,
        api,
        port: o.port,
        clock,
        log,
        events,
        to: cs.syncMode === 'incremental' ? to : toFullRefresh,
        // An incremental reader never moves a cursor past `to` itself (a saved one may lie later and stays).
        cursorCap: cs.syncMode === 'incremental' ? Infinity : to,
        ceiling,
        timezone,
        extract,
        recordFrame: o.recordFrame,
        prior: o.state.get(cs.stream.name) ?? { cursor: null, inFlight: [] },
        summary,
        abort: streamAbort,
      };
      for await (const ev of READERS[cs.stream.kind](cs, ctx)) {
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

  /** Where every stream's windows end this run: min(local, Pardot's clock) minus lookback_seconds. */
  function syncEnd(): number {
    const skew = api.clockSkewMs();
    if (skew !== null && Math.abs(skew) > CLOCK_SKEW_WARN_MS) {
      log(
        'WARN',
        `This machine's clock is ${Math.round(Math.abs(skew) / 1000)} s ${skew < 0 ? 'ahead of' : 'behind'} Pardot's (its Date header); ` +
          `windows end at the earlier of the two minus lookback_seconds=${config.lookbackMs / 1000}.`,
      );
    }
    return syncEndMs(started, skew, config.lookbackMs);
  }

  function abortedError(): ConnectorError {
    return new ConnectorError('ABORTED', 'The run was stopped by a signal; state up to the last finished window is saved.', {
      failureType: 'transient_error',
    });
  }

}
