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

export const ENV_PREFIX = 'TAP_PARDOT_EXPORT_';

type PropSchema = { type?: string | string[] };

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
  return Array.isArray(schema.type) ? (schema.type.find((t) => t !== 'null') ?? 'string') : (schema.type ?? 'string');
}

/** The names of the TAP_PARDOT_EXPORT_* variables set (non-empty) in env for known settings. */
export function envSettingsPresent(env: Readonly<Record<string, string | undefined>>, properties: Record<string, PropSchema> = specProperties()): string[] {
  return Object.keys(properties)
    .map(envVarName)
    .filter((name) => env[name] !== undefined && env[name] !== '');
}

function specProperties(): Record<string, PropSchema> {
  return SPEC.connectionSpecification.properties as Record<string, PropSchema>;
}

/**
 * Returns fileConfig with every spec property it lacks taken from TAP_PARDOT_EXPORT_<KEY>, if set.
 * fileConfig undefined (no --config) means the environment alone. Non-object file configs are
 * returned unchanged so config validation reports them. `properties` defaults to spec.json's.
 */
export function mergeEnvConfig(
  fileConfig: unknown,
  env: Readonly<Record<string, string | undefined>>,
  properties: Record<string, PropSchema> = specProperties(),
): unknown {
  if (fileConfig !== undefined && (typeof fileConfig !== 'object' || fileConfig === null || Array.isArray(fileConfig))) return fileConfig;
  const out: Record<string, unknown> = { ...((fileConfig as Record<string, unknown> | undefined) ?? {}) };
  for (const [key, schema] of Object.entries(properties)) {
    if (out[key] !== undefined) continue;
    const name = envVarName(key);
    const text = env[name];
    if (text === undefined || text === '') continue;
    out[key] = coerce(name, text, typeOf(schema));
  }
  return out;
}
