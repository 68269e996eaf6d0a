/**
 * config.example.json against spec.json: every setting that has a default, with that default;
 * the optional settings without one (host overrides, the call ceiling) left out, so a copy of
 * the example behaves as a config without them (the hosts follow is_sandbox); equal to what
 * `npm run gen:config-example` makes of spec.json; accepted by the connector's own validation.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configWarnings, parseConfig } from '../src/config.js';
// @ts-expect-error: a plain .mjs script without type declarations
import { configExample, LEFT_OUT } from '../scripts/gen-config-example.mjs';

const repo = join(import.meta.dirname, '..');
type Prop = { default?: unknown; type?: string };
const spec = JSON.parse(readFileSync(join(repo, 'spec.json'), 'utf8')) as { connectionSpecification: { required: string[]; properties: Record<string, Prop> } };
const text = readFileSync(join(repo, 'config.example.json'), 'utf8');
const example = JSON.parse(text) as Record<string, unknown>;

describe('config.example.json', () => {
  it('leaves out exactly the legacy credentials, the older name pipeline_depth, and the optional settings without a default', () => {
    expect([...(LEFT_OUT as string[])].sort()).toEqual(
      ['client_id', 'client_secret', 'refresh_token', 'pipeline_depth', 'api_base_url', 'auth_base_url', 'max_api_calls'].sort(),
    );
    const props = spec.connectionSpecification.properties;
    const expected = Object.keys(props).filter((k) => !(LEFT_OUT as string[]).includes(k));
    expect(Object.keys(example).sort()).toEqual(expected.sort());
    for (const k of ['api_base_url', 'auth_base_url', 'max_api_calls']) expect(props[k]!.default, k).toBeUndefined();
  });

  it('holds each setting at its spec.json default (lists empty, the required id and the credentials as placeholders)', () => {
    for (const [k, p] of Object.entries(spec.connectionSpecification.properties)) {
      if (!(k in example)) continue;
      if (p.default !== undefined) expect(example[k], k).toEqual(p.default);
      else if (p.type === 'array') expect(example[k], k).toEqual([]);
      else expect(['pardot_business_unit_id', 'credentials'], `${k} has no default, so it does not belong in the example`).toContain(k);
    }
    expect(example.credentials).toMatchObject({ auth_type: 'refresh_token' });
  });

  it('is what npm run gen:config-example makes of spec.json (regenerate it after changing spec.json)', () => {
    expect(text).toBe((configExample as (s: unknown) => string)(spec));
  });

  it('passes the connector config validation with no warning; its hosts follow is_sandbox', () => {
    const now = Date.now();
    const c = parseConfig(example, now);
    expect(c.apiBaseUrl).toBe('https://pi.pardot.com');
    expect(c.authBaseUrl).toBe('https://login.salesforce.com');
    expect(c.maxApiCalls).toBeNull();
    expect(c.credentials.clientSecret).toMatch(/^<.*>$/);
    expect(configWarnings(example)).toEqual([]);
    const sandbox = parseConfig({ ...example, is_sandbox: true }, now);
    expect([sandbox.apiBaseUrl, sandbox.authBaseUrl]).toEqual(['https://pi.demo.pardot.com', 'https://test.salesforce.com']);
  });
});
