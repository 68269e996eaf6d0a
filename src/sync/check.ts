/**
 * `check`: proves what a read needs, with the abilities an export user has (not an admin's):
 * the token and business unit, the View ability of every object the connector exports (one
 * `fields=id&limit=1` v5 query per object), and the API user's timezone (checked or determined
 * from Pardot's evidence, as a read does). Today's budget is reported when the user may read it.
 *
 * Calls: 1 account + 6 object probes + up to 4 timezone probes (query kind).
 */
import type { Config } from '../config.js';
import { isConnectorError, toConnectorError } from '../errors.js';
import type { PardotApi } from '../pardot/types.js';
import { OBJECT_ABILITIES, OBJECT_NAMES, type PardotObject } from '../pardot/wire.js';
// The export streams' objects: the v5 query streams' abilities are named when a read meets them.
import { EXPORT_STREAMS as STREAMS } from '../streams.js';
import type { LogLevel } from './events.js';
import { resolveTimezone } from './timezone-evidence.js';

export interface CheckResult {
  ok: boolean;
  message: string;
}

export async function checkConnection(o: {
  config: Config;
  api: PardotApi;
  now: number;
  signal?: AbortSignal;
  log: (level: LogLevel, message: string) => void;
}): Promise<CheckResult> {
  const { api, config } = o;
  let budget = '';
  try {
    const acct = await api.account(o.signal);
    if (acct.maximumDailyApiCalls !== null) budget = ` API calls today: ${acct.apiCallsUsed ?? '?'} of ${acct.maximumDailyApiCalls} used.`;
  } catch (e) {
    // A 46/49 here still proves the token and business unit (Pardot checks those first).
    if (!(isConnectorError(e) && e.code === 'PARDOT_PERMISSION')) throw e;
    budget = ` Today's API budget is not readable by this user (needs "Admin > Account > Edit Settings"); reads go on without it.`;
  }

  const objects = [...new Set(STREAMS.map((s) => s.object))];
  const denied = new Map<PardotObject, string>();
  // A probe Pardot answers with a contract error (e.g. 404: an object whose v5 query path is
  // unverified, V5_OBJECT_PATHS) proves nothing either way: named in the message, not a failure.
  const unverified: string[] = [];
  for (const object of objects) {
    try {
      await api.query(object, { fields: 'id', limit: '1' }, o.signal);
    } catch (e) {
      if (isConnectorError(e) && e.failureType === 'system_error' && !o.signal?.aborted) {
        unverified.push(`${OBJECT_NAMES[object]} (${e.message})`);
        continue;
      }
      if (!(isConnectorError(e) && e.code === 'PARDOT_PERMISSION')) throw e;
      denied.set(object, toConnectorError(e).message);
    }
  }
  const notVerified = unverified.length > 0 ? ` The View ability could not be verified for: ${unverified.join('; ')}.` : '';
  const missing = STREAMS.filter((s) => denied.has(s.object)).map((s) => `${s.name} needs "${OBJECT_ABILITIES[s.object]}"`);

  let tz: string;
  try {
    const readable = objects.filter((x) => !denied.has(x) && x !== 'externalActivity');
    const r = await resolveTimezone({ api, configured: config.timezone, since: config.startDate, objects: readable, now: o.now, signal: o.signal, log: o.log });
    tz = ` Timezone: ${r.zone}${config.timezone === 'auto' ? ' (determined from Pardot)' : ' (matches Pardot)'}${r.unchecked.length > 0 ? ', one DST season unchecked' : ''}.`;
  } catch (e) {
    const err = toConnectorError(e);
    if (err.failureType !== 'config_error') throw e;
    return { ok: false, message: `${err.message}${missing.length > 0 ? ` Also, the API user lacks abilities: ${missing.join('; ')}.` : ''}` };
  }

  if (missing.length > 0) {
    return {
      ok: false,
      message:
        `Connected to Pardot business unit ${config.businessUnitId}, but the API user lacks the View ability for ${[...denied.keys()].map((x) => OBJECT_NAMES[x]).join(', ')}: ` +
        `${missing.join('; ')}. Grant these in the user's Account Engagement role, or leave those streams out of the catalog (a read fails only them).${budget}${tz}${notVerified}`,
    };
  }
  return {
    ok: true,
    message: `Connected to Pardot business unit ${config.businessUnitId}; the API user may view ${unverified.length > 0 ? 'the other' : 'every'} exported object${unverified.length > 0 ? 's' : ''}.${budget}${tz}${notVerified}`,
  };
}
