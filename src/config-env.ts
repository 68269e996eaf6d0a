/**
 * Config from environment variables, merged UNDER the config file (file values win), so secrets
 * need not sit in a file. Meltano's convention: <EXTRACTOR_NAME>_<SETTING>, upper snake case,
 * e.g. TAP_PARDOT_EXPORT_CLIENT_SECRET. Values are typed by spec.json's property types.
 * Pure: cli.ts passes process.env in.
 */
import { SPEC } from './generated/spec.js';
import { configError } from './errors.js';
import { CREDENTIALS_KEY, LEGACY_CREDENTIAL_KEYS } from './config.js';

export const ENV_PREFIX = 'TAP_PARDOT_EXPORT_';

type PropSchema = { readonly type?: string | readonly string[]; readonly properties?: Readonly<Record<string, PropSchema>>; readonly oneOf?: readonly PropSchema[] };

export function envVarName(key: string): string {
  return ENV_PREFIX + key.toUpperCase();
}

function coerce(name: string, text: string, type: string): unknown {
  switch (type) {
    case 'boolean': {
      const t = text.trim().toLowerCase();
      if (t === 'true' || t === '1' || t === 'yes') return true;
      if (t === 'false' || t === '0' || t === 'no') return false;
      throw configError('CONFIG_ENV_INVALID', `Environment variable ${name} must be true or false, got '${text}'.`, { field: name });
    }
    case 'integer':
    case 'number': {
      const n = Number(text.trim());
      if (text.trim() === '' || !Number.isFinite(n) || (type === 'integer' && !Number.isInteger(n))) {
        throw configError('CONFIG_ENV_INVALID', `Environment variable ${name} must be ${type === 'integer' ? 'an integer' : 'a number'}, got '${text}'.`, {
          field: name,
        });
      }
      return n;
    }
    default:
      return text;
  }
}

/** The scalar keys of an object property (those of every oneOf branch), with their schemas. */
function subProperties(schema: PropSchema): Array<[string, PropSchema]> {
  const out = new Map<string, PropSchema>();
  for (const branch of [schema, ...(schema.oneOf ?? [])]) for (const [k, v] of Object.entries(branch.properties ?? {})) if (!out.has(k)) out.set(k, v);
  return [...out.entries()];
}

function typeOf(schema: PropSchema): string {
  const t = schema.type;
  if (typeof t === 'string') return t;
  return t?.find((x) => x !== 'null') ?? 'string';
}

/**
 * Returns fileConfig with every spec property it lacks taken from TAP_PARDOT_EXPORT_<KEY>, if set.
 * An object property's keys come from TAP_PARDOT_EXPORT_<KEY>_<SUBKEY> (Meltano's name for the
 * nested setting `<key>.<subkey>`), e.g. TAP_PARDOT_EXPORT_CREDENTIALS_AUTH_TYPE.
 * The credentials keep one shape: when the file gives either shape, or the environment gives
 * `credentials`, the other shape's variables are left out (README: Authentication).
 * fileConfig undefined (no --config) means the environment alone. Non-object file configs are
 * returned unchanged so config validation reports them.
 */
export function mergeEnvConfig(fileConfig: unknown, env: Readonly<Record<string, string | undefined>>): unknown {
  if (fileConfig !== undefined && (typeof fileConfig !== 'object' || fileConfig === null || Array.isArray(fileConfig))) return fileConfig;
  const file = (fileConfig as Record<string, unknown> | undefined) ?? {};
  const out: Record<string, unknown> = { ...file };
  const props = SPEC.connectionSpecification.properties as Record<string, PropSchema>;
  for (const [key, schema] of Object.entries(props)) {
    const type = typeOf(schema);
    if (type === 'object') {
      const current = out[key];
      if (current !== undefined && (typeof current !== 'object' || current === null || Array.isArray(current))) continue;
      const merged: Record<string, unknown> = { ...((current as Record<string, unknown> | undefined) ?? {}) };
      let fromEnv = false;
      for (const [sub, subSchema] of subProperties(schema)) {
        if (merged[sub] !== undefined) continue;
        const name = envVarName(`${key}_${sub}`);
        const text = env[name];
        if (text === undefined || text === '') continue;
        merged[sub] = coerce(name, text, typeOf(subSchema));
        fromEnv = true;
      }
      if (fromEnv) out[key] = merged;
      continue;
    }
    if (out[key] !== undefined) continue;
    const name = envVarName(key);
    const text = env[name];
    if (text === undefined || text === '') continue;
    out[key] = coerce(name, text, type);
  }
  // One credentials shape: the file's choice first, else `credentials` from the environment.
  const fileLegacy = LEGACY_CREDENTIAL_KEYS.some((k) => file[k] !== undefined);
  if (file[CREDENTIALS_KEY] === undefined && fileLegacy) delete out[CREDENTIALS_KEY];
  else if (out[CREDENTIALS_KEY] !== undefined) for (const k of LEGACY_CREDENTIAL_KEYS) if (file[k] === undefined) delete out[k];
  return out;
}
