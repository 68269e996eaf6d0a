/**
 * The connector compiles its validators without ajv's own meta-schema check (it costs a third of
 * the start-up: README "Performance"), so this suite does that check: each schema the connector
 * validates input with is a valid JSON Schema (draft-07), and the formats it names are known.
 * A schema mistake (a misspelt type, a bad `required`) fails here instead of silently validating
 * nothing at run time.
 */
import { describe, expect, it } from 'vitest';
import AjvModule from 'ajv';
import addFormatsModule from 'ajv-formats';
import { SPEC } from '../src/generated/spec.js';
import { STREAM_STATE_SCHEMA } from '../src/sync/state.js';
import { CONFIGURED_CATALOG_SCHEMA } from '../src/protocol/catalog.js';

const Ajv = AjvModule.default ?? AjvModule;
const addFormats = addFormatsModule.default ?? addFormatsModule;

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
