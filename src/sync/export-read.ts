/**
 * The reader of export streams (kind 'export'), one window after the other, each in four steps:
 *   1. wait for the window's exports (queued by the run, jobs/job-queue.ts; a refused field is
 *      dropped and the window's exports made again: awaitWindow);
 *   2. download and convert its files, or join the parts of a split field list (emitWindow;
 *      results found expired are made again);
 *   3. apply the straggler rule of split windows (holdBackCursor);
 *   4. commit: the cursor moves to the window's end and a STATE says so (commitWindow).
 * Windows, exports and resume are planned by export-run.ts / export-plan.ts; files by export-files.ts.
 *
 * Guarantees:
 * - A stream's STATE is emitted only after every row of the window it closes was emitted; its
 *   cursor is that window's end, never later than the run's end (`ctx.to`).
 * - Every export created is in the stream's in_flight from the moment it exists (export-run.ts).
 */
import { ConnectorError, configError, isConnectorError } from '../errors.js';
import type { JoinStats } from '../extract/join.js';
import { createWallTimeConverter, offsetMinutesAt } from '../extract/timezone.js';
import { MULTI_VALUE_CELL } from '../pardot/wire.js';
import type { ConfiguredStream } from '../streams.js';
import type { SyncEvent } from './events.js';
import { emitFiles, emitJoined, type CompleteExport, type FileDeps } from './export-files.js';
import { droppableField } from './export-plan.js';
import type { ExportStreamRun, WindowJobs } from './export-run.js';
import type { ReaderContext } from './reader.js';
import { describeWindow, floorToSecond, toCursor, type Window } from './windows.js';

/** An export found expired while downloading is created again at most this often. */
export const MAX_EXPIRED_RECREATES = 2;

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
export function checkTimezone(createdAt: string | null, timezone: string, ctx: { stream: string; exportId: string }, warn?: (message: string) => void): void {
  const at = createdAt ? Date.parse(createdAt) : NaN;
  const actual = createdAt ? parseOffsetMinutes(createdAt) : null;
  if (!Number.isFinite(at) || actual === null) {
    // Not a silent skip: the zone was checked at the start, but this export adds no evidence.
    warn?.(`${ctx.stream}: export ${ctx.exportId} has createdAt ${JSON.stringify(createdAt)}, which carries no UTC offset; its dates are read in ${timezone} without this extra check.`);
    return;
  }
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

/**
 * The straggler rule of split windows (extract/join.ts): a row not alike in every part of a window
 * changed between those exports and is not emitted from it (it would mix two versions). A row that
 * left a later part changed after the earlier part was made: its new cursor is past the run's end,
 * so the next run reads it. Only a row that a later part has and an earlier one lacks (or whose
 * cursors differ) may be one the next run would not read: the cursor is held at its newest cursor
 * when that lies before the run's end, and not otherwise. Returns the cursor to hold at, or null.
 */
export function holdBackCursor(w: Window, stats: Pick<JoinStats, 'holdBackCursor'>, runEnd: number, toMs: (wallTime: string) => number): number | null {
  const c = stats.holdBackCursor;
  if (c === null || c === '') return null;
  const ms = toMs(c);
  if (Number.isFinite(ms) && ms >= runEnd) return null;
  return Math.max(w.start, Math.min(w.end, Number.isFinite(ms) ? floorToSecond(ms) : w.start));
}

/** Reads one export stream's main windows (the run made its plan and queued its exports). */
export async function* readExportStream(cs: ConfiguredStream, ctx: ReaderContext): AsyncGenerator<SyncEvent> {
  const run = ctx.exportRun;
  if (!run || cs.stream.kind !== 'export') throw new Error(`readExportStream: ${cs.stream.name} has no export run`);
  yield { type: 'status', stream: run.name, status: 'RUNNING' };
  ctx.summary.status = 'RUNNING';
  // Saved exports replaced by new ones would hold Pardot's one-at-a-time queue: cancel them (best effort).
  yield* ctx.events.flushWhile(run.cancelSuperseded((id) => ctx.api.cancelExport(id, ctx.abort.signal), ctx.abort.signal));
  const main = run.windows.filter((wj) => !wj.closing);
  if (main.length === 0) {
    // Nothing to read (cursor at or past the run's end): still one STATE, cursor kept.
    if (run.state.cursor === null) run.state.cursor = Math.min(run.o.from, run.o.to);
    ctx.log('INFO', `${run.name}: nothing to read, cursor ${toCursor(run.state.cursor)} is not before ${toCursor(run.o.to)}.`);
    yield run.stateEvent();
    return;
  }
  ctx.log('INFO', `${run.name}: ${main.length} window(s) from ${toCursor(main[0]!.w.start)} to ${toCursor(run.o.to)}.`);
  const reader = new WindowReader(run, ctx);
  for (const wj of main) yield* reader.read(wj);
  // A stream closed by windows of rows changed during the run says it after those (closing.ts).
  if (!run.closes) run.reportCells(ctx.log);
}

/** Reads a window that closes a full refresh (see read.ts): its rows are counted for the next round. */
export async function* readClosingWindow(run: ExportStreamRun, wj: WindowJobs, ctx: ReaderContext): AsyncGenerator<SyncEvent> {
  yield* new WindowReader(run, ctx).read(wj);
}

/** The four steps of one window, with what they share. */
class WindowReader {
  private readonly files: FileDeps;
  private readonly toMs: (wall: string) => number;

  constructor(
    private readonly run: ExportStreamRun,
    private readonly ctx: ReaderContext,
  ) {
    const convert = createWallTimeConverter(ctx.timezone);
    this.toMs = (wall) => {
      const iso = convert(wall);
      return iso === null ? NaN : Date.parse(iso);
    };
    this.files = {
      api: ctx.api,
      clock: ctx.clock,
      log: ctx.log,
      events: ctx.events,
      extract: ctx.extract,
      recordFrame: ctx.recordFrame,
      extractOptions: (w) => ({
        timezone: ctx.timezone,
        multiValue: MULTI_VALUE_CELL,
        invalidValues: ctx.config.invalidValues,
        // A wall time of the cursor column in a fall-back's repeated hour: the reading inside this window.
        window: { start: w.start, end: w.end, cursorField: run.stream.cursorField },
        constants: run.stream.constants,
      }),
      noteBatch: (batch) => run.tally.add(batch),
      // A window's files download in parallel, leaving one request slot for polling the queue.
      downloadConcurrency: Math.max(1, ctx.config.maxConcurrentRequests - 1),
      signal: ctx.abort.signal,
    };
  }

  async *read(wj: WindowJobs): AsyncGenerator<SyncEvent> {
    let jobs = yield* this.awaitWindow(wj);
    let rows = 0;
    let stats: JoinStats | null = null;
    for (let recreated = 0; ; recreated++) {
      try {
        stats = yield* this.emitWindow(wj.w, jobs, (n) => {
          rows += n;
          this.run.sinceLastState += n;
        });
        break;
      } catch (err) {
        if (!(isConnectorError(err) && err.code === 'PARDOT_EXPORT_EXPIRED') || recreated >= MAX_EXPIRED_RECREATES) throw err;
        this.ctx.log(
          'WARN',
          `${this.run.name}: export ${jobs.map((j) => j.snap.id).join(', ')} for ${describeWindow(wj.w)} expired before it was downloaded; re-creating it. ` +
            `${rows} row(s) of this window already emitted will be emitted again (de-duplicate on the primary key).`,
        );
        this.run.resubmit(wj);
        jobs = yield* this.awaitWindow(wj);
      }
    }
    yield* this.commitWindow(wj, rows, stats);
  }

  /** Step 1: the window's exports, complete. A field Pardot refuses is dropped and the window's exports made again. */
  private async *awaitWindow(wj: WindowJobs): AsyncGenerator<SyncEvent, CompleteExport[]> {
    const run = this.run;
    for (;;) {
      try {
        const out: CompleteExport[] = [];
        for (const [i, t] of wj.tickets.entries()) out.push({ snap: yield* this.ctx.events.flushWhile(t.done), fields: wj.sent[i]! });
        return out;
      } catch (e) {
        // Judged against the fields this request sent: another window may have dropped the same field meanwhile.
        const drop = this.ctx.abort.signal.aborted ? null : droppableField(e, run.stream, wj.sent.flat());
        if (drop === null) throw e;
        if (run.fields.some((f) => f.name === drop)) {
          run.fields = run.fields.filter((f) => f.name !== drop);
          this.ctx.log(
            'WARN',
            `${run.name}: Pardot refused field '${drop}' (${(e as ConnectorError).message}); it is left out of this stream's exports for this run ` +
              `(its column stays empty), and window ${describeWindow(wj.w)} is requested again.`,
          );
        }
        run.resubmit(wj);
      }
    }
  }

  /** Step 2: the files as records (one export), or the parts joined by id (a split field list). */
  private async *emitWindow(w: Window, jobs: CompleteExport[], count: (rows: number) => void): AsyncGenerator<SyncEvent, JoinStats | null> {
    for (const j of jobs) checkTimezone(j.snap.createdAt, this.ctx.timezone, { stream: this.run.name, exportId: j.snap.id }, (m) => this.ctx.log('WARN', m));
    if (jobs.length > 1) return yield* emitJoined(this.files, this.run.stream, w, jobs, count);
    yield* emitFiles(this.files, this.run.name, w, jobs[0]!, count);
    return null;
  }

  /** Steps 3 and 4: the straggler rule, then the cursor to the window's end and a STATE. */
  private async *commitWindow(wj: WindowJobs, rows: number, stats: JoinStats | null): AsyncGenerator<SyncEvent> {
    const { run, ctx } = this;
    if (stats !== null && stats.stragglers > 0) this.noteStragglers(wj.w, stats);
    run.finishWindow(wj);
    run.state.cursor = run.heldAt === null ? wj.w.end : Math.min(wj.w.end, run.heldAt);
    if (wj.closing) run.closingRows[wj.closing.round - 1] = (run.closingRows[wj.closing.round - 1] ?? 0) + rows;
    const summary = ctx.summary;
    summary.rows += rows;
    summary.windows++;
    yield* ctx.events.drain();
    yield run.stateEvent();
    const secs = Math.max((ctx.clock.now() - run.startedAt) / 1000, 1e-3);
    yield {
      type: 'progress',
      stream: run.name,
      windowsDone: summary.windows,
      windowsPlanned: run.windows.length,
      rows: summary.rows,
      rowsPerSecond: summary.rows / secs,
      apiCalls: ctx.api.apiCallsTotal(),
    };
  }

  private noteStragglers(w: Window, stats: JoinStats): void {
    const run = this.run;
    const at = holdBackCursor(w, stats, run.o.to, this.toMs);
    if (at !== null) run.heldAt = run.heldAt === null ? at : Math.min(run.heldAt, at);
    this.ctx.log(
      'WARN',
      `${run.name}: ${stats.stragglers} row(s) of window ${describeWindow(w)} were not alike in every export of its split field list ` +
        `(changed or deleted between those exports) and are not emitted from this window; ` +
        (run.heldAt === null
          ? `their current versions lie past this run's end, so the next run reads them.`
          : `the saved cursor stays at ${toCursor(run.heldAt)} so that the next run reads them again whole (rows after it are read again too: de-duplicate on the primary key).`),
    );
  }
}
