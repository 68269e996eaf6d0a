/**
 * The connector validates its input (config, configured catalog, stream state) with code ajv
 * generated at build time from the schemas (scripts/gen-validators.mjs -> src/generated/validators.ts:
 * no schema compilation at start-up, bench/README.md). So this suite does what ajv would
 * otherwise do at run time:
 * - each schema is a valid JSON Schema (draft-07) and the formats it names are known; a schema
 *   mistake (a misspelt type, a bad `required`) fails here instead of silently validating nothing;
 * - the generated validators give the same verdicts, the same errors and the same filled-in
 *   defaults as ajv compiling the same schemas with the same options now (a stale or wrongly
 *   generated validator fails here).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import AjvModule from 'ajv';
import addFormatsModule from 'ajv-formats';
import { SPEC } from '../src/generated/spec.js';
import { validateConfig, validateConfiguredCatalog, validateStreamState, type Validator } from '../src/generated/validators.js';

const Ajv = AjvModule.default ?? AjvModule;
const addFormats = addFormatsModule.default ?? addFormatsModule;
const readSchema = (name: string) => JSON.parse(readFileSync(new URL(`../src/input-schemas/${name}.json`, import.meta.url), 'utf8')) as object;
const STREAM_STATE_SCHEMA = readSchema('stream-state');
const CONFIGURED_CATALOG_SCHEMA = readSchema('configured-catalog');

describe('schemas the connector validates input with are valid JSON Schemas', () => {
  const cases: Array<[string, object]> = [
    ['spec.json connectionSpecification (config)', SPEC.connectionSpecification],
    ['stream state', STREAM_STATE_SCHEMA],
    ['configured catalog', CONFIGURED_CATALOG_SCHEMA],
  ];
  for (const [name, schema] of cases) {
    it(name, () => {
      // strict: unknown keywords and formats are errors here (Airbyte's own keywords are allowed).
      const ajv = new Ajv({ strict: true, strictTypes: false, strictRequired: false, allErrors: true });
      addFormats(ajv);
      for (const k of ['airbyte_secret', 'order', 'always_show', 'airbyte_hidden']) ajv.addKeyword(k);
      expect(ajv.validateSchema(schema), JSON.stringify(ajv.errors)).toBe(true);
      expect(() => ajv.compile(schema)).not.toThrow();
    });
  }

  it('a broken schema is caught by this check (the check can fail)', () => {
    const ajv = new Ajv({ strict: true });
    expect(ajv.validateSchema({ type: 'objekt' })).toBe(false);
  });
});

describe('the build-time validators answer as ajv compiling the schemas at run time', () => {
  /** ajv as the connector compiled each schema before the validators were generated. */
  function compiled(schema: object, useDefaults: boolean) {
    const ajv = new Ajv({ allErrors: true, useDefaults, strict: false, validateSchema: false });
    addFormats(ajv);
    return ajv.compile(schema);
  }
  function same(generated: Validator, reference: ReturnType<typeof compiled>, input: unknown) {
    const a = structuredClone(input);
    const b = structuredClone(input);
    const okA = generated(a);
    const okB = reference(b);
    expect(okA).toBe(okB);
    expect(generated.errors ?? null).toEqual(reference.errors ?? null);
    expect(a).toEqual(b); // defaults filled in alike
    return okA;
  }
  const base = { pardot_business_unit_id: '0Uv000000000001AAA', client_id: 'i', client_secret: 's', refresh_token: 'r' };

  it('config: valid, defaults filled in, and every kind of error (pattern, type, format, enum, range, credentials branches)', () => {
    const ref = compiled(SPEC.connectionSpecification, true);
    const verdicts = [
      base,
      { ...base, start_date: '2021-01-01T00:00:00Z', api_base_url: 'https://pi.demo.pardot.com', auth_base_url: 'https://test.salesforce.com' },
      { ...base, pardot_business_unit_id: '0Uv12' },
      { ...base, start_date: 'yesterday', window_days: 'x', is_sandbox: 'yes' },
      { ...base, api_base_url: 'not a url', max_concurrent_requests: 0, poll_interval_seconds: -1 },
      // URLs: the everyday shape (the generated check's fast path) and others (ajv-formats decides).
      ...[
        'http://127.0.0.1:1234',
        'https://NAME.my.salesforce.com',
        'https://pi.demo.pardot.com/',
        'https://host/a/b.c~d',
        'HTTPS://PI.PARDOT.COM:443/x',
        'https://[::1]:8080',
        'https://host/path?q=1#f',
        'https://us%65r@host',
        'mailto:someone@example.com',
        'ftp://x y',
        'https://ex ample.com',
        'https:/',
        '//host/only',
        'https://host/ä',
        '',
      ].flatMap((u) => [{ ...base, api_base_url: u }, { ...base, auth_base_url: u }]),
      { pardot_business_unit_id: '0Uv000000000001AAA', credentials: { auth_type: 'client_credentials', client_id: 'i' } },
      { pardot_business_unit_id: '0Uv000000000001AAA', credentials: { auth_type: 'nope' } },
      {},
    ].map((input) => same(validateConfig, ref, input));
    // The inputs above include both verdicts, so the comparison covers errors as well as passes.
    expect(verdicts).toContain(true);
    expect(verdicts).toContain(false);
    const withDefaults: Record<string, unknown> = structuredClone(base);
    validateConfig(withDefaults);
    expect(Object.keys(withDefaults).length).toBeGreaterThan(Object.keys(base).length);
  });

  it('configured catalog: valid and wrong shapes', () => {
    const ref = compiled(CONFIGURED_CATALOG_SCHEMA, false);
    const verdicts = [
      { streams: [{ stream: { name: 'prospects', json_schema: {} }, sync_mode: 'incremental', cursor_field: ['updatedAt'] }] },
      { streams: [{ stream: {}, sync_mode: 1, cursor_field: [2] }, 'x'] },
      { streams: {} },
      [],
      null,
    ].map((input) => same(validateConfiguredCatalog, ref, input));
    expect(verdicts).toEqual([true, false, false, false, false]);
  });

  it('stream state: valid and wrong shapes (date-time format, in_flight items)', () => {
    const ref = compiled(STREAM_STATE_SCHEMA, false);
    const verdicts = [
      { updatedAt: '2024-01-01T00:00:00Z', in_flight: [{ id: 5, start: '2024-01-01T00:00:00Z', end: '2024-02-01T00:00:00Z' }], state_version: 1 },
      { updatedAt: 'soon', last_id: 1.5, in_flight: [{ id: true, start: 'x' }], state_version: '1' },
      { createdAt: null, sentAt: 3 },
    ].map((input) => same(validateStreamState, ref, input));
    expect(verdicts).toEqual([true, false, false]);
  });
});
