/** The credentials part of the config (issue 9, point 7): both shapes, My Domain hosts, secrets, environment. */
import { describe, expect, it } from 'vitest';
import { parseConfig, secretsOf } from '../src/config.js';
import { mergeEnvConfig } from '../src/config-env.js';
import { isMyDomainHost } from '../src/pardot/auth.js';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const BU = { pardot_business_unit_id: '0Uv000000000001AAA' };
const CC = { auth_type: 'client_credentials', client_id: 'cid-123456', client_secret: 'cc-secret-value' };

describe('credentials', () => {
  it('client credentials run on a My Domain host (production, sandbox, Developer Edition) and on loopback', () => {
    for (const url of [
      'https://acme.my.salesforce.com',
      'https://acme--uat.sandbox.my.salesforce.com',
      'https://acme-dev-ed.develop.my.salesforce.com/',
      'http://127.0.0.1:9999',
    ]) {
      const c = parseConfig({ ...BU, credentials: CC, auth_base_url: url }, NOW);
      expect(c.credentials).toEqual({ authType: 'client_credentials', clientId: CC.client_id, clientSecret: CC.client_secret });
      expect(c.authBaseUrl).toBe(url.replace(/\/$/, ''));
    }
    expect(isMyDomainHost('my.salesforce.com')).toBe(false);
    expect(isMyDomainHost('acme.my.salesforce.com.evil.example')).toBe(false);
    expect(isMyDomainHost('login.salesforce.com')).toBe(false);
  });

  it('the legacy top-level keys and credentials.auth_type refresh_token give the same refresh-token credentials', () => {
    const legacy = parseConfig({ ...BU, client_id: 'cid-123456', client_secret: 'sec-123456', refresh_token: 'ref-123456' }, NOW);
    const nested = parseConfig({ ...BU, credentials: { auth_type: 'refresh_token', client_id: 'cid-123456', client_secret: 'sec-123456', refresh_token: 'ref-123456' } }, NOW);
    expect(legacy.credentials).toEqual({ authType: 'refresh_token', clientId: 'cid-123456', clientSecret: 'sec-123456', refreshToken: 'ref-123456' });
    expect(nested.credentials).toEqual(legacy.credentials);
  });

  it('secretsOf covers both shapes, even a credentials object that fails validation', () => {
    expect(secretsOf({ client_secret: 'a-secret-1', refresh_token: 'a-refresh-1' })).toEqual(['a-secret-1', 'a-refresh-1']);
    expect(secretsOf({ credentials: { auth_type: 'nonsense', client_secret: 'b-secret-2', refresh_token: 'b-refresh-2', client_id: 'b-id-2' } })).toEqual([
      'b-secret-2',
      'b-refresh-2',
      'b-id-2',
    ]);
    expect(secretsOf({ client_secret: 'c-1', credentials: 'not an object' })).toEqual(['c-1']);
  });

  it('environment: TAP_PARDOT_EXPORT_CREDENTIALS_<KEY> fills credentials; the shape the file chose wins', () => {
    const env = {
      TAP_PARDOT_EXPORT_CREDENTIALS_AUTH_TYPE: 'client_credentials',
      TAP_PARDOT_EXPORT_CREDENTIALS_CLIENT_SECRET: 'env-cc-secret',
      TAP_PARDOT_EXPORT_CLIENT_SECRET: 'env-legacy-secret',
    };
    // No file: the environment's credentials, and not the legacy variable beside them.
    expect(mergeEnvConfig(undefined, env)).toEqual({ credentials: { auth_type: 'client_credentials', client_secret: 'env-cc-secret' } });
    // The file's credentials object is completed, the file's values win.
    expect(mergeEnvConfig({ credentials: { client_id: 'f-id', auth_type: 'refresh_token' } }, env)).toEqual({
      credentials: { client_id: 'f-id', auth_type: 'refresh_token', client_secret: 'env-cc-secret' },
    });
    // A file in the legacy shape takes the legacy variables only.
    expect(mergeEnvConfig({ client_id: 'f-id', refresh_token: 'f-ref' }, env)).toEqual({ client_id: 'f-id', refresh_token: 'f-ref', client_secret: 'env-legacy-secret' });
    // Without any credentials variable, the legacy ones work as before.
    expect(mergeEnvConfig({}, { TAP_PARDOT_EXPORT_CLIENT_SECRET: 'x-secret' })).toEqual({ client_secret: 'x-secret' });
  });
});
