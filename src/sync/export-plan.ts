/**
 * Planning an export stream's run: which windows, which exports per window (a field list over 150
 * is split), which saved exports are resumed, what each export request says. Pure functions but
 * for `requestFingerprint`'s hash.
 */
import type { Config } from '../config.js';
import { isConnectorError } from '../errors.js';
import type { CreateExportRequest, ProcedureArgValue } from '../pardot/types.js';
import { DELETED_ALL, DELETED_ONLY, MAX_FIELDS_PER_EXPORT, OBJECT_NAMES, VISITOR_ACTIVITY_ARGS, boolArg, typesArg } from '../pardot/wire.js';
import type { ConfiguredStream, ExportStreamDef, FieldDef } from '../streams.js';
import type { InFlightExport } from './events.js';
import { describeWindow, floorToSecond, maxWindowMs, planWindows, windowArgs, type Window } from './windows.js';

/** A window's export may poll at most this often however long its deadline (bounds the estimate). */
const MAX_POLLS_ESTIMATE = 100_000;

/**
 * API calls one export may need, from the poll schedule: the create, every read of the schedule
 * (first after poll_interval_seconds, doubling up to poll_max_interval_seconds) until
 * export_timeout_minutes, and one download. An export is not created with fewer calls left.
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

/** The export request of a stream's window with the given fields. */
export function exportRequest(stream: ExportStreamDef, config: Config, w: Window, fields: readonly FieldDef[]): CreateExportRequest {
  return {
    object: OBJECT_NAMES[stream.object],
    fields: fields.map((x) => x.name),
    procedure: { name: stream.procedure, arguments: procedureArgs(stream, config, w) },
  };
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
  // node:crypto is loaded here, on first use, not at start-up (bench/README.md: start-up).
  const { createHash } = process.getBuiltinModule('node:crypto');
  return createHash('sha256').update(JSON.stringify([req.object, req.procedure.name, args, req.fields])).digest('hex').slice(0, 16);
}

/**
 * The field a refusal names (180/224/51: PARDOT_INVALID_FIELD), when the sync may go on without it
 * (not the key, not the cursor, and one it asked for); else null.
 */
export function droppableField(e: unknown, stream: Pick<ExportStreamDef, 'cursorField'>, fields: readonly { name: string }[]): string | null {
  if (!isConnectorError(e) || e.code !== 'PARDOT_INVALID_FIELD') return null;
  const f = e.context.field;
  if (typeof f !== 'string' || f === 'id' || f === stream.cursorField || !fields.some((x) => x.name === f)) return null;
  return f;
}

export interface PlannedWindow extends Window {
  /** Saved exports to resume, by part (a window of one export: one entry). */
  resumeIds?: (string | undefined)[];
}

export interface ResumePlan {
  windows: PlannedWindow[];
  /** Saved exports replaced by new ones (cancel them: they would hold Pardot's queue). */
  superseded: string[];
  warnings: string[];
}

/**
 * The windows from `from` to `to`. Saved exports (in_flight) of the windows that continue from the
 * cursor are resumed, part by part, when their request fingerprint is this run's request for that
 * part; one created for another request (a field selected since, include_deleted changed, ...) or
 * without a fingerprint (older state) keeps its window but gets a new export, with a WARN. Saved
 * exports that do not continue from the cursor are not reused (WARN). Both kinds are `superseded`:
 * the caller cancels them, since one still waiting would hold Pardot's one-at-a-time queue ahead
 * of this run's exports.
 */
export function planWithResume(
  o: { from: number; to: number; windowDays: number; streamName: string },
  inFlight: readonly InFlightExport[],
  fingerprintsOf: (w: Window) => string[],
): ResumePlan {
  const out: PlannedWindow[] = [];
  const superseded: string[] = [];
  const warnings: string[] = [];
  let cur = floorToSecond(o.from);
  const groups = new Map<string, InFlightExport[]>();
  for (const f of [...inFlight].sort((a, b) => Date.parse(a.start) - Date.parse(b.start) || (a.part ?? 0) - (b.part ?? 0))) {
    const k = `${Date.parse(f.start)}/${Date.parse(f.end)}`;
    groups.set(k, [...(groups.get(k) ?? []), f]);
  }
  const saved = [...groups.values()];
  let used = 0;
  for (const group of saved) {
    const s = Date.parse(group[0]!.start);
    const e = Date.parse(group[0]!.end);
    if (s !== cur || !(e > s) || e - s > maxWindowMs(o.windowDays) || e > o.to) break; // never a cursor past this run's end
    const w: Window = { start: s, end: e };
    const fps = fingerprintsOf(w);
    const resumeIds: (string | undefined)[] = fps.map(() => undefined);
    for (const f of group) {
      const part = f.part ?? 0;
      if (part < fps.length && f.fingerprint === fps[part] && resumeIds[part] === undefined) {
        resumeIds[part] = f.id;
        continue;
      }
      warnings.push(
        `${o.streamName}: saved export ${f.id} for ${describeWindow(w)} was created for ${f.fingerprint ? 'another request (fields, arguments or object changed since)' : 'a request this version cannot compare (no fingerprint in state)'}; ` +
          `creating a new export for that window instead of resuming it.`,
      );
      superseded.push(f.id);
    }
    out.push(resumeIds.some((id) => id !== undefined) ? { ...w, resumeIds } : w);
    used++;
    cur = e;
  }
  const unused = saved.slice(used).flat();
  if (unused.length > 0) {
    warnings.push(`${unused.length} export(s) in flight in the saved state of ${o.streamName} do not continue from the cursor and are not reused; they are canceled.`);
    superseded.push(...unused.map((f) => f.id));
  }
  return { windows: [...out, ...planWindows(cur, o.to, o.windowDays)], superseded, warnings };
}
