/**
 * The reader of export streams (kind 'export'): plan windows, run one export per window, stream
 * its files through CSV extraction, and emit events. One of the sync core's readers (reader.ts).
 *
 * Guarantees:
 * - A stream's STATE is emitted only after every row of the window it closes was emitted; its
 *   cursor is that window's end, never later than the run's end (`ctx.to`).
 * - Exports created but not yet emitted are recorded in state (in_flight), so a killed run
 *   resumes them instead of queueing duplicates in Pardot.
 * - Windows are pipelined (config.exportQueueDepth): when window N's export completes, window N+1's
 *   is created while N downloads, so Pardot's one-at-a-time queue never idles. Events still come
 *   out in window order.
 */
import type { Config } from '../config.js';
import { ConnectorError, configError, isConnectorError } from '../errors.js';
import { SpillJoin, type JoinStats } from '../extract/join.js';
import { createWallTimeConverter, offsetMinutesAt } from '../extract/timezone.js';
import type { JobPort, JobSnapshot } from '../jobs/types.js';
import { waitForJob } from '../jobs/run-job.js';
import type { CreateExportRequest, ProcedureArgValue } from '../pardot/types.js';
import { DELETED_ALL, DELETED_ONLY, MAX_FIELDS_PER_EXPORT, MULTI_VALUE_CELL, OBJECT_NAMES, VISITOR_ACTIVITY_ARGS, boolArg, typesArg } from '../pardot/wire.js';
import type { ConfiguredStream, ExportStreamDef, FieldDef } from '../streams.js';
import type { InFlightExport, LogLevel, RecordsEvent, SyncEvent } from './events.js';
import { mergeBounded } from './merge.js';
import type { ReaderContext } from './reader.js';
import { capCursor, serializeState, type CursorState } from './state.js';
import { describeWindow, floorToSecond, maxWindowMs, planWindows, toCursor, windowArgs, type Window } from './windows.js';

/** A window's export may poll at most this often however long its deadline (bounds the estimate). */
const MAX_POLLS_ESTIMATE = 100_000;

/**
 * API calls one window may need, from the poll schedule: the create, every read of the schedule
 * (first after poll_interval_seconds, doubling up to poll_max_interval_seconds) until
 * export_timeout_minutes, and one download. A window is not started with fewer calls left.
 */
export function estimateCallsPerWindow(c: Pick<Config, 'pollInitialMs' | 'pollMaxMs' | 'exportDeadlineMs'>): number {
  let polls = 0;
  let waited = 0;
  let delay = Math.max(1, c.pollInitialMs);
  while (waited < c.exportDeadlineMs && polls < MAX_POLLS_ESTIMATE) {
    waited += delay;
    polls++;
    delay = Math.min(delay * 2, Math.max(1, c.pollMaxMs));
  }
  return 1 + polls + 1;
}

/** The procedure arguments of a stream's export for a window: bounds, deleted filter, visitor activity filters. */
export function procedureArgs(stream: ExportStreamDef, config: Config, w: Window): Record<string, ProcedureArgValue> {
  const { after, before } = windowArgs(w);
  const args: Record<string, ProcedureArgValue> = { [stream.afterArg]: after, [stream.beforeArg]: before };
  if (stream.deletedArg) {
    if (stream.deleted === 'only') args[stream.deletedArg] = DELETED_ONLY;
    else if (stream.deleted === 'config' && config.includeDeleted) args[stream.deletedArg] = DELETED_ALL;
  }
  const va = stream.object === 'visitorActivity' ? VISITOR_ACTIVITY_ARGS[stream.procedure] : undefined;
  if (va) {
    // Sent explicitly: the seed gives no default for prospectOnly.
    args[va.prospectOnly] = boolArg(config.visitorActivitiesProspectOnly);
    if (config.visitorActivityTypes) args[va.type] = typesArg(config.visitorActivityTypes);
  }
  return args;
}

/** The fields to request: the catalog's, plus the stream's automatic ones (key, cursor, isDeleted), in stream order. */
export function requestedFields(cs: ConfiguredStream): FieldDef[] {
  const names = new Set([...cs.fields.map((f) => f.name), ...cs.stream.automaticFields]);
  // An export stream's fields are the Export API's CSV types (streams.ts).
  return (cs.stream as ExportStreamDef).fields.filter((f) => names.has(f.name));
}

/**
 * The fields of a window's exports: one export when they fit in the stream's maxFields (150),
 * else as many as needed, each with the key and the cursor and its share of the others (stream
 * order kept), whose rows are joined by key (extract/join.ts).
 */
export function splitFields(fields: readonly FieldDef[], stream: Pick<ExportStreamDef, 'cursorField' | 'maxFields'>): FieldDef[][] {
  const max = stream.maxFields ?? MAX_FIELDS_PER_EXPORT;
  if (fields.length <= max) return [[...fields]];
  const always = fields.filter((f) => f.name === 'id' || f.name === stream.cursorField);
  const rest = fields.filter((f) => f.name !== 'id' && f.name !== stream.cursorField);
  const per = max - always.length;
  const parts = Math.ceil(rest.length / per);
  // Balanced parts (not 148 + 2): each export of a window costs about the same.
  const size = Math.ceil(rest.length / parts);
  const out: FieldDef[][] = [];
  for (let i = 0; i < rest.length; i += size) out.push([...always, ...rest.slice(i, i + size)]);
  return out;
}

/** A short hash of an export request (object, procedure, arguments, fields): an in-flight export is resumed only for the same. */
export function requestFingerprint(req: CreateExportRequest): string {
  const args = Object.keys(req.procedure.arguments)
    .sort()
    .map((k) => [k, req.procedure.arguments[k]]);
  // node:crypto is loaded here, on first use, not at start-up (README "Performance": start-up).
  const { createHash } = process.getBuiltinModule('node:crypto');
  return createHash('sha256').update(JSON.stringify([req.object, req.procedure.name, args, req.fields])).digest('hex').slice(0, 16);
}

/**
 * The field a 180/224 refusal names, when the sync may go on without it (not the key, not the
 * cursor, and one it asked for); else null.
 */
export function droppableField(e: unknown, stream: ExportStreamDef, fields: readonly FieldDef[]): string | null {
  if (!isConnectorError(e) || e.code !== 'PARDOT_INVALID_FIELD') return null;
  const f = e.context.field;
  if (typeof f !== 'string' || f === 'id' || f === stream.cursorField || !fields.some((x) => x.name === f)) return null;
  return f;
}

/** A 4xx answer to a download that may mean the export expired (re-read the export to know). */
function mayMeanExpired(e: unknown): boolean {
  if (!isConnectorError(e) || e.code === 'PARDOT_EXPORT_EXPIRED') return false;
  const s = e.context.httpStatus;
  return typeof s === 'number' && s >= 400 && s < 500 && s !== 429 && !['PARDOT_AUTH_REJECTED', 'PARDOT_DAILY_LIMIT', 'PARDOT_BUSINESS_UNIT'].includes(e.code);
}

/** Re-opening a result file cut off mid-body: attempts before giving up. */
export const MAX_DOWNLOAD_ATTEMPTS = 5;
/** An export found expired while downloading is re-created at most this often. */
export const MAX_EXPIRED_RECREATES = 2;


interface PlannedWindow extends Window {
  /** Saved exports to resume, by part (a window of one export: one entry). */
  resumeIds?: (string | undefined)[];
}

/** A window's export, complete, with the fields it was created with (what its CSV columns are). */
interface StartedJob {
  snap: JobSnapshot;
  fields: readonly FieldDef[];
}

/**
 * The port for a window resuming a saved export: a 46/49 on reading that export (only the user
 * who created an export may read it; the API user changed) is a WARN and the job runner's
 * "cannot be resumed" case, so that a new export is created for the window.
 */
function resumeTolerantPort(port: JobPort<CreateExportRequest>, resumeId: string, label: string, log?: (l: LogLevel, m: string) => void): JobPort<CreateExportRequest> {
  let first = true;
  return {
    ...port,
    read: async (id, signal) => {
      const resumed = first && id === resumeId;
      first = false;
      try {
        return await port.read(id, signal);
      } catch (e) {
        if (!resumed || !isConnectorError(e) || e.code !== 'PARDOT_PERMISSION') throw e;
        log?.('WARN', `${label}: saved export ${id} cannot be read by this API user (${e.message}); exports can be read only by the user who created them, so a new export is created for this window.`);
        throw new ConnectorError('PARDOT_EXPORT_NOT_READABLE', e.message, { failureType: 'system_error', context: { ...e.context } });
      }
    },
  };
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
export function checkTimezone(
  createdAt: string | null,
  timezone: string,
  ctx: { stream: string; exportId: string },
  warn?: (message: string) => void,
): void {
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

/** Reads one export stream: its windows' exports, files and records, with STATE per window. */
export async function* readExportStream(cs: ConfiguredStream, ctx: ReaderContext): AsyncGenerator<SyncEvent> {
  const { config, api, clock, to, ceiling, log, summary, abort } = ctx;
  const o = { port: ctx.port, recordFrame: ctx.recordFrame };
  const enqueue = (ev: SyncEvent) => ctx.events.enqueue(ev);
  const drain = () => ctx.events.drain();
  const flushWhile = <T>(p: Promise<T>) => ctx.events.flushWhile(p);
  const extract = ctx.extract;
  const timezone = ctx.timezone;
  const estCallsPerWindow = estimateCallsPerWindow(config);
  // A window's files download in parallel, leaving one request slot for polling the next export.
  const downloadConcurrency = Math.max(1, config.maxConcurrentRequests - 1);
  yield* readStream();

  async function* readStream(): AsyncGenerator<SyncEvent> {
    const stream = cs.stream;
    if (stream.kind !== 'export') throw new Error(`readStream: ${stream.name} is not an export stream`);
    const { signal } = abort;
    const prior = ctx.prior;
    const incremental = cs.syncMode === 'incremental';
    const from = incremental && prior.cursor !== null ? Math.max(prior.cursor, config.startDate) : config.startDate;
    // The fields asked for; one Pardot refuses by name (180/224) is dropped for the rest of the run.
    let fields = requestedFields(cs);
    const specOf = (w: Window, f: readonly FieldDef[]): CreateExportRequest => ({
      object: OBJECT_NAMES[stream.object],
      fields: f.map((x) => x.name),
      procedure: { name: stream.procedure, arguments: procedureArgs(stream, config, w) },
    });
    const superseded: string[] = [];
    const windows = planWithResume(from, to, prior.inFlight, (w) => splitFields(fields, stream).map((f) => requestFingerprint(specOf(w, f))), stream.name, superseded);
    const state: CursorState = { cursor: incremental ? (prior.cursor ?? null) : null, inFlight: [] };
    let sinceLastState = 0;
    const stateEvent = (): SyncEvent => {
      const ev: SyncEvent = { type: 'state', stream: stream.name, state: serializeState(stream, capCursor(state, ctx.cursorCap)), recordCount: sinceLastState };
      sinceLastState = 0;
      return ev;
    };
    yield { type: 'status', stream: stream.name, status: 'RUNNING' };
    // Saved exports replaced by new ones would hold Pardot's one-at-a-time queue: cancel them (best effort).
    yield* flushWhile(cancelSuperseded(superseded, signal));
    summary.status = 'RUNNING';
    if (windows.length === 0) {
      // Nothing to read (cursor at or past the sync's start): still one STATE, cursor kept.
      if (state.cursor === null) state.cursor = Math.min(from, to);
      log('INFO', `${stream.name}: nothing to read, cursor ${toCursor(state.cursor)} is not before ${toCursor(to)}.`);
      yield stateEvent();
      return;
    }
    log('INFO', `${stream.name}: ${windows.length} window(s) from ${toCursor(windows[0]!.start)} to ${toCursor(to)}.`);

    const track = (w: Window, part: number, id: string, createdAt: string | null, fingerprint: string) => {
      state.inFlight = state.inFlight.filter((f) => !(Date.parse(f.start) === w.start && (f.part ?? 0) === part));
      state.inFlight.push({ id, start: toCursor(w.start), end: toCursor(w.end), createdAt: createdAt ?? '', fingerprint, ...(part > 0 ? { part } : {}) });
      state.inFlight.sort((a, b) => Date.parse(a.start) - Date.parse(b.start) || (a.part ?? 0) - (b.part ?? 0));
      summary.exports++;
      enqueue(stateEvent());
    };
    /**
     * A window's exports, complete: one, or one per part of a split field list (created one after
     * the other: Pardot runs an account's exports one at a time, and polling a queued one wastes calls).
     */
    const startJob = (w: PlannedWindow, resumeIds?: readonly (string | undefined)[]): Promise<StartedJob[]> => {
      const parts = splitFields(fields, stream).length;
      const estimate = estCallsPerWindow * parts;
      if (api.apiCallsTotal() + estimate > ceiling) {
        // Rejected, not thrown: a window queued while the one before it downloads must not stop
        // that download; the refusal surfaces in window order, after the earlier STATE.
        const refused = Promise.reject(new ConnectorError(
          'API_CALL_CEILING',
          `Not starting ${stream.name} window ${describeWindow(w)}: it may need ${estimate} API calls ` +
            `(${parts > 1 ? `${parts} exports of its split field list, each with ` : ''}create, polls up to export_timeout_minutes, a download) and only ` +
            `${Math.max(0, ceiling - api.apiCallsTotal())} remain under the ceiling (max_api_calls or today's Pardot budget). ` +
            `State up to the last finished window is saved; run again later or raise max_api_calls.`,
          { failureType: 'transient_error', context: { stream: stream.name, window: { start: toCursor(w.start), end: toCursor(w.end) } } },
        ));
        refused.catch(() => undefined);
        return refused;
      }
      const label = `${stream.name} ${describeWindow(w)}`;
      const p = (async (): Promise<StartedJob[]> => {
        let resume = resumeIds;
        for (;;) {
          const used = fields;
          const split = splitFields(used, stream);
          try {
            const out: StartedJob[] = [];
            for (let i = 0; i < split.length; i++) {
              const spec = specOf(w, split[i]!);
              const fingerprint = requestFingerprint(spec);
              const rid = resume?.[i];
              const partLabel = split.length > 1 ? `${label} (export ${i + 1} of ${split.length})` : label;
              const snap = await waitForJob({
                port: rid === undefined ? o.port : resumeTolerantPort(o.port, rid, partLabel, log),
                spec,
                clock,
                pollInitialMs: config.pollInitialMs,
                pollMaxMs: config.pollMaxMs,
                deadlineMs: config.exportDeadlineMs,
                resumeId: rid,
                signal,
                onCreated: (id, s) => track(w, i, id, s.createdAt, fingerprint),
                log,
                label: partLabel,
              });
              out.push({ snap, fields: split[i]! });
            }
            return out;
          } catch (e) {
            // Judged against the fields this request sent: another window of the pipeline may have
            // dropped the same field meanwhile, and then this one is simply requested again.
            const drop = signal.aborted ? null : droppableField(e, stream, used);
            if (drop === null) throw e;
            resume = undefined;
            if (!fields.some((f) => f.name === drop)) continue;
            fields = fields.filter((f) => f.name !== drop);
            log('WARN', `${stream.name}: Pardot refused field '${drop}' (${(e as ConnectorError).message}); it is left out of this stream's exports for this run (its column stays empty), and window ${describeWindow(w)} is requested again.`);
          }
        }
      })();
      p.catch(() => undefined); // awaited in order below; never an unhandled rejection meanwhile
      return p;
    };

    /**
     * The straggler rule of split windows: a row missing from a part, or whose cursor differs
     * between parts, changed (or was deleted) between the part exports. It is not emitted from the
     * window (it would mix two versions); the saved cursor stays at the newest cursor seen for it
     * (floored to the second, the earliest over all stragglers) for the rest of the run, so the next
     * run reads it again whole, where its current version now falls. Rows after that point are read
     * again too (at least once: de-duplicate on the primary key).
     */
    let holdBack: number | null = null;
    const holdBackFor = (w: Window, st: JoinStats): void => {
      const c = st.stragglerCursor;
      const iso = c === null || c === '' ? null : createWallTimeConverter(timezone)(c);
      const ms = iso === null ? NaN : Date.parse(iso);
      const earliest = Math.max(w.start, Math.min(w.end, Number.isFinite(ms) ? floorToSecond(ms) : w.start));
      holdBack = holdBack === null ? earliest : Math.min(holdBack, earliest);
      log(
        'WARN',
        `${stream.name}: ${st.stragglers} row(s) of window ${describeWindow(w)} were not alike in every export of its split field list ` +
          `(changed or deleted between those exports); they are not emitted from this window, and the saved cursor stays at ` +
          `${toCursor(holdBack)} so that the next run reads them again whole (rows after it are read again too: de-duplicate on the primary key).`,
      );
    };

    const pending: Array<{ w: PlannedWindow; job: Promise<StartedJob[]> }> = [];
    let next = 0;
    const startNext = () => {
      const w = windows[next++]!;
      pending.push({ w, job: startJob(w, w.resumeIds) });
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
        let ready = yield* flushWhile(head.job);
        // The head export is complete: queue the next window's export while this one downloads.
        while (next < windows.length && pending.length < config.exportQueueDepth) startNext();
        let recreated = 0;
        let rows = 0;
        let joinStats: JoinStats | null = null;
        for (;;) {
          try {
            if (ready.length > 1) {
              // A split window: its parts' rows joined by id, then emitted as one file would be.
              joinStats = yield* readJoined(cs, ready, head.w, signal, (n) => {
                rows += n;
                sinceLastState += n;
              });
              break;
            }
            const { snap: job, fields: jobFields } = ready[0]!;
            checkTimezone(job.createdAt, timezone, { stream: stream.name, exportId: job.id }, (m) => log('WARN', m));
            const files = job.files.map((url) => () => readFile(cs, jobFields, job.id, url, signal));
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
              `${stream.name}: export ${ready.map((j) => j.snap.id).join(', ')} for ${describeWindow(head.w)} expired before it was downloaded; re-creating it. ` +
                `${rows} row(s) of this window already emitted will be emitted again (de-duplicate on the primary key).`,
            );
            ready = yield* flushWhile(startJob(head.w));
          }
        }
        if (joinStats !== null && joinStats.stragglers > 0) holdBackFor(head.w, joinStats);
        pending.shift();
        state.inFlight = state.inFlight.filter((f) => Date.parse(f.start) !== head.w.start);
        state.cursor = holdBack === null ? head.w.end : Math.min(head.w.end, holdBack);
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

  /**
   * In-flight exports of the prior run that start exactly at the cursor are resumed, then planning
   * goes on. One whose request fingerprint differs from this run's request for its window (a field
   * selected since, include_deleted changed, ...), or that has none (older state), keeps its window
   * but gets a new export, with a WARN.
   */
  function planWithResume(
    from: number,
    to: number,
    inFlight: InFlightExport[],
    fingerprintOf: (w: Window) => string[],
    streamName: string,
    superseded: string[],
  ): PlannedWindow[] {
    const out: PlannedWindow[] = [];
    let cur = floorToSecond(from);
    // Saved exports by window (a split window has one per part).
    const groups = new Map<string, InFlightExport[]>();
    for (const f of [...inFlight].sort((a, b) => Date.parse(a.start) - Date.parse(b.start) || (a.part ?? 0) - (b.part ?? 0))) {
      const k = `${Date.parse(f.start)}/${Date.parse(f.end)}`;
      groups.set(k, [...(groups.get(k) ?? []), f]);
    }
    let used = 0;
    for (const group of groups.values()) {
      const s = Date.parse(group[0]!.start);
      const e = Date.parse(group[0]!.end);
      if (s !== cur || !(e > s) || e - s > maxWindowMs(config.windowDays) || e > to) break; // never a cursor past this run's end
      const w: Window = { start: s, end: e };
      const fps = fingerprintOf(w);
      const resumeIds: (string | undefined)[] = fps.map(() => undefined);
      for (const f of group) {
        const part = f.part ?? 0;
        if (part < fps.length && f.fingerprint === fps[part] && resumeIds[part] === undefined) {
          resumeIds[part] = f.id;
          continue;
        }
        log(
          'WARN',
          `${streamName}: saved export ${f.id} for ${describeWindow(w)} was created for ${f.fingerprint ? 'another request (fields, arguments or object changed since)' : 'a request this version cannot compare (no fingerprint in state)'}; ` +
            `creating a new export for that window instead of resuming it.`,
        );
        superseded.push(f.id);
      }
      out.push(resumeIds.some((id) => id !== undefined) ? { ...w, resumeIds } : w);
      used += group.length;
      cur = e;
    }
    const unused = inFlight.length - used;
    if (unused > 0) log('WARN', `${unused} export(s) in flight in the saved state do not continue from the cursor and are not reused.`);
    return [...out, ...planWindows(cur, to, config.windowDays)];
  }

  /** Best-effort cancel of saved exports that a new export replaces (one call each; a refusal is only logged). */
  async function cancelSuperseded(ids: readonly string[], signal: AbortSignal): Promise<void> {
    for (const id of ids) {
      try {
        await api.cancelExport(id, signal);
        log('INFO', `Canceled saved export ${id}, replaced by a new export.`);
      } catch (e) {
        if (signal.aborted) throw e;
        log('INFO', `Saved export ${id} was not canceled (${(e as Error).message}); it is left to finish or expire in Pardot.`);
      }
    }
  }

  /**
   * Opens a result file. Pardot documents code 178 for an expired export, but any 4xx on a
   * download may mean the export expired: then the export is read again and, when isExpired,
   * the window's export is re-created (PARDOT_EXPORT_EXPIRED) instead of failing the stream.
   */
  async function openResult(streamName: string, exportId: string, url: string, signal: AbortSignal) {
    try {
      return await api.download(url, signal);
    } catch (e) {
      if (signal.aborted || !mayMeanExpired(e)) throw e;
      const again = await api.readExport(exportId, signal);
      if (!again.isExpired) throw e;
      throw new ConnectorError(
        'PARDOT_EXPORT_EXPIRED',
        `Pardot refused a result file of ${streamName} export ${exportId} (${(e as ConnectorError).message}) and the export reads as expired; it has to be created again.`,
        { failureType: 'transient_error', context: { stream: streamName, exportId } },
      );
    }
  }

  /**
   * A split window: every part's files spilled into a hash join (extract/join.ts: temporary files,
   * bounded memory, removed at the end and on failure), then the joined rows converted by the same
   * extraction as one export's file and emitted. Returns the join's figures (stragglers).
   */
  async function* readJoined(
    cs: ConfiguredStream,
    jobs: readonly StartedJob[],
    w: Window,
    signal: AbortSignal,
    count: (rows: number) => void,
  ): AsyncGenerator<SyncEvent, JoinStats> {
    const stream = cs.stream as ExportStreamDef;
    for (const j of jobs) checkTimezone(j.snap.createdAt, timezone, { stream: stream.name, exportId: j.snap.id }, (m) => log('WARN', m));
    const joiner = await SpillJoin.create({ parts: jobs.length, key: 'id', cursor: stream.cursorField });
    try {
      const tasks = jobs.flatMap((j, part) => j.snap.files.map((url) => ({ part, exportId: j.snap.id, url })));
      let next = 0;
      let failed = false;
      const worker = async (): Promise<void> => {
        while (!failed && next < tasks.length) {
          const t = tasks[next++]!;
          try {
            await spillFile(joiner, t.part, t.exportId, t.url, signal);
          } catch (e) {
            failed = true;
            throw e;
          }
        }
      };
      const settled = yield* flushWhile(Promise.allSettled(Array.from({ length: Math.min(downloadConcurrency, Math.max(1, tasks.length)) }, worker)));
      const bad = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (bad) throw bad.reason;
      // The union of the parts' fields, in stream order: what the joined file's columns are.
      const names = new Set(jobs.flatMap((j) => j.fields.map((f) => f.name)));
      const fields = stream.fields.filter((f) => names.has(f.name)).map((f) => jobs.flatMap((j) => j.fields).find((x) => x.name === f.name) ?? f);
      const extractedAt = clock.now();
      const frame = o.recordFrame(stream.name, extractedAt);
      // The joined rows come as two bodies (even and odd hash partitions), converted at once: with
      // parse workers, both cores work on the join's output.
      const shards = Math.max(1, Math.min(2, downloadConcurrency));
      const shard = async function* (i: number): AsyncGenerator<Extract<RecordsEvent, { encoded: object }>> {
        const body = joiner.joined(i, shards);
        const first = await body.next();
        if (first.done) return; // no joined row in this shard (stragglers are still counted)
        const rest = (async function* () {
          yield first.value;
          yield* body;
        })();
        for await (const batch of extract(rest, {
          stream: stream.name,
          exportId: jobs.map((j) => j.snap.id).join('+'),
          file: `the join of ${describeWindow(w)}`,
          fields,
          timezone,
          multiValue: MULTI_VALUE_CELL,
          invalidValues: config.invalidValues,
          frame,
        })) {
          yield { type: 'records', stream: stream.name, encoded: batch, extractedAt };
        }
      };
      const merged = mergeBounded(
        Array.from({ length: shards }, (_, i) => () => shard(i)),
        shards,
        (ev) => ev.encoded.release?.(),
      );
      try {
        for (;;) {
          const r = yield* flushWhile(merged.next());
          if (r.done) break;
          count(r.value.encoded.ends.length);
          yield r.value;
        }
      } finally {
        await merged.return(undefined);
      }
      log(
        'INFO',
        `${stream.name} ${describeWindow(w)}: joined ${joiner.stats.joined} row(s) from ${jobs.length} exports (${joiner.stats.rowsPerPart.join(' + ')} rows; ` +
          `${Math.round(joiner.stats.spilledBytes / 1048576)} MB through temporary files).`,
      );
      return joiner.stats;
    } finally {
      await joiner.close();
    }
  }

  /**
   * After a result file's body failed on attempt `attempt` with `done` rows taken: a connector
   * error, a stop, or the last attempt is thrown (DOWNLOAD_FAILED for a transport error); else a
   * WARN and a backoff before the file is fetched again, skipping those rows.
   */
  async function againOrThrow(err: unknown, attempt: number, exportId: string, url: string, done: number, signal: AbortSignal): Promise<void> {
    if (isConnectorError(err) || signal.aborted) throw err;
    if (attempt >= MAX_DOWNLOAD_ATTEMPTS) {
      throw new ConnectorError(
        'DOWNLOAD_FAILED',
        `Downloading ${cs.stream.name} export ${exportId} file failed ${attempt} times (${(err as Error).message}); state up to the last finished window is saved.`,
        { failureType: 'transient_error', context: { stream: cs.stream.name, exportId, file: url }, cause: err },
      );
    }
    log('WARN', `${cs.stream.name}: download of export ${exportId} was cut off after ${done} row(s) (${(err as Error).message}); fetching the file again and skipping them.`);
    await clock.sleep(Math.min(1000 * 2 ** (attempt - 1), 30_000), signal);
  }

  /** One result file of a split window's part into the join; a body cut off mid-file is fetched again, skipping the rows already taken. */
  async function spillFile(joiner: SpillJoin, part: number, exportId: string, url: string, signal: AbortSignal): Promise<void> {
    let taken = 0;
    for (let attempt = 1; ; attempt++) {
      const body = await openResult(cs.stream.name, exportId, url, signal);
      try {
        await joiner.addFile(part, body, { stream: cs.stream.name, exportId, file: url }, taken, () => taken++);
        return;
      } catch (err) {
        await againOrThrow(err, attempt, exportId, url, taken, signal);
      } finally {
        body.destroy();
      }
    }
  }

  /** One result file; a body cut off mid-file is fetched again, skipping the rows already emitted. */
  async function* readFile(
    cs: ConfiguredStream,
    fields: readonly FieldDef[],
    exportId: string,
    url: string,
    signal: AbortSignal,
  ): AsyncGenerator<Extract<RecordsEvent, { encoded: object }>> {
    let emitted = 0;
    for (let attempt = 1; ; attempt++) {
      const body = await openResult(cs.stream.name, exportId, url, signal);
      // Records carry the time their file's conversion began (Airbyte emitted_at, Singer time_extracted).
      const extractedAt = clock.now();
      const frame = o.recordFrame(cs.stream.name, extractedAt);
      try {
        for await (const batch of extract(body, {
          stream: cs.stream.name,
          exportId,
          file: url,
          fields: [...fields],
          timezone,
          multiValue: MULTI_VALUE_CELL,
          invalidValues: config.invalidValues,
          skipRows: emitted,
          frame,
        })) {
          emitted += batch.ends.length;
          yield { type: 'records', stream: cs.stream.name, encoded: batch, extractedAt };
        }
        return;
      } catch (err) {
        await againOrThrow(err, attempt, exportId, url, emitted, signal);
      } finally {
        body.destroy();
      }
    }
  }
}
