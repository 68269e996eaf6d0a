import { describe, expect, it } from 'vitest';
import { parseState, serializeState } from '../src/sync/state.js';
import { STREAMS, findStream } from '../src/streams.js';
import { isConnectorError } from '../src/errors.js';

const prospects = findStream('prospects')!;
const external = findStream('external_activities')!;

describe('parseState', () => {
  it('reads the Airbyte per-stream array, with and without the STATE envelope', () => {
    const msg = { type: 'STREAM', stream: { stream_descriptor: { name: 'prospects' }, stream_state: { updatedAt: '2024-01-01T00:00:00Z' } } };
    for (const input of [[msg], [{ type: 'STATE', state: msg }]]) {
      const s = parseState(input, STREAMS);
      expect(s.streams.get('prospects')).toEqual({ cursor: Date.parse('2024-01-01T00:00:00Z'), inFlight: [] });
    }
  });

  it('migrates the legacy single blob and snake_case cursors', () => {
    const s = parseState({ prospects: { updated_at: '2023-05-01T00:00:00Z' }, external_activities: { created_at: '2023-06-01T00:00:00Z' } }, STREAMS);
    expect(s.streams.get('prospects')!.cursor).toBe(Date.parse('2023-05-01T00:00:00Z'));
    expect(s.streams.get('external_activities')!.cursor).toBe(Date.parse('2023-06-01T00:00:00Z'));
  });

  it('reads Singer bookmarks and Airbyte LEGACY and GLOBAL shapes', () => {
    const v = { updatedAt: '2024-02-02T00:00:00Z' };
    for (const input of [
      { bookmarks: { prospects: v } },
      { type: 'LEGACY', data: { prospects: v } },
      { type: 'GLOBAL', global: { stream_states: [{ stream_descriptor: { name: 'prospects' }, stream_state: v }] } },
    ]) {
      expect(parseState(input, STREAMS).streams.get('prospects')!.cursor).toBe(Date.parse(v.updatedAt));
    }
  });

  it('ignores a state for an unknown stream with a warning', () => {
    const s = parseState([{ type: 'STREAM', stream: { stream_descriptor: { name: 'email_clicks' }, stream_state: {} } }], STREAMS);
    expect(s.streams.size).toBe(0);
    expect(s.warnings[0]).toMatch(/unknown stream 'email_clicks'/);
  });

  it('rejects a wrong shape or an unreadable cursor with a config error naming the stream', () => {
    for (const bad of [42, [{ type: 'STREAM', stream: {} }], { prospects: { updatedAt: 'yesterday' } }, { prospects: 'x' }]) {
      try {
        parseState(bad, STREAMS);
        expect.unreachable();
      } catch (e) {
        expect(isConnectorError(e) && e.failureType === 'config_error' && e.code === 'STATE_INVALID').toBe(true);
      }
    }
  });

  it('keeps exports in flight for resumption', () => {
    const s = parseState(
      { prospects: { updatedAt: '2024-01-01T00:00:00Z', in_flight: [{ id: 7, start: '2024-01-01T00:00:00Z', end: '2024-02-01T00:00:00Z' }] } },
      STREAMS,
    );
    expect(s.streams.get('prospects')!.inFlight).toEqual([{ id: '7', start: '2024-01-01T00:00:00Z', end: '2024-02-01T00:00:00Z', createdAt: '' }]);
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
});
