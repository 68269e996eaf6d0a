/**
 * One export stream's part of a run: its planned windows, the jobs it put in the run's export
 * queue (jobs/job-queue.ts), the fields it asks for (less those Pardot refused), and its state.
 *
 * Every window's exports are submitted to the queue when the run starts, behind the windows of the
 * streams before it, so that Pardot's one-at-a-time queue holds this stream's first exports while
 * an earlier stream downloads. An export is recorded in the stream's state (in_flight) the moment
 * it exists, with a STATE event of its own, so a run stopped at any point resumes every export it
 * created and duplicates none.
 */
import type { Config } from '../config.js';
import { ConnectorError, isConnectorError } from '../errors.js';
import { InvalidTally } from '../extract/notes.js';
import type { JobQueue, JobRequest, JobTicket } from '../jobs/job-queue.js';
import type { JobSnapshot } from '../jobs/types.js';
import type { CreateExportRequest } from '../pardot/types.js';
import type { ConfiguredStream, ExportStreamDef, FieldDef } from '../streams.js';
import type { LogLevel, StreamSummary, SyncEvent } from './events.js';
import { exportRequest, planWithResume, requestedFields, requestFingerprint, splitFields, type PlannedWindow } from './export-plan.js';
import { capCursor, serializeState, type CursorState } from './state.js';
import { describeWindow, toCursor, type Window } from './windows.js';

export interface ExportRunDeps {
  config: Config;
  queue: JobQueue<CreateExportRequest>;
  log(level: LogLevel, message: string): void;
  /** Events raised while the reader waits (the STATE recording a new export). */
  enqueue(ev: SyncEvent): void;
  /** Throws (API_CALL_CEILING) when the run cannot afford one more export besides `othersLive` not finished. */
  admit(label: string, othersLive: number): void;
}

export interface ExportRunOptions {
  cs: ConfiguredStream;
  prior: CursorState;
  /** First cursor to read from, and the exclusive end of the main windows. */
  from: number;
  to: number;
  /** The newest cursor a STATE may carry (ReaderContext.cursorCap). */
  cursorCap: number;
  summary: StreamSummary;
}

/** A window and its exports in the queue (one per part of a split field list). */
export interface WindowJobs {
  w: PlannedWindow;
  tickets: JobTicket[];
  /** The fields each part's export was created with (what its CSV columns are). */
  sent: FieldDef[][];
  /** A window that closes a full refresh (rows changed during the run): its end is set when its export is created. */
  closing?: { round: number };
}

/** How far past Pardot's now (floored to the second) a closing window ends. */
export const CLOSING_END_MARGIN_MS = 2000;

export class ExportStreamRun {
  readonly stream: ExportStreamDef;
  /** The fields asked for; one Pardot refuses by name (180/224/51) is dropped for the rest of the run. */
  fields: FieldDef[];
  readonly windows: WindowJobs[] = [];
  readonly superseded: string[];
  readonly state: CursorState;
  /** Records emitted since the last STATE. */
  sinceLastState = 0;
  /** Rows emitted by each round of closing windows, so far. */
  readonly closingRows: number[] = [];
  /** The straggler rule's hold on the cursor for the rest of the run (export-read.ts holdBackCursor); null: none. */
  heldAt: number | null = null;
  /** When this stream's reading began (for its rows per second). */
  startedAt = 0;
  /** Cells of this stream's files that did not fit their type, zero dates, repeated hours: one WARN each kind and field at the end. */
  readonly tally = new InvalidTally();
  private readonly planned: FieldDef[][];

  constructor(
    private readonly deps: ExportRunDeps,
    readonly o: ExportRunOptions,
  ) {
    const stream = o.cs.stream;
    if (stream.kind !== 'export') throw new Error(`ExportStreamRun: ${stream.name} is not an export stream`);
    this.stream = stream;
    this.fields = requestedFields(o.cs);
    this.planned = splitFields(this.fields, stream);
    const incremental = o.cs.syncMode === 'incremental';
    this.state = { cursor: incremental ? (o.prior.cursor ?? null) : null, inFlight: [] };
    const plan = planWithResume(
      { from: o.from, to: o.to, windowDays: deps.config.windowDays, streamName: stream.name },
      o.prior.inFlight,
      (w) => this.planned.map((f) => requestFingerprint(exportRequest(stream, deps.config, w, f))),
    );
    for (const m of plan.warnings) deps.log('WARN', m);
    this.superseded = plan.superseded;
    for (const w of plan.windows) this.windows.push({ w, tickets: [], sent: [] });
  }

  get name(): string {
    return this.stream.name;
  }

  /** Puts every planned window's exports in the queue (in window order, after what is there). */
  submitAll(): void {
    for (const wj of this.windows) wj.tickets = this.submitWindow(wj, wj.w.resumeIds);
  }

  /** The STATE of this stream now: the cursor (capped) and the exports in flight. */
  stateEvent(): SyncEvent {
    const ev: SyncEvent = { type: 'state', stream: this.name, state: serializeState(this.stream, capCursor(this.state, this.o.cursorCap)), recordCount: this.sinceLastState };
    this.sinceLastState = 0;
    return ev;
  }

  /** A window's exports again (Pardot refused a field, or the results expired): first in the queue. */
  resubmit(wj: WindowJobs): void {
    for (const t of wj.tickets) t.release();
    wj.tickets = this.submitWindow(wj, undefined, true);
  }

  /** Done with a window: its exports leave the queue and the state. */
  finishWindow(wj: WindowJobs): void {
    for (const t of wj.tickets) t.release();
    this.state.inFlight = this.state.inFlight.filter((f) => Date.parse(f.start) !== wj.w.start);
  }

  /** The stream's cell WARNs: one per field (values nulled, zero dates), one for repeated hours. */
  reportCells(log: (level: LogLevel, message: string) => void): void {
    for (const m of this.tally.warnings(this.name)) log('WARN', m);
  }

  /** Gives up every window not read yet (the stream stopped): their exports are canceled or never created. */
  abandon(): void {
    for (const wj of this.windows) for (const t of wj.tickets) t.release();
  }

  /** Whether this stream's full refresh is closed by windows of rows changed during the run (closing.ts). */
  closes = false;

  /** The first closing window: created once this stream's main exports are processed. */
  submitFirstClosing(start: number, pardotNow: () => number): void {
    const main = this.windows.filter((wj) => !wj.closing).flatMap((wj) => wj.tickets.map((t) => t.done));
    this.closes = true;
    this.submitClosing(1, start, pardotNow, Promise.allSettled(main));
  }

  /**
   * A window that closes a full refresh: from `start` to Pardot's now when its export is created
   * (after `gate`: the exports before it are processed, so a row that moved past them falls in it).
   */
  submitClosing(round: number, start: number, pardotNow: () => number, gate: Promise<unknown>): WindowJobs {
    const w: PlannedWindow = { start, end: start };
    const wj: WindowJobs = { w, tickets: [], sent: [], closing: { round } };
    wj.tickets = this.submitWindow(wj, undefined, false, gate, () => {
      // Up to Pardot's now, its current second included and one more: a row changed in the second
      // the export is created (and Pardot's clock, known to the second, a little ahead) falls in it.
      if (w.end === w.start) w.end = Math.max(start + 1000, Math.floor(pardotNow() / 1000) * 1000 + CLOSING_END_MARGIN_MS);
    });
    this.windows.push(wj);
    return wj;
  }

  private submitWindow(wj: WindowJobs, resumeIds?: readonly (string | undefined)[], front = false, gate?: Promise<unknown>, beforeCreate?: () => void): JobTicket[] {
    const w = wj.w;
    const n = this.planned.length;
    const label = `${this.name} ${wj.closing ? `closing window ${wj.closing.round}` : describeWindow(w)}`;
    return this.planned.map((_, part) => {
      let sent: CreateExportRequest | null = null;
      wj.sent[part] = this.partFields(part);
      const spec = (): CreateExportRequest => {
        beforeCreate?.();
        wj.sent[part] = this.partFields(part);
        sent = exportRequest(this.stream, this.deps.config, w, wj.sent[part]);
        return sent;
      };
      const partLabel = n > 1 ? `${label} (export ${part + 1} of ${n})` : label;
      const req: JobRequest<CreateExportRequest> = {
        spec,
        label: partLabel,
        resumeId: resumeIds?.[part],
        admit: (others) => this.deps.admit(partLabel, others),
        onCreated: (snap) => this.track(w, part, snap, requestFingerprint(sent ?? spec())),
        resumeRefused: (e) => this.resumeRefused(e, resumeIds?.[part], partLabel),
        ...(gate ? { gate } : {}),
      };
      return this.deps.queue.submit(req, { front });
    });
  }

  /** A part's fields: as planned, less those dropped since. */
  private partFields(part: number): FieldDef[] {
    const keep = new Set(this.fields.map((f) => f.name));
    return this.planned[part]!.filter((f) => keep.has(f.name));
  }

  /** Records an export of a window's part in the state, and says so with a STATE of its own. */
  private track(w: Window, part: number, snap: JobSnapshot, fingerprint: string): void {
    this.state.inFlight = this.state.inFlight.filter((f) => !(Date.parse(f.start) === w.start && (f.part ?? 0) === part));
    this.state.inFlight.push({ id: snap.id, start: toCursor(w.start), end: toCursor(w.end), createdAt: snap.createdAt ?? '', fingerprint, ...(part > 0 ? { part } : {}) });
    this.state.inFlight.sort((a, b) => Date.parse(a.start) - Date.parse(b.start) || (a.part ?? 0) - (b.part ?? 0));
    this.o.summary.exports++;
    this.deps.enqueue(this.stateEvent());
  }

  /**
   * A 46/49 on reading a saved export: only the user who created an export may read it (the API
   * user changed), so a new export is created for the window, with a WARN.
   */
  private resumeRefused(e: unknown, id: string | undefined, label: string): boolean {
    if (!isConnectorError(e) || e.code !== 'PARDOT_PERMISSION') return false;
    this.deps.log('WARN', `${label}: saved export ${id} cannot be read by this API user (${e.message}); exports can be read only by the user who created them, so a new export is created for this window.`);
    return true;
  }

  /** Best-effort cancel of saved exports that a new export replaces (one call each; a refusal is only logged). */
  async cancelSuperseded(cancel: (id: string) => Promise<unknown>, signal: AbortSignal): Promise<void> {
    for (const id of this.superseded) {
      try {
        await cancel(id);
        this.deps.log('INFO', `Canceled saved export ${id}, replaced by a new export.`);
      } catch (e) {
        if (signal.aborted) throw e;
        this.deps.log('INFO', `Saved export ${id} was not canceled (${(e as Error).message}); it is left to finish or expire in Pardot.`);
      }
    }
  }
}

/** The error of a window refused for the run's call budget (checked before each export is created). */
export function ceilingError(label: string, need: number, left: number, parts: number): ConnectorError {
  return new ConnectorError(
    'API_CALL_CEILING',
    `Not starting ${label}: it may need ${need} API calls (${parts > 1 ? `${parts} exports of its split field list, each with ` : ''}create, polls up to export_timeout_minutes, a download, ` +
      `with the exports queued before it) and only ${Math.max(0, left)} remain under the ceiling (max_api_calls or today's Pardot budget). ` +
      `State up to the last finished window is saved; run again later or raise max_api_calls.`,
    { failureType: 'transient_error', context: { label } },
  );
}
