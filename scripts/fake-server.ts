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
import { startSampleFake } from './sample-fake.js';

const { values } = parseArgs({
  options: { years: { type: 'string' }, timezone: { type: 'string' } },
  strict: true,
});
const timezone = values.timezone ?? 'America/New_York';
const { fake, config } = await startSampleFake({ years: Number(values.years ?? '1'), timezone });
process.stdout.write(JSON.stringify(config) + '\n');
const stop = () => {
  void fake.close().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
