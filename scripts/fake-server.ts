/**
 * Starts the loopback fake Pardot with generated data and prints one JSON line to stdout:
 * a config for it ({client_id, ..., api_base_url, auth_base_url, timezone, start_date}); it then
 * runs until SIGTERM/SIGINT.
 * Used by scripts/docker-smoke.sh (the connector inside the image reads from it over the host's
 * loopback) and handy for trying the executable by hand.
 *
 *   node dist/scripts/fake-server.js [--years N] [--timezone Area/City]
 */
import { parseArgs } from 'node:util';
import { DEFAULTS, generateData, startFakePardot } from '../test/fake-pardot/index.js';

const { values } = parseArgs({
  options: { years: { type: 'string' }, timezone: { type: 'string' } },
  strict: true,
});
const timezone = values.timezone ?? 'America/New_York';
const now = Date.now();
const start = new Date(now - Number(values.years ?? '1') * 365 * 86_400_000);
const fake = await startFakePardot({
  userTimezone: timezone,
  data: generateData({ seed: 42, start, end: new Date(now - 5 * 60_000) }),
  rowsPerFile: 100,
  pollsUntilComplete: 1,
});
const config = {
  client_id: DEFAULTS.clientId,
  client_secret: DEFAULTS.clientSecret,
  refresh_token: DEFAULTS.refreshToken,
  pardot_business_unit_id: DEFAULTS.businessUnitId,
  start_date: start.toISOString(),
  timezone,
  api_base_url: fake.url,
  auth_base_url: fake.url,
  window_days: 120,
  poll_interval_seconds: 0.05,
  poll_max_interval_seconds: 0.2,
  // Bounds the per-window call estimate (polls up to this deadline) the API call ceiling uses.
  export_timeout_minutes: 2,
};
process.stdout.write(JSON.stringify(config) + '\n');
const stop = () => {
  void fake.close().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
