import { describe, expect, it } from 'vitest';
import { parseAirbyteCatalog } from '../src/protocol/catalog.js';
import { ConnectorError } from '../src/errors.js';

const cs = (over: Record<string, unknown> = {}) => ({
  stream: { name: 'prospects', json_schema: {}, supported_sync_modes: ['full_refresh', 'incremental'] },
  sync_mode: 'incremental',
  destination_sync_mode: 'append',
  ...over,
});

function err(raw: unknown): ConnectorError {
  try {
    parseAirbyteCatalog(raw);
  } catch (e) {
    return e as ConnectorError;
  }
  throw new Error('expected failure');
}

describe('parseAirbyteCatalog', () => {
  it('selects every field when json_schema lists none, and only the listed ones (plus id and cursor) otherwise', () => {
    expect(parseAirbyteCatalog({ streams: [cs()] })[0]!.fields.length).toBeGreaterThan(60);
    const sel = parseAirbyteCatalog({
      streams: [cs({ stream: { name: 'prospects', json_schema: { properties: { email: {}, nope: {} } } } })],
    })[0]!;
    expect(sel.fields.map((f) => f.name).sort()).toEqual(['email', 'id', 'updatedAt']);
  });

  it('refuses an unknown stream, an unknown sync mode and a foreign cursor field, naming them', () => {
    expect(err({ streams: [cs({ stream: { name: 'email_clicks' } })] }).message).toMatch(/'email_clicks'/);
    expect(err({ streams: [cs({ sync_mode: 'cdc' })] }).message).toMatch(/'cdc'/);
    expect(err({ streams: [cs({ cursor_field: ['createdAt'] })] }).message).toMatch(/source-defined: \["updatedAt"\]/);
    expect(err({ nope: 1 }).code).toBe('CATALOG_INVALID');
    expect(err({ nope: 1 }).failureType).toBe('config_error');
  });
});
