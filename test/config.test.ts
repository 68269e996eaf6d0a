import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';
import { ConnectorError } from '../src/errors.js';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const base = {
  client_id: 'cid',
  client_secret: 'secret-value-123',
  refresh_token: 'refresh-value-456',
  pardot_business_unit_id: '0Uv000000000001AAA',
};

function fail(raw: unknown): ConnectorError {
  try {
    parseConfig(raw, NOW);
  } catch (e) {
    expect(e).toBeInstanceOf(ConnectorError);
    expect((e as ConnectorError).failureType).toBe('config_error');
    return e as ConnectorError;
  }
  throw new Error('expected parseConfig to fail');
}

describe('parseConfig', () => {
  it('applies documented defaults: production hosts, timezone auto, include_deleted, 364-day windows, first poll after 30 s, 300 s lookback', () => {
    const c = parseConfig(base, NOW);
    expect(c).toMatchObject({
      apiBaseUrl: 'https://pi.pardot.com',
      authBaseUrl: 'https://login.salesforce.com',
      timezone: 'auto',
      includeDeleted: true,
      windowDays: 364,
      lookbackMs: 300_000,
      visitorActivitiesProspectOnly: false,
      visitorActivityTypes: null,
      startDate: Date.parse('2007-01-01T00:00:00Z'),
      pollInitialMs: 30000,
      pollMaxMs: 60000,
      maxConcurrentRequests: 3,
    });
  });

  it('switches to the sandbox hosts with is_sandbox', () => {
    const c = parseConfig({ ...base, is_sandbox: true }, NOW);
    expect([c.apiBaseUrl, c.authBaseUrl]).toEqual(['https://pi.demo.pardot.com', 'https://test.salesforce.com']);
  });

  it('names the missing field and the fix', () => {
    const e = fail({ ...base, refresh_token: undefined });
    expect(e.message).toMatch(/refresh_token' is missing/);
  });

  it('rejects a malformed business unit id, an unknown timezone and a future start date', () => {
    expect(fail({ ...base, pardot_business_unit_id: '123' }).message).toMatch(/pardot_business_unit_id.*0Uv/);
    expect(fail({ ...base, timezone: 'Mars/Olympus' }).message).toMatch(/timezone.*IANA/);
    expect(fail({ ...base, start_date: '2030-01-01T00:00:00Z' }).message).toMatch(/start_date.*future/);
    expect(fail({ ...base, window_days: 400 }).message).toMatch(/window_days/);
  });

  it('accepts plain http only for loopback hosts', () => {
    expect(parseConfig({ ...base, api_base_url: 'http://127.0.0.1:8080', auth_base_url: 'http://localhost:9' }, NOW).apiBaseUrl).toBe(
      'http://127.0.0.1:8080',
    );
    expect(fail({ ...base, api_base_url: 'http://pi.pardot.com' }).code).toBe('CONFIG_INSECURE_URL');
  });

  it('never puts a secret in its error message', () => {
    const e = fail({ ...base, pardot_business_unit_id: 7 });
    expect(e.message).not.toContain(base.client_secret);
    expect(e.message).not.toContain(base.refresh_token);
  });

  it('rejects a config that is not an object', () => {
    expect(fail([1, 2]).code).toBe('CONFIG_INVALID');
  });
});
