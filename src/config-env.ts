/**
 * Config from environment variables, merged UNDER the config file (file values win), so secrets
 * need not sit in a file. Meltano's convention: <EXTRACTOR_NAME>_<SETTING>, upper snake case,
 * e.g. TAP_PARDOT_EXPORT_CLIENT_SECRET. Values are typed by spec.json's property types and accept
 * exactly what a JSON config file accepts for that type: `true` / `false`, JSON numbers, and JSON
 * text for list and object settings. Errors name the variable, never its value (it may be a
 * secret set in the wrong variable). Pure: cli.ts passes process.env in.
 */
import { SPEC } from './generated/spec.js';
import { configError } from './errors.js';
import { describeProblem, parseJsonText } from './json-text.js';
import { CREDENTIALS_KEY, LEGACY_CREDENTIAL_KEYS } from './config.js';

export const ENV_PREFIX = 'TAP_PARDOT_EXPORT_';

type PropSchema = { readonly type?: string | readonly string[]; readonly properties?: Readonly<Record<string, PropSchema>>; readonly oneOf?: readonly PropSchema[] };

export function envVarName(key: string): string {
  return ENV_PREFIX + key.toUpperCase();
}

/** A JSON number, as a config file would hold it (no hex, no Infinity, no empty string). */
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

function invalid(name: string, what: string) {
  return configError('CONFIG_ENV_INVALID', `Environment variable ${name} must be ${what}, as in a config file; its value is not: fix or unset it.`, {
    field: name,
  });
}

function coerce(name: string, text: string, type: string): unknown {
  const t = text.trim();
  switch (type) {
    case 'boolean':
      if (t === 'true') return true;
      if (t === 'false') return false;
      throw invalid(name, 'true or false');
    case 'integer':
    case 'number': {
      const n = Number(t);
      if (!JSON_NUMBER.test(t) || !Number.isFinite(n) || (type === 'integer' && !Number.isInteger(n))) {
        throw invalid(name, type === 'integer' ? 'an integer' : 'a number');
      }
      return n;
    }
    case 'array':
    case 'object': {
      const parsed = parseJsonText(text);
      if (!parsed.ok) {
        throw configError(
          'CONFIG_ENV_INVALID',
          `Environment variable ${name} must hold JSON (${type === 'array' ? 'a list' : 'an object'}); it is not valid JSON: ${describeProblem(parsed.problem)} (its value is not shown): fix or unset it.`,
          { field: name },
        );
      }
      const ok = type === 'array' ? Array.isArray(parsed.value) : typeof parsed.value === 'object' && parsed.value !== null && !Array.isArray(parsed.value);
      if (!ok) throw invalid(name, type === 'array' ? 'a JSON list' : 'a JSON object');
      return parsed.value;
    }
    default:
      return text;
  }
}

/** The spec's non-null type for a property ('string' when it says none). */
function typeOf(schema: PropSchema): string {
  const t = schema.type;
  if (typeof t === 'string') return t;
  return t?.find((x) => x !== 'null') ?? 'string';
}

/** The scalar keys of an object property (those of every oneOf branch), with their schemas. */
function subProperties(schema: PropSchema): Array<[string, PropSchema]> {
  const out = new Map<string, PropSchema>();
  for (const branch of [schema, ...(schema.oneOf ?? [])]) for (const [k, v] of Object.entries(branch.properties ?? {})) if (!out.has(k)) out.set(k, v);
  return [...out.entries()];
}

/** Every variable name a setting may come from: its own, and for an object setting one per sub-key. */
function envNamesOf(key: string, schema: PropSchema): string[] {
  const own = envVarName(key);
  return typeOf(schema) === 'object' ? [own, ...subProperties(schema).map(([sub]) => envVarName(`${key}_${sub}`))] : [own];
}

/** The names of the TAP_PARDOT_EXPORT_* variables set (non-empty) in env for known settings. */
export function envSettingsPresent(env: Readonly<Record<string, string | undefined>>, properties: Record<string, PropSchema> = specProperties()): string[] {
  return Object.entries(properties)
    .flatMap(([key, schema]) => envNamesOf(key, schema))
    .filter((name) => env[name] !== undefined && env[name] !== '');
}

function specProperties(): Record<string, PropSchema> {
  return SPEC.connectionSpecification.properties as Record<string, PropSchema>;
}

/**
 * Returns fileConfig with every spec property it lacks taken from TAP_PARDOT_EXPORT_<KEY>, if set.
 * An object property comes whole from TAP_PARDOT_EXPORT_<KEY> (JSON text), or key by key from
 * TAP_PARDOT_EXPORT_<KEY>_<SUBKEY> (Meltano's name for the nested setting `<key>.<subkey>`), e.g.
 * TAP_PARDOT_EXPORT_CREDENTIALS_AUTH_TYPE. The credentials keep one shape: when the file gives
 * either shape, or the environment gives `credentials`, the other shape's variables are left out
 * (README: Authentication).
 * fileConfig undefined (no --config) means the environment alone. Non-object file configs are
 * returned unchanged so config validation reports them. `properties` defaults to spec.json's.
 */
export function mergeEnvConfig(
  fileConfig: unknown,
  env: Readonly<Record<string, string | undefined>>,
  properties: Record<string, PropSchema> = specProperties(),
): unknown {
  if (fileConfig !== undefined && (typeof fileConfig !== 'object' || fileConfig === null || Array.isArray(fileConfig))) return fileConfig;
  const file = (fileConfig as Record<string, unknown> | undefined) ?? {};
  const out: Record<string, unknown> = { ...file };
  for (const [key, schema] of Object.entries(properties)) {
    const type = typeOf(schema);
    const name = envVarName(key);
    const text = env[name];
    const current = out[key];
    const wholeFromEnv = current === undefined && text !== undefined && text !== '';
    if (type === 'object' && !wholeFromEnv) {
      // Key by key from TAP_PARDOT_EXPORT_<KEY>_<SUBKEY>, under the file's keys of that object.
      if (current !== undefined && (typeof current !== 'object' || current === null || Array.isArray(current))) continue;
      const merged: Record<string, unknown> = { ...((current as Record<string, unknown> | undefined) ?? {}) };
      let fromEnv = false;
      for (const [sub, subSchema] of subProperties(schema)) {
        if (merged[sub] !== undefined) continue;
        const subName = envVarName(`${key}_${sub}`);
        const subText = env[subName];
        if (subText === undefined || subText === '') continue;
        merged[sub] = coerce(subName, subText, typeOf(subSchema));
        fromEnv = true;
      }
      if (fromEnv) out[key] = merged;
      continue;
    }
    if (out[key] !== undefined) continue;
    if (text === undefined || text === '') continue;
    out[key] = coerce(name, text, type);
  }
  // One credentials shape: the file's choice first, else `credentials` from the environment.
  const fileLegacy = LEGACY_CREDENTIAL_KEYS.some((k) => file[k] !== undefined);
  if (file[CREDENTIALS_KEY] === undefined && fileLegacy) delete out[CREDENTIALS_KEY];
  else if (out[CREDENTIALS_KEY] !== undefined) for (const k of LEGACY_CREDENTIAL_KEYS) if (file[k] === undefined) delete out[k];
  return out;
}
