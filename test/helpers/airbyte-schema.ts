/**
 * Validates messages against the OFFICIAL Airbyte protocol schema in ../shared/reference
 * (never copied into this repo). When that file is absent, `available` is false and callers skip.
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

/** A validator for one definition of the official protocol schema (e.g. ConfiguredAirbyteCatalog). */
export function loadProtocolDefinition(name: string): { available: boolean; validate(value: unknown): string | null } {
  if (!existsSync(PROTOCOL_PATH)) return { available: false, validate: () => null };
  const doc = parse(readFileSync(PROTOCOL_PATH, 'utf8'));
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
