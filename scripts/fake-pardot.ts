/**
 * `npm run fake-pardot`: the loopback fake Pardot (test/fake-pardot) as a command, so every README
 * command can be tried without an account. Generates a year of data, writes a config for the fake
 * to --out (default fake-pardot.config.json in the current directory), prints the commands to try,
 * and runs until Ctrl-C / SIGTERM, when it removes the config file (its port is gone with it).
 *
 *   node dist/scripts/fake-pardot.js [--out FILE] [--years N] [--timezone Area/City]
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startSampleFake } from './sample-fake.js';

const USAGE = 'Usage: npm run fake-pardot -- [--out FILE] [--years N] [--timezone Area/City]';

let values: { out?: string; years?: string; timezone?: string };
try {
  ({ values } = parseArgs({ options: { out: { type: 'string' }, years: { type: 'string' }, timezone: { type: 'string' } }, strict: true }));
} catch (e) {
  process.stderr.write(`fake-pardot: ${(e as Error).message}\n${USAGE}\n`);
  process.exit(2);
}
const years = Number(values.years ?? '1');
if (!(years > 0 && years <= 10)) {
  process.stderr.write(`fake-pardot: --years must be a number from 0 to 10.\n${USAGE}\n`);
  process.exit(2);
}
const out = values.out ?? 'fake-pardot.config.json';
const timezone = values.timezone ?? 'America/New_York';
const { fake, start, config } = await startSampleFake({ years, timezone });
const text = JSON.stringify(config, null, 2) + '\n';
writeFileSync(out, text, { mode: 0o600 });

const bin = './bin/source-pardot-export';
process.stdout.write(
  [
    `Fake Pardot on ${fake.url} (API user timezone ${timezone}; generated data from ${start.toISOString().slice(0, 10)}).`,
    `Its config is in ${out} (removed when this stops):`,
    '',
    JSON.stringify(config),
    '',
    'Try, from the repository, in another terminal:',
    '',
    `  ${bin} check    --config ${out}`,
    `  ${bin} discover --config ${out}`,
    `  ${bin} catalog  --config ${out} --streams prospects,visitors > catalog.json`,
    `  ${bin} read     --config ${out} --catalog catalog.json > messages.jsonl`,
    `  ${bin} catalog  --format singer --streams prospects > singer-catalog.json`,
    `  ${bin} --config ${out} --catalog singer-catalog.json > singer.jsonl`,
    '',
    'Stop with Ctrl-C.',
    '',
  ].join('\n'),
);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  try {
    // Only our own file: if someone replaced it meanwhile, leave theirs.
    if (readFileSync(out, 'utf8') === text) rmSync(out, { force: true });
  } catch {
    // already gone
  }
  void fake.close().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
