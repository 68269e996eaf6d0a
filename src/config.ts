/**
 * spec.json + ajv -> a typed Config. snake_case keys are mapped to camelCase here, once.
 * Every problem is reported naming the field and the fix; nothing here throws a bare error.
 */
import { customFieldsOfSetting, type CustomField } from './custom-fields.js';
import { SPEC } from './generated/spec.js';
import type { PardotExportConfig } from './generated/types.js';
import { configError, type ConnectorError } from './errors.js';
import { HOSTS } from './pardot/wire.js';
import { isMyDomainHost, type OAuthCredentials } from './pardot/auth.js';
import { isValidTimeZone } from './extract/timezone.js';

// spec.json's connectionSpecification compiled to code at build time (scripts/gen-validators.mjs:
// ajv's standalone code, with useDefaults), so no schema is compiled at start-up.
import { validateConfig as validateSpec } from './generated/validators.js';

export interface Config {
  /** From `credentials` (auth_type refresh_token | client_credentials) or the legacy top-level keys. */
  credentials: OAuthCredentials;
  businessUnitId: string;
  startDate: number; // epoch ms
  isSandbox: boolean;
  /** An IANA zone, or 'auto': determined from the evidence Pardot gives (sync/timezone-evidence.ts). */
  timezone: string;
  includeDeleted: boolean;
  /** Windows end this long before min(local clock, Pardot's clock). */
  lookbackMs: number;
  /** visitorActivity exports: prospectOnly / prospect_only. */
  visitorActivitiesProspectOnly: boolean;
  /** visitorActivity exports: the `type` filter (null: every type). */
  visitorActivityTypes: number[] | null;
  /** The `custom_fields` setting: custom fields added by hand (when Pardot's list cannot be read). */
  customFields: CustomField[];
  windowDays: number;
  pollInitialMs: number;
  pollMaxMs: number;
  exportDeadlineMs: number;
  maxConcurrentRequests: number;
  /** Most exports created and not yet read at once, across windows and streams (Pardot's queue kept busy). */
  exportQueueDepth: number;
  /** A CSV cell that does not fit its field's type: 'null' (emitted as null, recorded, counted) or 'fail' (the stream fails). */
  invalidValues: 'null' | 'fail';
  maxApiCalls: number | null;
  /** Headers timeout and body idle timeout of one request; past it the request is retried. */
  requestTimeoutMs: number;
  apiBaseUrl: string;
  authBaseUrl: string;
}


const FIXES: Record<string, string> = {
  pardot_business_unit_id: 'copy the 18-character id starting with 0Uv from Salesforce Setup > Pardot Account Setup',
  start_date: 'use an RFC 3339 date-time such as 2021-01-01T00:00:00Z',
  client_id: "use the connected app's consumer key",
  client_secret: "use the connected app's consumer secret",
  refresh_token: 'use an OAuth refresh token of the Pardot API user',
  api_base_url: 'give a full URL such as https://pi.pardot.com',
  auth_base_url: 'give a full URL such as https://login.salesforce.com or https://NAME.my.salesforce.com',
};

/**
 * Credentials come in one of two shapes (README: Authentication):
 *  - `credentials`: {auth_type: 'refresh_token', client_id, client_secret, refresh_token}
 *                or {auth_type: 'client_credentials', client_id, client_secret}  (spec.json oneOf);
 *  - earlier versions' top-level client_id, client_secret, refresh_token (the refresh-token grant).
 * Never both: which one would win is a guess, and a guess about credentials is a bad one.
 */
export const CREDENTIALS_KEY = 'credentials';
export const LEGACY_CREDENTIAL_KEYS = ['client_id', 'client_secret', 'refresh_token'] as const;
const AUTH_TYPES = ['refresh_token', 'client_credentials'] as const;
const AUTH_TYPE_KEYS: Record<(typeof AUTH_TYPES)[number], readonly string[]> = {
  refresh_token: ['client_id', 'client_secret', 'refresh_token'],
  client_credentials: ['client_id', 'client_secret'],
};
const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/** The credentials of a config (after the spec's own checks of the top-level keys), or what is wrong. */
function readCredentials(c: Record<string, unknown>): OAuthCredentials | string[] {
  const legacy = LEGACY_CREDENTIAL_KEYS.filter((k) => c[k] !== undefined);
  const nested = c[CREDENTIALS_KEY];
  if (nested !== undefined && legacy.length > 0) {
    return [
      `config has both 'credentials' and the legacy top-level ${legacy.map((k) => `'${k}'`).join(', ')}: give the credentials once, ` +
        `in 'credentials' (remove the top-level keys) or as the top-level client_id, client_secret and refresh_token (remove 'credentials')`,
    ];
  }
  if (nested === undefined) {
    if (legacy.length === 0) {
      return [
        `config field 'credentials' is missing: give credentials {"auth_type": "refresh_token", "client_id", "client_secret", "refresh_token"} ` +
          `or {"auth_type": "client_credentials", "client_id", "client_secret"} (or the top-level client_id, client_secret and refresh_token of earlier versions)`,
      ];
    }
    const missing = LEGACY_CREDENTIAL_KEYS.filter((k) => c[k] === undefined);
    if (missing.length > 0) return missing.map((k) => `config field '${k}' is missing: ${FIXES[k]}`);
    // Types and lengths of the top-level keys are the spec's to check.
    if (!LEGACY_CREDENTIAL_KEYS.every((k) => nonEmpty(c[k]))) return [];
    return { authType: 'refresh_token', clientId: c.client_id as string, clientSecret: c.client_secret as string, refreshToken: c.refresh_token as string };
  }
  if (typeof nested !== 'object' || nested === null || Array.isArray(nested)) {
    return [`config field 'credentials' must be an object: {"auth_type": "refresh_token" or "client_credentials", "client_id": ..., "client_secret": ...}`];
  }
  const n = nested as Record<string, unknown>;
  const authType = n['auth_type'];
  if (!AUTH_TYPES.includes(authType as (typeof AUTH_TYPES)[number])) {
    return [
      `config field 'credentials.auth_type' ${authType === undefined ? 'is missing' : 'is not a known auth type'}: set it to 'refresh_token' ` +
        `(client_id, client_secret, refresh_token) or 'client_credentials' (client_id, client_secret; auth_base_url = your My Domain URL)`,
    ];
  }
  const type = authType as (typeof AUTH_TYPES)[number];
  const errors = AUTH_TYPE_KEYS[type].flatMap((k) =>
    nonEmpty(n[k])
      ? []
      : [`config field 'credentials.${k}' ${n[k] === undefined ? 'is missing' : 'must be a non-empty string'} (auth_type ${type}): ${FIXES[k]}`],
  );
  if (errors.length > 0) return errors;
  const clientId = n['client_id'] as string;
  const clientSecret = n['client_secret'] as string;
  return type === 'refresh_token'
    ? { authType: type, clientId, clientSecret, refreshToken: n['refresh_token'] as string }
    : { authType: type, clientId, clientSecret };
}

function describeAjvError(e: { instancePath: string; message?: string; params: Record<string, unknown> }): string {
  const field =
    e.instancePath.replace(/^\//, '').replace(/\//g, '.') || (typeof e.params.missingProperty === 'string' ? e.params.missingProperty : '');
  const what = e.params.missingProperty ? 'is missing' : (e.message ?? 'is invalid');
  const key = field.split('.')[0] ?? '';
  const fix = FIXES[key] ?? specHint(key);
  return `config field '${field || '(root)'}' ${what}${fix ? `: ${fix}` : ''}`;
}

type PropSpec = { title?: string; type?: string; minimum?: number; maximum?: number; exclusiveMinimum?: number };

/** The fix for a field without a hand-written one, from spec.json: its type, range and title. */
function specHint(key: string): string | undefined {
  const p = (SPEC.connectionSpecification.properties as Record<string, PropSpec>)[key];
  if (!p) return undefined;
  const kind = { integer: 'an integer', number: 'a number', boolean: 'true or false (without quotes)', string: 'a string' }[p.type ?? ''];
  if (!kind) return undefined;
  const low = p.minimum !== undefined ? `from ${p.minimum}` : p.exclusiveMinimum !== undefined ? `above ${p.exclusiveMinimum}` : '';
  const high = p.maximum !== undefined ? `${low ? ' ' : ''}${low ? 'to' : 'up to'} ${p.maximum}` : '';
  return `give ${kind}${low || high ? ` ${low}${high}` : ''}${p.title ? ` (${p.title})` : ''}`;
}

/** config `timezone` value asking the connector to determine the API user's zone. */
export const AUTO_TIMEZONE = 'auto';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK.has(hostname) || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

function checkBaseUrl(field: string, value: string): ConnectorError | string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return configError('CONFIG_INVALID', `config field '${field}' is not a URL: ${FIXES[field]}`, { field });
  }
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && isLoopbackHost(u.hostname))) {
    return configError(
      'CONFIG_INSECURE_URL',
      `config field '${field}' must use https (plain http is accepted only for loopback hosts such as 127.0.0.1): got ${u.protocol}//${u.host}`,
      { field },
    );
  }
  if (u.username || u.password || u.search || u.hash) {
    return configError('CONFIG_INVALID', `config field '${field}' must not carry credentials, a query or a fragment`, { field });
  }
  return u.toString().replace(/\/+$/, '');
}

/**
 * Validates raw config JSON. `now` guards start_date against the future.
 * Throws a config_error ConnectorError naming the field and the fix.
 */
export function parseConfig(raw: unknown, now: number): Config {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw configError('CONFIG_INVALID', 'The config must be a JSON object with client_id, client_secret, refresh_token and pardot_business_unit_id (or, instead of the first three, credentials: README "Authentication").');
  }
  const c = structuredClone(raw) as PardotExportConfig;
  const valid = validateSpec(c);
  // The credentials oneOf is explained by readCredentials, branch by branch, not by ajv's per-branch noise.
  const specErrors = valid ? [] : (validateSpec.errors ?? []).filter((e) => !/^\/credentials(\/|$)/.test(e.instancePath)).map(describeAjvError);
  const credentials = readCredentials(c as Record<string, unknown>);
  const msgs = [...specErrors, ...(Array.isArray(credentials) ? credentials : [])];
  if (msgs.length > 0 || Array.isArray(credentials)) {
    throw configError('CONFIG_INVALID', `Invalid config: ${[...new Set(msgs)].join('; ')}.`);
  }
  const timezone = c.timezone ?? AUTO_TIMEZONE;
  if (timezone !== AUTO_TIMEZONE && !isValidTimeZone(timezone)) {
    throw configError(
      'CONFIG_INVALID',
      `config field 'timezone' is '${timezone}', which is not an IANA timezone name: use the Pardot API user's timezone, e.g. America/New_York or UTC, or 'auto' to have it determined.`,
      { field: 'timezone' },
    );
  }
  const startDate = Date.parse(c.start_date ?? '2007-01-01T00:00:00Z');
  if (!Number.isFinite(startDate)) {
    throw configError('CONFIG_INVALID', `config field 'start_date' is not a date: ${FIXES.start_date}.`, { field: 'start_date' });
  }
  if (startDate > now) {
    throw configError(
      'CONFIG_INVALID',
      `config field 'start_date' (${c.start_date}) lies in the future: set it to the earliest date to replicate, e.g. 2021-01-01T00:00:00Z.`,
      { field: 'start_date' },
    );
  }
  const hosts = c.is_sandbox ? HOSTS.sandbox : HOSTS.production;
  const api = checkBaseUrl('api_base_url', c.api_base_url ?? hosts.api);
  if (typeof api !== 'string') throw api;
  const auth = checkBaseUrl('auth_base_url', c.auth_base_url ?? hosts.auth);
  if (typeof auth !== 'string') throw auth;
  const authHost = new URL(auth).hostname;
  if (credentials.authType === 'client_credentials' && !isMyDomainHost(authHost) && !isLoopbackHost(authHost)) {
    throw configError(
      'CONFIG_AUTH_HOST',
      `config field 'auth_base_url' is ${c.auth_base_url === undefined ? `not set (so ${auth}, from is_sandbox)` : auth}, but credentials.auth_type 'client_credentials' ` +
        `works only on your org's My Domain: set auth_base_url to your My Domain URL, e.g. https://NAME.my.salesforce.com ` +
        `(a sandbox: https://NAME--SANDBOX.sandbox.my.salesforce.com; Salesforce Setup > My Domain shows it).`,
      { field: 'auth_base_url' },
    );
  }
  return {
    credentials,
    businessUnitId: c.pardot_business_unit_id,
    startDate,
    isSandbox: c.is_sandbox ?? false,
    timezone,
    includeDeleted: c.include_deleted ?? true,
    lookbackMs: (c.lookback_seconds ?? 300) * 1000,
    visitorActivitiesProspectOnly: c.visitor_activities_prospect_only ?? false,
    visitorActivityTypes: c.visitor_activity_types && c.visitor_activity_types.length > 0 ? [...c.visitor_activity_types] : null,
    customFields: customFieldsOfSetting(c.custom_fields),
    windowDays: c.window_days ?? 364,
    pollInitialMs: (c.poll_interval_seconds ?? 30) * 1000,
    pollMaxMs: Math.max((c.poll_max_interval_seconds ?? 60) * 1000, (c.poll_interval_seconds ?? 30) * 1000),
    exportDeadlineMs: (c.export_timeout_minutes ?? 360) * 60_000,
    maxConcurrentRequests: c.max_concurrent_requests ?? 3,
    exportQueueDepth: c.export_queue_depth ?? c.pipeline_depth ?? 4,
    invalidValues: c.invalid_values ?? 'null',
    maxApiCalls: c.max_api_calls ?? null,
    requestTimeoutMs: Math.round((c.request_timeout_seconds ?? 120) * 1000),
    apiBaseUrl: api,
    authBaseUrl: auth,
  };
}

/**
 * The secrets of a raw config, for the redactor, even when the config fails validation: the
 * legacy top-level keys and those of `credentials`, whatever its auth_type says.
 */
export function secretsOf(raw: unknown): string[] {
  if (typeof raw !== 'object' || raw === null) return [];
  const r = raw as Record<string, unknown>;
  const keys = ['client_secret', 'refresh_token', 'client_id'];
  const strings = (o: Record<string, unknown>) => keys.flatMap((k) => (typeof o[k] === 'string' ? [o[k] as string] : []));
  const nested = r[CREDENTIALS_KEY];
  return [...strings(r), ...(typeof nested === 'object' && nested !== null && !Array.isArray(nested) ? strings(nested as Record<string, unknown>) : [])];
}

// ---------------------------------------------------------------------------------------------
// Warnings about a config that is valid but likely not what its author meant. spec.json allows
// keys it does not list (additionalProperties: true: Airbyte and Meltano configs may carry their
// own), so a misspelt setting would otherwise be dropped in silence and its default used.

type SpecProps = Record<string, { properties?: Record<string, unknown>; oneOf?: Array<{ properties?: Record<string, unknown> }> }>;

/** The keys of an object setting across its oneOf branches (credentials: auth_type, client_id, ...). */
function subKeysOf(p: SpecProps[string] | undefined): string[] {
  const keys = new Set<string>();
  for (const b of [p ?? {}, ...(p?.oneOf ?? [])]) for (const k of Object.keys(b.properties ?? {})) keys.add(k);
  return [...keys];
}

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions: "secert"). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The known key closest to `key`, compared without case and separators (windowDays is window_days), if close enough. */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');
  const k = norm(key.split('.').at(-1)!);
  const allowed = k.length <= 4 ? 1 : k.length <= 8 ? 2 : 3;
  let best: { key: string; d: number } | undefined;
  for (const candidate of known) {
    const d = editDistance(k, norm(candidate.split('.').at(-1)!));
    if (d <= allowed && (best === undefined || d < best.d)) best = { key: candidate, d };
  }
  return best?.key;
}

function unknownKeyWarning(key: string, suggestion: string | undefined): string {
  return (
    `config key '${printableKey(key)}' is not a setting of this connector and is ignored` +
    (suggestion ? `: did you mean ${suggestion}?` : ` (the settings: source-pardot-export spec, or the README's Configuration table).`)
  );
}

/** Keys come from the user's file: shown escaped and bounded, never as raw control bytes. */
function printableKey(key: string): string {
  const safe = key.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return safe.length > 80 ? `${safe.slice(0, 80)}...` : safe;
}

/** Each config key spec.json does not know, with the closest known key (top level and in credentials). */
function unknownKeyWarnings(c: Record<string, unknown>): string[] {
  const props = SPEC.connectionSpecification.properties as unknown as SpecProps;
  const top = Object.keys(props);
  const credKeys = subKeysOf(props[CREDENTIALS_KEY]);
  const nested = credKeys.map((k) => `${CREDENTIALS_KEY}.${k}`);
  const out: string[] = [];
  for (const key of Object.keys(c)) {
    if (top.includes(key)) continue;
    // A key of credentials given at the top level (auth_type) is pointed at its place.
    out.push(unknownKeyWarning(key, closestKey(key, [...top, ...nested.filter((n) => !top.includes(n.split('.')[1]!))])));
  }
  const creds = c[CREDENTIALS_KEY];
  if (typeof creds === 'object' && creds !== null && !Array.isArray(creds)) {
    for (const key of Object.keys(creds)) {
      if (credKeys.includes(key)) continue;
      out.push(unknownKeyWarning(`${CREDENTIALS_KEY}.${key}`, closestKey(key, [...nested, ...top.filter((t) => !credKeys.includes(t))])));
    }
  }
  return out;
}

/** Which environment a host belongs to, when it is one of Salesforce's fixed hosts (or a sandbox My Domain). */
function hostEnvironment(url: unknown): 'production' | 'sandbox' | undefined {
  if (typeof url !== 'string') return undefined;
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return undefined;
  }
  const hostOf = (u: string) => new URL(u).hostname;
  if (host === hostOf(HOSTS.production.api) || host === hostOf(HOSTS.production.auth)) return 'production';
  // Salesforce's enhanced My Domain names a sandbox NAME--SANDBOX.sandbox.my.salesforce.com.
  if (host === hostOf(HOSTS.sandbox.api) || host === hostOf(HOSTS.sandbox.auth) || host.endsWith('.sandbox.my.salesforce.com')) return 'sandbox';
  return undefined;
}

/** An explicit is_sandbox that the explicit hosts contradict: the hosts win, which is rarely what was meant. */
function sandboxHostWarnings(c: Record<string, unknown>): string[] {
  if (typeof c.is_sandbox !== 'boolean') return [];
  const wanted = c.is_sandbox ? 'sandbox' : 'production';
  return (['api_base_url', 'auth_base_url'] as const).flatMap((field) => {
    const env = hostEnvironment(c[field]);
    if (env === undefined || env === wanted) return [];
    return [
      // The origin only: a URL may carry credentials (refused later by checkBaseUrl), never printed.
      `config sets is_sandbox to ${String(c.is_sandbox)} but ${field} to ${printableKey(new URL(String(c[field])).origin)}, a ${env} host; ` +
        `the host is used (is_sandbox only picks the hosts left unset): remove ${field}, or set is_sandbox to ${String(!c.is_sandbox)}.`,
    ];
  });
}

/**
 * Warnings for a raw config (before or after parseConfig): unknown keys, each with the closest
 * known one ("did you mean window_days?"), and hosts that contradict is_sandbox. The commands
 * print them as WARN (Airbyte: LOG messages; Singer and the helpers: stderr).
 */
export function configWarnings(raw: unknown): string[] {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return [];
  const c = raw as Record<string, unknown>;
  return [...unknownKeyWarnings(c), ...sandboxHostWarnings(c)];
}
