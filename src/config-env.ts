/**
 * Config from environment variables, merged UNDER the config file (file values win), so secrets
 * need not sit in a file. Meltano's convention: <EXTRACTOR_NAME>_<SETTING>, upper snake case,
 * e.g. TAP_PARDOT_EXPORT_CLIENT_SECRET. Values are typed by spec.json's property types.
 * Pure: cli.ts passes process.env in.
 */
import { SPEC } from './generated/spec.js';
import { configError } from './errors.js';

export const ENV_PREFIX = 'TAP_PARDOT_EXPORT_';

type PropSchema = { type?: string | string[] };

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

/**
 * Returns fileConfig with every spec property it lacks taken from TAP_PARDOT_EXPORT_<KEY>, if set.
 * fileConfig undefined (no --config) means the environment alone. Non-object file configs are
 * returned unchanged so config validation reports them.
 */
export function mergeEnvConfig(fileConfig: unknown, env: Readonly<Record<string, string | undefined>>): unknown {
  if (fileConfig !== undefined && (typeof fileConfig !== 'object' || fileConfig === null || Array.isArray(fileConfig))) return fileConfig;
  const out: Record<string, unknown> = { ...((fileConfig as Record<string, unknown> | undefined) ?? {}) };
  const props = SPEC.connectionSpecification.properties as Record<string, PropSchema>;
  for (const [key, schema] of Object.entries(props)) {
    if (out[key] !== undefined) continue;
    const name = envVarName(key);
    const text = env[name];
    if (text === undefined || text === '') continue;
    const type = Array.isArray(schema.type) ? (schema.type.find((t) => t !== 'null') ?? 'string') : (schema.type ?? 'string');
    out[key] = coerce(name, text, type);
  }
  return out;
}
