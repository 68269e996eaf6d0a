/**
 * The Airbyte protocol adapter: internal events -> Airbyte messages, one JSON object a line.
 * Nothing else in the connector knows this wire format.
 */
import type { ConnectorError } from '../errors.js';
import type { Redactor } from '../redact.js';
import { syncModes, type StreamDef } from '../streams.js';
import type { SyncEvent } from '../sync/events.js';
import { SPEC } from '../generated/spec.js';
import type { RowFrame } from '../extract/types.js';
import type { LineSink } from './output.js';


type Msg = Record<string, unknown>;

export function specMessage(): Msg {
  return { type: 'SPEC', spec: SPEC };
}

export function connectionStatusMessage(ok: boolean, message: string): Msg {
  return { type: 'CONNECTION_STATUS', connectionStatus: { status: ok ? 'SUCCEEDED' : 'FAILED', message } };
}

export function catalogMessage(streams: readonly StreamDef[]): Msg {
  return {
    type: 'CATALOG',
    catalog: {
      streams: streams.map((s) => ({
        name: s.name,
        json_schema: s.jsonSchema,
        supported_sync_modes: syncModes(s),
        source_defined_cursor: s.cursorField !== null,
        ...(s.cursorField === null ? {} : { default_cursor_field: [s.cursorField] }),
        source_defined_primary_key: s.primaryKey,
        is_resumable: true,
      })),
    },
  };
}

export function logMessage(level: string, message: string): Msg {
  return { type: 'LOG', log: { level, message } };
}

export function errorTraceMessage(e: ConnectorError, now: number): Msg {
  const stream = typeof e.context.stream === 'string' ? e.context.stream : undefined;
  return {
    type: 'TRACE',
    trace: {
      type: 'ERROR',
      emitted_at: now,
      error: {
        message: e.message,
        internal_message: `${e.code}${e.context.httpStatus ? ` (HTTP ${e.context.httpStatus})` : ''}${e.context.pardotCode ? ` (Pardot code ${e.context.pardotCode})` : ''}`,
        stack_trace: e.stack ?? '',
        failure_type: e.failureType,
        ...(stream ? { stream_descriptor: { name: stream } } : {}),
      },
    },
  };
}

/**
 * Writes events as Airbyte messages. Records are the hot path: their data is already JSON text,
 * so each line is the prefix for its stream, the data, and a fixed suffix, with one write per batch.
 * Every non-record message passes the redactor.
 */
export class AirbyteWriter {
  private readonly prefixes = new Map<string, string>();

  constructor(
    private readonly out: LineSink,
    private readonly redactor: Redactor,
    private readonly now: () => number,
  ) {}

  message(m: Msg): Promise<void> | void {
    return this.out.write(this.redactor.redact(JSON.stringify(m)) + '\n');
  }

  /** A stream's RECORD envelope around each data object (runRead's recordFrame): the lines `event` writes. */
  recordFrame(stream: string, extractedAt: number): RowFrame {
    let prefix = this.prefixes.get(stream);
    if (prefix === undefined) {
      prefix = `{"type":"RECORD","record":{"stream":${JSON.stringify(stream)},"emitted_at":`;
      this.prefixes.set(stream, prefix);
    }
    // A record with nulled cells carries Airbyte's record meta after its data:
    // ..."data":{...},"meta":{"changes":[{"field":F,"change":"NULLED","reason":...}]}}}
    return { head: `${prefix}${extractedAt},"data":`, tail: '}}\n', meta: ',"meta":' };
  }

  event(ev: SyncEvent): Promise<void> | void {
    switch (ev.type) {
      case 'records': {
        if (ev.encoded !== undefined) return this.out.write(ev.encoded.data, ev.encoded.release);
        const { head, tail } = this.recordFrame(ev.stream, ev.extractedAt);
        let text = '';
        for (const line of ev.lines) text += head + line + tail;
        return this.out.write(text);
      }
      case 'state':
        return this.message({
          type: 'STATE',
          state: {
            type: 'STREAM',
            stream: { stream_descriptor: { name: ev.stream }, stream_state: ev.state },
            sourceStats: { recordCount: ev.recordCount },
          },
        });
      case 'status':
        return this.message({
          type: 'TRACE',
          trace: {
            type: 'STREAM_STATUS',
            emitted_at: this.now(),
            stream_status: { stream_descriptor: { name: ev.stream }, status: ev.status },
          },
        });
      case 'log':
        return this.message(logMessage(ev.level, ev.message));
      case 'estimate':
        return this.message({
          type: 'TRACE',
          trace: { type: 'ESTIMATE', emitted_at: this.now(), estimate: { name: ev.stream, type: 'STREAM', row_estimate: ev.rows } },
        });
      case 'progress':
        return this.message(
          logMessage(
            'INFO',
            `${ev.stream}: window ${ev.windowsDone}/${ev.windowsPlanned} done, ${ev.rows} rows, ${Math.round(ev.rowsPerSecond)} rows/s, ${ev.apiCalls} API calls so far.`,
          ),
        );
      case 'summary': {
        const lines = ev.streams.map(
          (s) =>
            `${s.stream}: ${s.status}, ${s.rows} rows, ${s.windows} ${s.exports === 0 && s.windows > 0 ? 'pages' : 'windows'}, ${s.exports} exports, ` +
            `${s.apiCalls !== undefined ? `${s.apiCalls} API calls, ` : ''}${s.seconds.toFixed(1)} s`,
        );
        const calls = Object.entries(ev.apiCalls)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ');
        const mem = ev.peakRssBytes !== undefined ? ` Peak RSS: ${(ev.peakRssBytes / 1048576).toFixed(1)} MB.` : '';
        return this.message(logMessage('INFO', `Sync summary (${ev.seconds.toFixed(1)} s): ${lines.join('; ')}. API calls: ${calls}.${mem}`));
      }
    }
  }
}
