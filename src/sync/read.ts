/**
 * The sync core's read: the configured streams one after the other, each by the reader of its
 * source kind (export windows: export-read.ts; v5 query pages: query-read.ts), with what they
 * share: the API call ceiling, the run's end (Pardot's clock minus lookback_seconds), state, the
 * event queue, per-stream status and the summary, and the run's export queue.
 *
 * Exports are queued ahead across streams (jobs/job-queue.ts): every export stream's windows are
 * planned and submitted when the run starts, so Pardot's one-at-a-time queue holds the next
 * exports while results download, whichever stream they belong to. A full refresh of an export
 * stream whose rows move (updatedAt) is closed by windows from the run's start to Pardot's now
 * (closing.ts), read after every stream's main windows.
 *
 * It knows Pardot only through the PardotApi port and the stream table; it knows neither
 * protocol's wire format.
 */
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { ConnectorError, isConnectorError, toConnectorError } from '../errors.js';
import { extractCsvBytes } from '../extract/index.js';
import type { Extractor } from '../extract/parallel.js';
import type { RowFrame } from '../extract/types.js';
import { JobQueue } from '../jobs/job-queue.js';
import type { JobPort } from '../jobs/types.js';
import type { CreateExportRequest, PardotApi } from '../pardot/types.js';
import type { PardotObject } from '../pardot/wire.js';
import type { ConfiguredStream } from '../streams.js';
import { closeFullRefreshes, closingStreams } from './closing.js';
import type { LogLevel, StreamStatus, StreamSummary, SyncEvent } from './events.js';
import { EventQueue } from './event-queue.js';
import { dropRemovedCustomFields } from './custom-fields.js';
import { estimateCallsPerWindow, splitFields } from './export-plan.js';
import { readExportStream } from './export-read.js';
import { ceilingError, ExportStreamRun } from './export-run.js';
import { readQueryStream } from './query-read.js';
import type { ReaderContext, StreamReader } from './reader.js';
import type { CursorState } from './state.js';
import { resolveTimezone } from './timezone-evidence.js';
import { CLOCK_SKEW_WARN_MS, syncEndMs } from './windows.js';


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
  /** The protocol adapter's record envelope for a stream's records extracted at a time (ms). */
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

function abortedError(): ConnectorError {
  return new ConnectorError('ABORTED', 'The run was stopped by a signal; state up to the last finished window is saved.', { failureType: 'transient_error' });
}

export async function* runRead(o: ReadOptions): AsyncGenerator<SyncEvent> {
  yield* new RunReader(o).run();
}

/** The run's steps: prepare (budget, timezone, drift), plan the exports, read each stream, close full refreshes, sum up. */
class RunReader {
  private readonly events = new EventQueue<SyncEvent>();
  private readonly started: number;
  private readonly summaries = new Map<string, StreamSummary>();
  private readonly failures: ConnectorError[] = [];
  private readonly runs = new Map<string, ExportStreamRun>();
  private readonly aborts = new Map<string, AbortController>();
  private queue!: JobQueue<CreateExportRequest>;
  private ceiling = Infinity;
  private timezone: string;
  private to = 0;
  private toFullRefresh = 0;

  constructor(private readonly o: ReadOptions) {
    this.started = o.clock.now();
    this.timezone = o.config.timezone;
  }

  private log = (level: LogLevel, message: string): void => this.events.enqueue({ type: 'log', level, message });

  async *run(): AsyncGenerator<SyncEvent> {
    yield* this.prepare();
    const queueAbort = new AbortController();
    // One listener on the run's signal stops the queue and every stream (not one listener per stream).
    const onAbort = () => {
      queueAbort.abort(this.o.signal?.reason);
      for (const a of this.aborts.values()) a.abort();
    };
    this.o.signal?.addEventListener('abort', onAbort, { once: true });
    this.queue = this.makeQueue(queueAbort.signal);
    try {
      this.planExports();
      yield* this.resolveTimezone();
      for (const cs of this.o.streams) yield* this.readStream(cs);
      yield* closeFullRefreshes(this.closingContext());
      for (const { name } of closingStreams(this.runs.values())) if (this.summaries.get(name)!.status === 'RUNNING') yield this.status(name, 'COMPLETE');
    } catch (e) {
      yield* this.events.drain();
      yield this.summaryEvent();
      throw e;
    } finally {
      // Stopped early or done: exports still waiting or processing are canceled (they would hold Pardot's queue).
      await this.queue.close();
      this.o.signal?.removeEventListener('abort', onAbort);
    }
    yield* this.events.drain();
    yield this.summaryEvent();
    this.throwFailures();
  }

  /** Today's budget, custom-field drift, and where the run ends. */
  private async *prepare(): AsyncGenerator<SyncEvent> {
    const { api, config } = this.o;
    // One cheap call that also proves credentials before any export is created.
    this.ceiling = await readBudget(api, config, this.log, this.o.signal);
    if (config.maxApiCalls !== null) this.log('INFO', `This run stops before exceeding max_api_calls=${config.maxApiCalls}.`);
    yield* this.events.drain();
    // Schema drift: selected custom fields Pardot no longer lists are left out (WARN), before any export.
    yield* this.events.flushWhile(dropRemovedCustomFields(this.o.streams, api, config, this.log, this.o.signal));
    this.to = this.syncEnd();
    // A full refresh keeps no cursor for the next run, so it needs no lookback: it reads up to
    // Pardot's now, and its closing windows bring what moved meanwhile (closing.ts).
    this.toFullRefresh = syncEndMs(this.started, api.clockSkewMs(), 0);
    for (const cs of this.o.streams) {
      this.summaries.set(cs.stream.name, { stream: cs.stream.name, rows: 0, windows: 0, exports: 0, status: 'STARTED', seconds: 0 });
    }
    yield* this.events.drain();
  }

  /**
   * The zone CSV dates are written in: config.timezone checked against Pardot's evidence, or
   * determined from it. Asked once the first exports are queued (creating them does not need it),
   * so Pardot works on them meanwhile. Only CSV needs it: v5 query records carry their offsets.
   * (flushWhile: its WARNs, e.g. objects skipped, come out even when it ends in a config error.)
   */
  private async *resolveTimezone(): AsyncGenerator<SyncEvent> {
    if (!this.o.streams.some((cs) => cs.stream.kind === 'export')) return;
    const { api, config, clock } = this.o;
    const resolved = resolveTimezone({ api, configured: config.timezone, since: config.startDate, objects: evidenceObjects(this.o.streams), now: clock.now(), signal: this.o.signal, log: this.log });
    this.timezone = yield* this.events.flushWhile(resolved.then((r) => r.zone));
    yield* this.events.drain();
  }

  private makeQueue(signal: AbortSignal): JobQueue<CreateExportRequest> {
    const c = this.o.config;
    return new JobQueue<CreateExportRequest>({
      port: this.o.port,
      clock: this.o.clock,
      pollInitialMs: c.pollInitialMs,
      pollMaxMs: c.pollMaxMs,
      deadlineMs: c.exportDeadlineMs,
      depth: c.exportQueueDepth,
      log: this.log,
      signal,
    });
  }

  /** Every export stream's windows planned and queued, in stream order (the queue creates them as there is room). */
  private planExports(): void {
    const perExport = estimateCallsPerWindow(this.o.config);
    const deps = {
      config: this.o.config,
      queue: this.queue,
      log: this.log,
      enqueue: (ev: SyncEvent) => this.events.enqueue(ev),
      // Before each export: the calls it may need, with those the exports queued before it may still need.
      admit: (label: string, othersLive: number) => {
        const need = perExport * (1 + othersLive);
        const left = this.ceiling - this.o.api.apiCallsTotal();
        if (need > left) throw ceilingError(label, need, left, 1);
      },
    };
    for (const cs of this.o.streams) {
      if (cs.stream.kind !== 'export') continue;
      const prior = this.o.state.get(cs.stream.name) ?? { cursor: null, inFlight: [] };
      const incremental = cs.syncMode === 'incremental';
      const to = incremental ? this.to : this.toFullRefresh;
      const from = incremental && prior.cursor !== null ? Math.max(prior.cursor, this.o.config.startDate) : this.o.config.startDate;
      const run = new ExportStreamRun(deps, { cs, prior, from, to, cursorCap: incremental ? Infinity : this.to, summary: this.summaries.get(cs.stream.name)! });
      if (splitFields(run.fields, run.stream).length > 1) this.log('INFO', `${cs.stream.name}: more than ${run.stream.maxFields} fields; each window is split over several exports joined by id.`);
      run.submitAll();
      this.runs.set(cs.stream.name, run);
    }
    for (const run of closingStreams(this.runs.values())) run.submitFirstClosing(this.toFullRefresh, () => this.pardotNow());
  }

  /** Pardot's clock now (local clock plus the skew its Date headers showed). */
  private pardotNow(): number {
    return this.o.clock.now() + (this.o.api.clockSkewMs() ?? 0);
  }

  private status(stream: string, s: StreamStatus): SyncEvent {
    this.summaries.get(stream)!.status = s;
    return { type: 'status', stream, status: s };
  }

  /** The context a reader gets for one stream. */
  private readerContext(cs: ConfiguredStream): ReaderContext {
    const incremental = cs.syncMode === 'incremental';
    let abort = this.aborts.get(cs.stream.name);
    if (!abort) {
      abort = new AbortController();
      if (this.o.signal?.aborted) abort.abort(); // run()'s listener aborts those made before the stop
      this.aborts.set(cs.stream.name, abort);
    }
    return {
      config: this.o.config,
      api: this.o.api,
      port: this.o.port,
      clock: this.o.clock,
      log: this.log,
      events: this.events,
      to: incremental ? this.to : this.toFullRefresh,
      // An incremental reader never moves a cursor past `to` itself (a saved one may lie later and stays).
      cursorCap: incremental ? Infinity : this.to,
      ceiling: this.ceiling,
      timezone: this.timezone,
      extract: this.o.extract ?? extractCsvBytes,
      recordFrame: this.o.recordFrame,
      prior: this.o.state.get(cs.stream.name) ?? { cursor: null, inFlight: [] },
      summary: this.summaries.get(cs.stream.name)!,
      abort,
      exportRun: this.runs.get(cs.stream.name),
    };
  }

  /**
   * One stream's main read. A stream whose full refresh is closed later stays RUNNING until then.
   * Its failure stops the run (config, transient) or only the stream (the others go on).
   */
  private async *readStream(cs: ConfiguredStream): AsyncGenerator<SyncEvent> {
    const name = cs.stream.name;
    yield this.status(name, 'STARTED');
    yield* this.guarded(name, async function* (this: RunReader) {
      const ctx = this.readerContext(cs);
      const run = ctx.exportRun;
      if (run) run.startedAt = this.o.clock.now();
      for await (const ev of READERS[cs.stream.kind](cs, ctx)) {
        yield* this.events.drain();
        yield ev;
      }
      yield* this.events.drain();
      if (!(run && run.closes)) yield this.status(name, 'COMPLETE');
    });
  }

  /**
   * Runs a stream's step; on failure: the stream is INCOMPLETE and its exports given up; a failure
   * that stops the run is thrown, others are logged and kept for the end.
   */
  async *guarded(name: string, step: (this: RunReader) => AsyncGenerator<SyncEvent>): AsyncGenerator<SyncEvent> {
    const summary = this.summaries.get(name)!;
    const t0 = this.o.clock.now();
    const calls0 = this.o.api.apiCallsTotal();
    try {
      yield* step.call(this);
    } catch (err) {
      this.aborts.get(name)?.abort(); // stops this stream's downloads
      this.runs.get(name)?.abandon(); // and gives up its queued exports
      const e = toConnectorError(this.o.signal?.aborted ? abortedError() : err).with({ stream: name });
      yield* this.events.drain();
      yield this.status(name, 'INCOMPLETE');
      if (stopsRun(e)) throw e;
      this.log('ERROR', `Stream ${name} failed: ${e.message} Continuing with the other streams.`);
      this.failures.push(e);
    } finally {
      summary.seconds += (this.o.clock.now() - t0) / 1000;
      summary.apiCalls = (summary.apiCalls ?? 0) + this.o.api.apiCallsTotal() - calls0;
    }
  }

  private closingContext() {
    return {
      runs: [...this.runs.values()],
      log: this.log,
      pardotNow: () => this.pardotNow(),
      readerContext: (name: string) => this.readerContext(this.o.streams.find((cs) => cs.stream.name === name)!),
      guarded: (name: string, step: () => AsyncGenerator<SyncEvent>) => this.guarded(name, step),
      summary: (name: string) => this.summaries.get(name)!,
      events: this.events,
    };
  }

  private summaryEvent(): SyncEvent {
    const { api, clock } = this.o;
    const ev: SyncEvent = { type: 'summary', streams: [...this.summaries.values()], apiCalls: { ...api.calls }, seconds: (clock.now() - this.started) / 1000 };
    if (this.o.memory) ev.peakRssBytes = this.o.memory();
    return ev;
  }

  private throwFailures(): void {
    if (this.failures.length === 0) return;
    const first = this.failures[0]!;
    if (this.failures.length === 1) throw first;
    throw new ConnectorError(first.code, `${this.failures.length} streams failed. First: ${first.message}`, { failureType: first.failureType, context: first.context });
  }

  /** Where every stream's windows end this run: min(local, Pardot's clock) minus lookback_seconds. */
  private syncEnd(): number {
    const skew = this.o.api.clockSkewMs();
    if (skew !== null && Math.abs(skew) > CLOCK_SKEW_WARN_MS) {
      this.log(
        'WARN',
        `This machine's clock is ${Math.round(Math.abs(skew) / 1000)} s ${skew < 0 ? 'ahead of' : 'behind'} Pardot's (its Date header); ` +
          `windows end at the earlier of the two minus lookback_seconds=${this.o.config.lookbackMs / 1000}.`,
      );
    }
    return syncEndMs(this.started, skew, this.o.config.lookbackMs);
  }
}
