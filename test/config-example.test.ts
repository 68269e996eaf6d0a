/**
 * config.example.json against spec.json: every setting present (none unknown), equal to what
 * `npm run gen:config-example` makes of spec.json, and accepted by the connector's own config
 * validation. When settings are added to spec.json, this fails until the example is regenerated.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../src/config.js';
// @ts-expect-error: a plain .mjs script without type declarations
import { configExample, LEFT_OUT } from '../scripts/gen-config-example.mjs';
import { LEGACY_CREDENTIAL_KEYS } from '../src/config.js';

const repo = join(import.meta.dirname, '..');
const spec = JSON.parse(readFileSync(join(repo, 'spec.json'), 'utf8')) as { connectionSpecification: { properties: Record<string, unknown> } };
const text = readFileSync(join(repo, 'config.example.json'), 'utf8');
const example = JSON.parse(text) as Record<string, unknown>;

describe('config.example.json', () => {
  it('holds every setting of spec.json but the legacy top-level credentials and older names, and nothing else', () => {
    expect([...(LEFT_OUT as string[])].sort()).toEqual([...LEGACY_CREDENTIAL_KEYS, 'pipeline_depth'].sort());
    const expected = Object.keys(spec.connectionSpecification.properties).filter((k) => !(LEFT_OUT as string[]).includes(k));
    expect(Object.keys(example).sort()).toEqual(expected.sort());
    expect(example.credentials).toMatchObject({ auth_type: 'refresh_token' });
  });

  it('is what npm run gen:config-example makes of spec.json (regenerate it after changing spec.json)', () => {
    expect(text).toBe((configExample as (s: unknown) => string)(spec));
  });

  it('passes the connector config validation as it is (placeholders are well-formed values)', () => {
    const c = parseConfig(example, Date.now());
    expect(c.apiBaseUrl).toBe('https://pi.pardot.com');
    expect(c.credentials.clientSecret).toMatch(/^<.*>$/);
  });
});
