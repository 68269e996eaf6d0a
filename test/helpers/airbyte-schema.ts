/**
 * Validates messages against the OFFICIAL Airbyte protocol schema in ../shared/reference
 * (never copied into this repo). When that file is absent: with REQUIRE_SHARED=1 (CI, .ci/run)
 * loading it throws, so the suites that use it fail; without, `available` is false, the checks
 * are left out, and a note on stderr says so (once per test file).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import AjvModule from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';

const Ajv = AjvModule.default ?? AjvModule;
const addFormats = addFormatsModule.default ?? addFormatsModule;

export const PROTOCOL_PATH = join(import.meta.dirname, '..', '..', '..', 'shared', 'reference', 'airbyte_protocol.yaml');

/** A validator for AirbyteMessage, the official protocol schema's message definition. */
export function loadProtocolValidator(): { available: boolean; validate(msg: unknown): string | null } {
  return loadProtocolDefinition('AirbyteMessage');
}

/** Where the schema is read from and the environment consulted (tests of this helper pass others). */
export interface ProtocolSource {
  path?: string;
  env?: NodeJS.ProcessEnv;
}

/** A validator for one definition of the official protocol schema (e.g. ConfiguredAirbyteCatalog). */
export function loadProtocolDefinition(name: string, src: ProtocolSource = {}): { available: boolean; validate(value: unknown): string | null } {
  const path = src.path ?? PROTOCOL_PATH;
  if (!existsSync(path)) {
    const what = `the official Airbyte protocol schema ${path} is missing (the ../shared folder beside the repository)`;
    if ((src.env ?? process.env)['REQUIRE_SHARED'] === '1') throw new Error(`${what}, and REQUIRE_SHARED=1 requires it: the protocol checks cannot run.`);
    noteOnce(`NOTE: ${what}; the checks of messages against it are left out. Set REQUIRE_SHARED=1 to make that a failure.`);
    return { available: false, validate: () => null };
  }
  const doc = parse(readFileSync(path, 'utf8'));
  delete doc.$id;
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(doc, 'protocol');
  const v = ajv.getSchema(`protocol#/definitions/${name}`);
  if (!v) throw new Error(`the protocol schema has no definition ${name}`);
  return {
    available: true,
    validate(value: unknown) {
      return v(value) ? null : ajv.errorsText(v.errors);
    },
  };
}

let noted = false;
function noteOnce(text: string): void {
  if (noted) return;
  noted = true;
  process.stderr.write(`${text}\n`);
}
