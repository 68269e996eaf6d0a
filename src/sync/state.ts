/**
 * Stream state: parse (with migration of older shapes), and serialise. Pure functions.
 *
 * The state of a stream is { <cursorField>: RFC 3339 UTC, in_flight?: [...], state_version: 1 }:
 * the cursor sits under the stream's cursor field name (updatedAt / createdAt) so platforms
 * and acceptance tests can read it; in_flight lists exports created but not yet fully emitted,
 * so a run killed mid-window resumes them instead of queueing duplicates in Pardot.
 *
 * A v5 query stream's state has the same shape, without in_flight, plus `last_id` between two
 * pages: { <cursorField>: C, last_id: N, state_version: 1 } means every record with cursor < C,
 * and every record with cursor = C and id <= N, has been emitted. A stream with no cursor
 * (full refresh only) has { state_version: 1 }.
 */
import { configError } from '../errors.js';
import type { StreamDef } from '../streams.js';
import type { InFlightExport, StreamState } from './events.js';
import { toCursor } from './windows.js';
// The state value's schema is src/input-schemas/stream-state.json, compiled to code at build time
// (scripts/gen-validators.mjs): no schema compilation at start-up.
import { validateStreamState as validateStreamValue } from '../generated/validators.js';

export const STATE_VERSION = 1;

export interface CursorState {
  /** epoch ms: every row with cursor < this value has been emitted. null: none yet. */
  cursor: number | null;
  inFlight: InFlightExport[];
  /** Query streams, between pages: records with cursor = `cursor` and id <= lastId are emitted too. */
  lastId?: number | null;
}


export interface ParsedState {
  streams: Map<string, CursorState>;
  warnings: string[];
}

type Raw = Record<string, unknown>;
const isObj = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

function badState(message: string): never {
  throw configError(
    'STATE_INVALID',
    `${message} Fix or remove the state file (without it the sync starts from start_date).`,
  );
}

/**
 * Collects per-stream values from every state shape we accept:
 * - Airbyte per-stream: [{type: STREAM, stream: {stream_descriptor: {name}, stream_state}}], with or
 *   without the {type: STATE, state: ...} envelope;
 * - Airbyte GLOBAL ({global: {stream_states}}) and LEGACY ({type: LEGACY, data: {stream: value}});
 * - a legacy single blob {stream: value} (older connectors) and a Singer {bookmarks: {stream: value}}.
 */
function collect(raw: unknown, out: Map<string, unknown>): void {
  if (Array.isArray(raw)) {
    for (const m of raw) collect(m, out);
    return;
  }
  if (!isObj(raw)) badState(`State must be a JSON array of per-stream STATE messages (or an object), got ${JSON.stringify(raw)?.slice(0, 80)}.`);
  if (raw.type === 'STATE' && isObj(raw.state)) return collect(raw.state, out);
  if (raw.type === 'STREAM' || isObj(raw.stream)) {
    const s = raw.stream;
    const name = isObj(s) && isObj(s.stream_descriptor) ? s.stream_descriptor.name : undefined;
    if (typeof name !== 'string') badState('A STREAM state lacks stream.stream_descriptor.name.');
    out.set(name, (s as Raw).stream_state ?? null);
    return;
  }
  if (raw.type === 'GLOBAL' || isObj(raw.global)) {
    const g = raw.global;
    if (!isObj(g) || !Array.isArray(g.stream_states)) badState('A GLOBAL state lacks global.stream_states.');
    for (const s of g.stream_states as unknown[]) collect({ type: 'STREAM', stream: s }, out);
    return;
  }
  if (raw.type === 'LEGACY' || ('data' in raw && Object.keys(raw).every((k) => k === 'data' || k === 'type'))) {
    return collect(raw.data ?? {}, out);
  }
  if (isObj(raw.bookmarks)) return collect(raw.bookmarks, out);
  if (typeof raw.type === 'string') badState(`State type '${raw.type}' is not one this connector knows (STREAM, GLOBAL, LEGACY).`);
  // Legacy single blob: {stream_name: value}.
  for (const [k, v] of Object.entries(raw)) if (k !== 'currently_syncing') out.set(k, v);
}

function parseStreamValue(stream: StreamDef, value: unknown): CursorState {
  if (value === null || value === undefined || stream.cursorField === null) return { cursor: null, inFlight: [] };
  if (!isObj(value) || !validateStreamValue(value)) {
    // The validator's errors are read only after it ran on this value (they are kept from its last
    // run); a refused value always has some.
    const why = isObj(value) ? validateStreamValue.errors!.map((e) => `${e.instancePath} ${e.message}`).join('; ') : 'not an object';
    badState(`The state of stream '${stream.name}' has the wrong shape (${why}): ${JSON.stringify(value).slice(0, 200)}.`);
  }
  // Migration: older states (and other Pardot connectors) name the cursor in snake_case.
  const snake = stream.cursorField.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());
  const rawCursor = value[stream.cursorField] ?? value[snake] ?? null;
  let cursor: number | null = null;
  if (rawCursor !== null) {
    cursor = typeof rawCursor === 'string' ? Date.parse(rawCursor) : NaN;
    if (!Number.isFinite(cursor)) {
      badState(`The state of stream '${stream.name}' has cursor ${stream.cursorField}=${JSON.stringify(rawCursor)}, which is not an RFC 3339 date-time.`);
    }
  }
  const inFlight = Array.isArray(value.in_flight)
    ? (value.in_flight as Raw[]).map((f) => ({
        id: String(f.id),
        start: String(f.start),
        end: String(f.end),
        createdAt: typeof f.createdAt === 'string' ? f.createdAt : '',
        ...(typeof f.fingerprint === 'string' ? { fingerprint: f.fingerprint } : {}),
        ...(typeof f.part === 'number' && f.part > 0 ? { part: f.part } : {}),
      }))
    : [];
  const lastId = typeof value.last_id === 'number' && cursor !== null ? value.last_id : null;
  return lastId !== null ? { cursor, inFlight, lastId } : { cursor, inFlight };
}

/** Parses the --state input. Unknown streams are ignored with a warning. */
export function parseState(raw: unknown, known: readonly StreamDef[]): ParsedState {
  const values = new Map<string, unknown>();
  const warnings: string[] = [];
  if (raw !== null && raw !== undefined) collect(raw, values);
  const streams = new Map<string, CursorState>();
  for (const [name, value] of values) {
    const def = known.find((s) => s.name === name);
    if (!def) {
      warnings.push(`State for unknown stream '${name}' was ignored (known streams: ${known.map((s) => s.name).join(', ')}).`);
      continue;
    }
    // A stream that became full refresh only (form handlers, tagged objects: once incremental on
    // createdAt) may come with its old cursor: read whole, and said so, never an error.
    if (def.cursorField === null && isObj(value) && Object.keys(value).some((k) => k !== 'state_version')) {
      warnings.push(`The state of stream '${name}' holds a cursor (${Object.keys(value).filter((k) => k !== 'state_version').join(', ')}), but '${name}' is full refresh only: the cursor is ignored and the stream is read whole.`);
    }
    streams.set(name, parseStreamValue(def, value));
  }
  return { streams, warnings };
}

/**
 * The state with its cursor no later than `cap` (ReaderContext.cursorCap). A capped cursor keeps no
 * last_id: that id belongs to a later second, and every record of the capped second would be read.
 */
export function capCursor<T extends CursorState>(s: T, cap: number): T {
  return s.cursor !== null && s.cursor > cap ? { ...s, cursor: cap, lastId: null } : s;
}

export function serializeState(stream: StreamDef, s: CursorState): StreamState {
  const out: StreamState = {};
  if (stream.cursorField !== null) out[stream.cursorField] = s.cursor === null ? null : toCursor(s.cursor);
  if (s.lastId !== undefined && s.lastId !== null && s.cursor !== null) out.last_id = s.lastId;
  if (s.inFlight.length > 0) out.in_flight = s.inFlight.map((f) => ({ ...f }));
  out.state_version = STATE_VERSION;
  return out;
}
