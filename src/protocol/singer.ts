/**
 * The Singer protocol adapter: internal events -> Singer messages (SCHEMA, RECORD, STATE), one JSON
 * object a line on stdout; progress and diagnostics go to stderr through ProgressReporter.
 * Nothing else in the connector knows this wire format. https://hub.meltano.com/singer/spec
 */
import type { Redactor } from '../redact.js';
import type { StreamState, SyncEvent } from '../sync/events.js';
import type { ConfiguredStream } from './catalog.js';
import type { RowFrame } from '../extract/types.js';
import type { LineSink } from './output.js';
import type { ProgressReporter } from './progress.js';
import { singerSchema } from './singer-catalog.js';

type Msg = Record<string, unknown>;


/** SCHEMA of exactly the fields the stream emits, with the key and the bookmark (cursor). */
export function schemaMessage(cs: ConfiguredStream): Msg {
  return {
    type: 'SCHEMA',
    stream: cs.stream.name,
    schema: singerSchema(cs.stream, new Set(cs.fields.map((f) => f.name))),
    key_properties: ['id'],
    bookmark_properties: cs.stream.cursorField === null ? [] : [cs.stream.cursorField],
  };
}

/**
 * Writes events as Singer messages. Records are the hot path: the data is already JSON text, so a
 * line is a per-stream, per-timestamp prefix, the data, and '}'; one write per batch.
 * SCHEMA goes out when a stream starts (so even an empty stream tells the target its table), and
 * before its first RECORD in any case. STATE carries every stream's bookmark, starting from the
 * input state's, so streams not synced this run keep theirs.
 */
export class SingerWriter {
  private readonly configured = new Map<string, ConfiguredStream>();
  private readonly schemaSent = new Set<string>();
  private readonly bookmarks: Record<string, StreamState>;

  constructor(
    private readonly out: LineSink,
    private readonly redactor: Redactor,
    private readonly progress: ProgressReporter,
    streams: readonly ConfiguredStream[],
    initialBookmarks: Record<string, StreamState> = {},
  ) {
    for (const cs of streams) this.configured.set(cs.stream.name, cs);
    this.bookmarks = { ...initialBookmarks };
  }

  message(m: Msg): Promise<void> | void {
    return this.out.write(this.redactor.redact(JSON.stringify(m)) + '\n');
  }

  /** The STATE message as it stands: every stream's bookmark. */
  stateMessage(): Msg {
    return { type: 'STATE', value: { bookmarks: this.bookmarks } };
  }

  /** The closing STATE: a run always ends with one, even when nothing moved. */
  finish(): Promise<void> | void {
    return this.message(this.stateMessage());
  }

  private schemaText(stream: string): string {
    if (this.schemaSent.has(stream)) return '';
    this.schemaSent.add(stream);
    const cs = this.configured.get(stream);
    return cs ? this.redactor.redact(JSON.stringify(schemaMessage(cs))) + '\n' : '';
  }

  /** A stream's RECORD envelope around each record object (runRead's recordFrame): the lines `event` writes. */
  recordFrame(stream: string, extractedAt: number): RowFrame {
    return {
      head: `{"type":"RECORD","stream":${JSON.stringify(stream)},"time_extracted":"${new Date(extractedAt).toISOString()}","record":`,
      tail: '}\n',
    };
  }

  event(ev: SyncEvent): Promise<void> | void {
    this.progress.event(ev);
    switch (ev.type) {
      case 'records': {
        let text = this.schemaText(ev.stream);
        if (ev.encoded !== undefined) {
          const { data, release } = ev.encoded;
          const first = text ? this.out.write(text) : undefined;
          return first ? first.then(() => this.out.write(data, release)) : this.out.write(data, release);
        }
        const { head, tail } = this.recordFrame(ev.stream, ev.extractedAt);
        for (const line of ev.lines) text += head + line + tail;
        return this.out.write(text);
      }
      case 'status': {
        if (ev.status !== 'STARTED') return;
        const text = this.schemaText(ev.stream);
        return text ? this.out.write(text) : undefined;
      }
      case 'state':
        this.bookmarks[ev.stream] = ev.state;
        return this.message(this.stateMessage());
      default:
        return;
    }
  }
}
