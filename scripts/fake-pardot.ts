/**
 * `npm run fake-pardot`: the loopback fake Pardot (test/fake-pardot) as a command, so every README
 * command can be tried without an account. Generates a year of data, writes a config for the fake
 * to --out (default out/fake-pardot.config.json under the current directory; out/ is in
 * .gitignore), prints the commands to try, and runs until Ctrl-C, SIGTERM or SIGHUP, when it
 * removes the config file and closes its port.
 *
 * `node dist/scripts/fake-pardot.js &` (README "Try it offline") makes $! this process, so
 * `kill $!` reaches it; the npm script execs it for the same reason (npm passes SIGTERM to its
 * child, but a shell between them would not pass it on).
 *
 *   node dist/scripts/fake-pardot.js [--out FILE] [--years N] [--timezone Area/City]
 */
import { mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { startSampleFake } from './sample-fake.js';

const CONFIG = 'out/fake-pardot.config.json';
const BIN = './bin/source-pardot-export';
/** The README's "Try it offline" commands, each as written there (test/readme.test.ts compares the two). */
const OFFLINE_COMMANDS = [
  `${BIN} check    --config ${CONFIG}`,
  `${BIN} discover --config ${CONFIG} > out/discover.jsonl`,
  `${BIN} catalog  --config ${CONFIG} --streams prospects,visitors > out/catalog.json`,
  `${BIN} read     --config ${CONFIG} --catalog out/catalog.json > out/messages.jsonl`,
  `${BIN} catalog  --format singer --streams prospects > out/singer-catalog.json`,
  `${BIN} --config ${CONFIG} --catalog out/singer-catalog.json > out/singer.jsonl`,
];

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
const out = values.out ?? 'out/fake-pardot.config.json';
const timezone = values.timezone ?? 'America/New_York';
const { fake, start, config } = await startSampleFake({ years, timezone });
const text = JSON.stringify(config, null, 2) + '\n';
// The first folder made, if any (mkdirSync's answer): removed at the stop if it is empty then.
const madeDir = mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, text, { mode: 0o600 });

process.stdout.write(
  [
    `Fake Pardot on ${fake.url} (API user timezone ${timezone}; generated data from ${start.toISOString().slice(0, 10)}).`,
    `Its config is in ${out} (removed when this stops):`,
    '',
    JSON.stringify(config),
    '',
    'Try, from the repository (in this terminal or another):',
    '',
    ...OFFLINE_COMMANDS.map((c) => `  ${c.replaceAll(CONFIG, out)}`),
    '',
    `Stop with Ctrl-C, or: kill ${process.pid}`,
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
  try {
    if (madeDir !== undefined) rmdirSync(madeDir);
  } catch {
    // the commands' outputs are in it: the user's to keep
  }
  void fake.close().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('SIGHUP', stop);
