/**
 * The fake Pardot with generated data for every stream (the six export objects and every v5 query
 * object) and a config for it: what `npm run fake-pardot` and scripts/fake-server.ts (the Docker
 * smoke test's) serve, so that every stream can be tried offline.
 */
import { DEFAULTS, generateData, startFakePardot, type FakePardot } from '../test/fake-pardot/index.js';
import { addCustomValues, makeCustomFields } from '../test/helpers/custom-fields.js';
import { fakeQueryObjects } from '../test/helpers/query-objects.js';

export interface SampleFake {
  fake: FakePardot;
  /** Where the generated data starts (the config's start_date). */
  start: Date;
  config: Record<string, unknown>;
}

export async function startSampleFake(o: { years: number; timezone: string }): Promise<SampleFake> {
  const now = Date.now();
  const start = new Date(now - o.years * 365 * 86_400_000);
  const end = new Date(now - 5 * 60_000);
  const data = generateData({ seed: 42, start, end });
  // Twelve prospect custom fields of every type, with values: discover lists them, read exports them.
  const customFields = makeCustomFields(12, { seed: 42 });
  addCustomValues(data.prospect, customFields, 42);
  const queryObjects = fakeQueryObjects({ seed: 42, start, end, count: 40 });
  delete queryObjects['custom-fields']; // the fake serves the list above instead
  const fake = await startFakePardot({
    userTimezone: o.timezone,
    data,
    customFields: { prospect: customFields },
    queryObjects,
    rowsPerFile: 100,
    pollsUntilComplete: 1,
  });
  const config = {
    client_id: DEFAULTS.clientId,
    client_secret: DEFAULTS.clientSecret,
    refresh_token: DEFAULTS.refreshToken,
    pardot_business_unit_id: DEFAULTS.businessUnitId,
    start_date: start.toISOString(),
    timezone: o.timezone,
    api_base_url: fake.url,
    auth_base_url: fake.url,
    window_days: 120,
    poll_interval_seconds: 0.05,
    poll_max_interval_seconds: 0.2,
    // The fake finishes an export in two polls; this bounds the per-window call estimate (polls up
    // to this deadline) that the API call ceiling uses.
    export_timeout_minutes: 2,
  };
  return { fake, start, config };
}
