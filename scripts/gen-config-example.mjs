// Generates config.example.json from spec.json: every setting that has a default, in the spec's
// order, with that default (lists: empty); the secrets as placeholders saying where they come from.
// `npm run gen:config-example`; test/config-example.test.ts fails when the file is out of step.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');

/** Values for the secrets, which have neither a default nor an example. */
const PLACEHOLDERS = {
  client_id: '<consumer key of your connected app>',
  client_secret: '<consumer secret of your connected app>',
  refresh_token: '<from: source-pardot-export auth (README "Connect your Pardot account")>',
};

/**
 * Left out, so that the example holds defaults only and a copy of it behaves as a config without
 * those keys:
 *  - the earlier versions' top-level credentials: an alternative to `credentials` (giving both is
 *    an error; src/config.ts LEGACY_CREDENTIAL_KEYS), and pipeline_depth, export_queue_depth's older name;
 *  - the optional settings without a default: api_base_url and auth_base_url (unset, the hosts
 *    follow is_sandbox; set, they override it) and max_api_calls (unset: no ceiling but the day's budget).
 */
export const LEFT_OUT = ['client_id', 'client_secret', 'refresh_token', 'pipeline_depth', 'api_base_url', 'auth_base_url', 'max_api_calls'];

const BY_TYPE = { string: '', boolean: false, integer: 0, number: 0, array: [], object: {} };

export function configExample(spec) {
  const props = Object.entries(spec.connectionSpecification.properties);
  const order = (p, i) => (typeof p.order === 'number' ? p.order : 1000 + i);
  const sorted = props.map(([k, p], i) => [k, p, order(p, i)]).sort((a, b) => a[2] - b[2]);
  const out = {};
  for (const [key, p] of sorted) {
    if (LEFT_OUT.includes(key)) continue;
    const type = Array.isArray(p.type) ? p.type.find((t) => t !== 'null') : p.type;
    if (Array.isArray(p.oneOf) && p.oneOf.length > 0) out[key] = branchExample(p.oneOf[0]);
    else if (key in PLACEHOLDERS) out[key] = PLACEHOLDERS[key];
    else if (p.default !== undefined) out[key] = p.default;
    else if (Array.isArray(p.examples) && p.examples.length > 0) out[key] = p.examples[0];
    else if (Array.isArray(p.enum) && p.enum.length > 0) out[key] = p.enum[0];
    else out[key] = BY_TYPE[type] ?? null;
  }
  return JSON.stringify(out, null, 2) + '\n';
}

/** An object setting with a oneOf (credentials): its first branch, constants and placeholders filled in. */
function branchExample(branch) {
  const entries = Object.entries(branch.properties ?? {}).sort((a, b) => (a[1].order ?? 0) - (b[1].order ?? 0));
  return Object.fromEntries(entries.map(([k, p]) => [k, p.const ?? PLACEHOLDERS[k] ?? p.default ?? BY_TYPE[p.type] ?? null]));
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const spec = JSON.parse(readFileSync(join(root, 'spec.json'), 'utf8'));
  writeFileSync(join(root, 'config.example.json'), configExample(spec));
  console.log('wrote config.example.json');
}
