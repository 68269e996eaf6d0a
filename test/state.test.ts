/**
 * Stream state (src/sync/state.ts): every shape of --state the connector accepts, what it refuses
 * and the words it refuses it with, the cursor cap, and the serialised form. Expected values are
 * written out by hand.
 */
import { describe, expect, it } from 'vitest';
import { capCursor, parseState, serializeState, type CursorState } from '../src/sync/state.js';
import { STREAMS, findStream } from '../src/streams.js';
import { ConnectorError } from '../src/errors.js';

const prospects = findStream('prospects')!;
const external = findStream('external_activities')!;
const account = findStream('account')!; // no cursor: full refresh only
const KNOWN = STREAMS.map((s) => s.name).join(', ');
const FIX = ' Fix or remove the state file (without it the sync starts from start_date).';
const V = { updatedAt: '2024-02-02T00:00:00Z' };
const AT = Date.parse(V.updatedAt);

/** The STATE_INVALID config error parseState throws for `raw`. */
function refusal(raw: unknown): ConnectorError {
  try {
    parseState(raw, STREAMS);
  } catch (e) {
    expect(e).toBeInstanceOf(ConnectorError);
    expect((e as ConnectorError).code).toBe('STATE_INVALID');
    expect((e as ConnectorError).failureType).toBe('config_error');
    return e as ConnectorError;
  }
  throw new Error(`parseState accepted ${JSON.stringify(raw)}`);
}
const streamsOf = (raw: unknown) => Object.fromEntries(parseState(raw, STREAMS).streams);

describe('parseState: the shapes it reads', () => {
  it('reads the Airbyte per-stream array, with and without the STATE envelope', () => {
    const msg = { type: 'STREAM', stream: { stream_descriptor: { name: 'prospects' }, stream_state: { updatedAt: '2024-01-01T00:00:00Z' } } };
    for (const input of [[msg], [{ type: 'STATE', state: msg }]]) {
      const s = parseState(input, STREAMS);
      expect(s.streams.get('prospects')).toEqual({ cursor: Date.parse('2024-01-01T00:00:00Z'), inFlight: [] });
    }
  });

  it('a STREAM entry is known by its stream object alone (no type), and one without stream_state has no cursor', () => {
    expect(streamsOf([{ stream: { stream_descriptor: { name: 'prospects' }, stream_state: V } }])).toEqual({ prospects: { cursor: AT, inFlight: [] } });
    expect(streamsOf([{ type: 'STREAM', stream: { stream_descriptor: { name: 'prospects' } } }])).toEqual({ prospects: { cursor: null, inFlight: [] } });
  });

  it('migrates the legacy single blob and snake_case cursors', () => {
    const s = parseState({ prospects: { updated_at: '2023-05-01T00:00:00Z' }, external_activities: { created_at: '2023-06-01T00:00:00Z' } }, STREAMS);
    expect(s.streams.get('prospects')!.cursor).toBe(Date.parse('2023-05-01T00:00:00Z'));
    expect(s.streams.get('external_activities')!.cursor).toBe(Date.parse('2023-06-01T00:00:00Z'));
  });

  it('reads Singer bookmarks and Airbyte LEGACY and GLOBAL shapes, typed or known by their key', () => {
    for (const input of [
      { bookmarks: { prospects: V } },
      { type: 'LEGACY', data: { prospects: V } },
      { data: { prospects: V } },
      { type: 'GLOBAL', global: { stream_states: [{ stream_descriptor: { name: 'prospects' }, stream_state: V }] } },
      { global: { stream_states: [{ stream_descriptor: { name: 'prospects' }, stream_state: V }] } },
    ]) {
      expect(streamsOf(input), JSON.stringify(input)).toEqual({ prospects: { cursor: AT, inFlight: [] } });
    }
    expect(streamsOf({ type: 'LEGACY' })).toEqual({});
  });

  it('an object of data alone, whatever its type says, is the LEGACY shape', () => {
    expect(streamsOf({ type: 'legacy', data: { prospects: V } })).toEqual({ prospects: { cursor: AT, inFlight: [] } });
  });

  it('an object with data beside other keys is a legacy blob (data is then a stream name), not LEGACY', () => {
    const s = parseState({ data: { prospects: { updatedAt: '2020-01-01T00:00:00Z' } }, prospects: V }, STREAMS);
    expect(Object.fromEntries(s.streams)).toEqual({ prospects: { cursor: AT, inFlight: [] } });
    expect(s.warnings).toEqual([`State for unknown stream 'data' was ignored (known streams: ${KNOWN}).`]);
  });

  it("a blob's currently_syncing (Singer) is not a stream; a key named state without the STATE type is", () => {
    expect(parseState({ currently_syncing: 'prospects', prospects: V }, STREAMS)).toEqual({ streams: new Map([['prospects', { cursor: AT, inFlight: [] }]]), warnings: [] });
    const s = parseState({ state: { prospects: V } }, STREAMS);
    expect(s.streams.size).toBe(0);
    expect(s.warnings).toEqual([`State for unknown stream 'state' was ignored (known streams: ${KNOWN}).`]);
  });

  it('no state (null or undefined) is an empty one', () => {
    expect(parseState(null, STREAMS)).toEqual({ streams: new Map(), warnings: [] });
    expect(parseState(undefined, STREAMS)).toEqual({ streams: new Map(), warnings: [] });
  });

  it('ignores a state for an unknown stream with a warning naming the known ones', () => {
    const s = parseState([{ type: 'STREAM', stream: { stream_descriptor: { name: 'email_clicks' }, stream_state: {} } }], STREAMS);
    expect(s.streams.size).toBe(0);
    expect(s.warnings).toEqual([`State for unknown stream 'email_clicks' was ignored (known streams: ${KNOWN}).`]);
    expect(KNOWN.startsWith('prospects, ')).toBe(true);
  });

  it('a null or absent value, and any value of a stream without a cursor, is no cursor and nothing in flight', () => {
    expect(streamsOf({ prospects: null })).toEqual({ prospects: { cursor: null, inFlight: [] } });
    expect(streamsOf({ prospects: undefined })).toEqual({ prospects: { cursor: null, inFlight: [] } });
    expect(streamsOf({ prospects: { updatedAt: null } })).toEqual({ prospects: { cursor: null, inFlight: [] } });
    expect(streamsOf({ account: { anything: [1, 2], in_flight: 'x' } })).toEqual({ account: { cursor: null, inFlight: [] } });
    expect(account.cursorField).toBeNull();
  });
});

describe('parseState: what it refuses, and the words', () => {
  it.each<[string, unknown, string]>([
    ['a number', 42, `State must be a JSON array of per-stream STATE messages (or an object), got 42.${FIX}`],
    ['an undefined entry', [undefined], `State must be a JSON array of per-stream STATE messages (or an object), got undefined.${FIX}`],
    ['a null entry', [null], `State must be a JSON array of per-stream STATE messages (or an object), got null.${FIX}`],
    ['a long string, quoted to 80 characters', 'x'.repeat(100), `State must be a JSON array of per-stream STATE messages (or an object), got "${'x'.repeat(79)}.${FIX}`],
    ['a STREAM without a descriptor', [{ type: 'STREAM', stream: {} }], `A STREAM state lacks stream.stream_descriptor.name.${FIX}`],
    ['a STREAM typed but with no stream', [{ type: 'STREAM' }], `A STREAM state lacks stream.stream_descriptor.name.${FIX}`],
    ['a GLOBAL without stream_states', { type: 'GLOBAL' }, `A GLOBAL state lacks global.stream_states.${FIX}`],
    ['a GLOBAL whose stream_states is not a list', { type: 'GLOBAL', global: { stream_states: 'x' } }, `A GLOBAL state lacks global.stream_states.${FIX}`],
    ['a GLOBAL entry that is not an object', { global: { stream_states: [42] } }, `A STREAM state lacks stream.stream_descriptor.name.${FIX}`],
    ['a STATE envelope around a list', { type: 'STATE', state: [] }, `State type 'STATE' is not one this connector knows (STREAM, GLOBAL, LEGACY).${FIX}`],
    ['an unknown type', { type: 'FOO' }, `State type 'FOO' is not one this connector knows (STREAM, GLOBAL, LEGACY).${FIX}`],
    ['a stream value that is not an object', { prospects: 'x' }, `The state of stream 'prospects' has the wrong shape (not an object): "x".${FIX}`],
    ['a cursor of the wrong type', { prospects: { updatedAt: 5 } }, `The state of stream 'prospects' has the wrong shape (/updatedAt must be string,null): {"updatedAt":5}.${FIX}`],
    [
      'two wrong values',
      { prospects: { updatedAt: 'yesterday', state_version: 'one' } },
      `The state of stream 'prospects' has the wrong shape (/updatedAt must match format "date-time"; /state_version must be integer): {"updatedAt":"yesterday","state_version":"one"}.${FIX}`,
    ],
    ['an unreadable snake_case cursor', { prospects: { updated_at: 'yesterday' } }, `The state of stream 'prospects' has cursor updatedAt="yesterday", which is not an RFC 3339 date-time.${FIX}`],
    ['a snake_case cursor that is a number', { emails: { sent_at: 5 } }, `The state of stream 'emails' has cursor sentAt=5, which is not an RFC 3339 date-time.${FIX}`],
  ])('%s', (_name, raw, message) => {
    expect(refusal(raw).message).toBe(message);
  });

  it('quotes at most 200 characters of a wrong value', () => {
    const value = { updatedAt: 5, pad: 'y'.repeat(300) };
    expect(refusal({ prospects: value }).message).toBe(`The state of stream 'prospects' has the wrong shape (/updatedAt must be string,null): ${JSON.stringify(value).slice(0, 200)}.${FIX}`);
  });

  it('names the wrong shape of this value, not of one refused before it', () => {
    refusal({ prospects: { updatedAt: 5 } });
    expect(refusal({ prospects: [] }).message).toBe(`The state of stream 'prospects' has the wrong shape (not an object): [].${FIX}`);
  });
});

describe('parseState: exports in flight and last_id', () => {
  it('keeps exports in flight for resumption: id as text, createdAt, fingerprint and a part above 0', () => {
    const s = streamsOf({
      prospects: {
        updatedAt: '2024-01-01T00:00:00Z',
        in_flight: [
          { id: 7, start: '2024-01-01T00:00:00Z', end: '2024-02-01T00:00:00Z' },
          { id: '8', start: '2024-02-01T00:00:00Z', end: '2024-03-01T00:00:00Z', createdAt: '2024-05-01T10:00:00-07:00', fingerprint: 'abc', part: 0 },
          { id: '9', start: '2024-02-01T00:00:00Z', end: '2024-03-01T00:00:00Z', createdAt: null, part: 1 },
        ],
      },
    });
    expect(s['prospects']!.inFlight).toStrictEqual([
      { id: '7', start: '2024-01-01T00:00:00Z', end: '2024-02-01T00:00:00Z', createdAt: '' },
      { id: '8', start: '2024-02-01T00:00:00Z', end: '2024-03-01T00:00:00Z', createdAt: '2024-05-01T10:00:00-07:00', fingerprint: 'abc' },
      { id: '9', start: '2024-02-01T00:00:00Z', end: '2024-03-01T00:00:00Z', createdAt: '', part: 1 },
    ]);
  });

  it('keeps last_id only with a cursor', () => {
    expect(streamsOf({ prospects: { updatedAt: V.updatedAt, last_id: 12 } })).toStrictEqual({ prospects: { cursor: AT, inFlight: [], lastId: 12 } });
    expect(streamsOf({ prospects: { updatedAt: null, last_id: 12 } })).toStrictEqual({ prospects: { cursor: null, inFlight: [] } });
    expect(streamsOf({ prospects: { updatedAt: V.updatedAt, last_id: null } })).toStrictEqual({ prospects: { cursor: AT, inFlight: [] } });
    expect(streamsOf({ prospects: { updatedAt: V.updatedAt } })).toStrictEqual({ prospects: { cursor: AT, inFlight: [] } });
  });
});

describe('capCursor', () => {
  const at = (s: string) => Date.parse(s);
  it('moves a cursor later than the cap back to it, dropping last_id (it belongs to a later second)', () => {
    const s: CursorState = { cursor: at('2024-03-02T00:00:00Z'), inFlight: [], lastId: 5 };
    expect(capCursor(s, at('2024-03-01T00:00:00Z'))).toEqual({ cursor: at('2024-03-01T00:00:00Z'), inFlight: [], lastId: null });
    expect(s.cursor).toBe(at('2024-03-02T00:00:00Z'));
  });

  it('keeps a cursor at or before the cap, and no cursor, as they are (the same object)', () => {
    for (const s of [
      { cursor: at('2024-03-01T00:00:00Z'), inFlight: [], lastId: 5 },
      { cursor: at('2024-02-01T00:00:00Z'), inFlight: [] },
      { cursor: null, inFlight: [] },
    ]) {
      expect(capCursor(s, at('2024-03-01T00:00:00Z'))).toBe(s);
    }
  });
});

describe('serializeState', () => {
  it('writes the cursor under the cursor field name and round-trips', () => {
    const st = { cursor: Date.parse('2024-03-01T00:00:00Z'), inFlight: [] };
    expect(serializeState(prospects, st)).toEqual({ updatedAt: '2024-03-01T00:00:00Z', state_version: 1 });
    expect(serializeState(external, st)).toEqual({ createdAt: '2024-03-01T00:00:00Z', state_version: 1 });
    const back = parseState({ prospects: serializeState(prospects, st) }, STREAMS);
    expect(back.streams.get('prospects')).toEqual(st);
  });

  it('writes no cursor as null, and a stream without a cursor field as the version alone', () => {
    expect(serializeState(prospects, { cursor: null, inFlight: [] })).toEqual({ updatedAt: null, state_version: 1 });
    expect(serializeState(account, { cursor: null, inFlight: [] })).toEqual({ state_version: 1 });
  });

  it('writes last_id only beside a cursor', () => {
    const cursor = Date.parse('2024-03-01T00:00:00Z');
    expect(serializeState(prospects, { cursor, inFlight: [], lastId: 9 })).toStrictEqual({ updatedAt: '2024-03-01T00:00:00Z', last_id: 9, state_version: 1 });
    expect(serializeState(prospects, { cursor, inFlight: [], lastId: null })).toStrictEqual({ updatedAt: '2024-03-01T00:00:00Z', state_version: 1 });
    expect(serializeState(prospects, { cursor, inFlight: [] })).toStrictEqual({ updatedAt: '2024-03-01T00:00:00Z', state_version: 1 });
    expect(serializeState(prospects, { cursor: null, inFlight: [], lastId: 9 })).toStrictEqual({ updatedAt: null, state_version: 1 });
  });

  it('writes exports in flight as copies (a later change to the state does not reach a STATE already made)', () => {
    const f = { id: '1', start: '2024-01-01T00:00:00Z', end: '2024-02-01T00:00:00Z', createdAt: '', fingerprint: 'ab' };
    const st = { cursor: null, inFlight: [f] };
    const out = serializeState(prospects, st);
    expect(out).toEqual({ updatedAt: null, in_flight: [f], state_version: 1 });
    f.id = '2';
    expect((out.in_flight as Array<{ id: string }>)[0]!.id).toBe('1');
  });
});
