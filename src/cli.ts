/**
 * The only module that touches argv, files, stdout/stderr, signals and exit codes.
 *
 *   Airbyte:  spec | check --config F | discover --config F | read --config F --catalog F [--state F]
 *   Singer:   --config F --discover | --config F --catalog F [--state F] | --about [--format json|markdown]
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { Agent } from 'undici';
import { systemClock } from './clock.js';
import { ConnectorError, configError, toConnectorError } from './errors.js';
import { Redactor } from './redact.js';
import { writableSink, type LineSink } from './protocol/output.js';
import { runAirbyte, type AirbyteCommand } from './protocol/airbyte-commands.js';
import { runSinger, type AboutFormat, type SingerCommand } from './protocol/singer-commands.js';
import { mergeEnvConfig } from './config-env.js';

const USAGE = `Usage (Airbyte protocol):
  source-pardot-export spec
  source-pardot-export check --config CONFIG.json
  source-pardot-export discover --config CONFIG.json
  source-pardot-export read --config CONFIG.json --catalog CATALOG.json [--state STATE.json]

Usage (Singer protocol; settings may also come from TAP_PARDOT_EXPORT_<SETTING> variables):
  source-pardot-export --config CONFIG.json --discover
  source-pardot-export --config CONFIG.json [--catalog|--properties CATALOG.json] [--state STATE.json]
  source-pardot-export --about [--format json|markdown]`;

class UsageError extends Error {}

async function readJsonFile(flag: string, path: string | undefined, required: boolean): Promise<unknown> {
  if (path === undefined) {
    if (required) throw configError('USAGE', `--${flag} FILE is required.`);
    return undefined;
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw configError('FILE_UNREADABLE', `Cannot read the --${flag} file ${path} (${code ?? (e as Error).message}): check the path and its permissions.`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw configError(
      flag === 'config' ? 'CONFIG_NOT_JSON' : flag === 'state' ? 'STATE_NOT_JSON' : 'CATALOG_NOT_JSON',
      `The --${flag} file ${path} is not valid JSON (${(e as Error).message}): fix its syntax.`,
    );
  }
}

async function main(argv: string[], redactor: Redactor): Promise<number> {
  const stdout: LineSink = writableSink(process.stdout);
  const controller = new AbortController();
  let stopping = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`source-pardot-export: ${sig} received, canceling exports in flight and stopping.\n`);
    controller.abort();
    // Stop within 5 seconds whatever happens; state already written stays valid.
    setTimeout(() => process.exit(sig === 'SIGINT' ? 130 : 143), 4500).unref();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  const [command, ...rest] = argv;
  const airbyteCommands = new Set(['spec', 'check', 'discover', 'read']);
  if (command === '--help' || command === '-h' || command === 'help') {
    process.stderr.write(USAGE + '\n');
    return 0;
  }
  // Flags without a command: the Singer protocol.
  if (command !== undefined && command.startsWith('-')) return runSingerCli(argv, redactor, stdout, controller.signal);
  if (!command || !airbyteCommands.has(command)) {
    throw new UsageError(`Unknown command or flags: ${argv.join(' ') || '(none)'}`);
  }
  let values: { config?: string; catalog?: string; state?: string };
  try {
    ({ values } = parseArgs({
      args: rest,
      options: { config: { type: 'string' }, catalog: { type: 'string' }, state: { type: 'string' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const dispatcher = new Agent({ keepAliveTimeout: 10_000, connections: 8 });
  try {
    return await runAirbyte({
      command: command as AirbyteCommand,
      loadConfig: () => readJsonFile('config', values.config, true),
      loadCatalog: () => readJsonFile('catalog', values.catalog, true),
      loadState: () => readJsonFile('state', values.state, false),
      out: stdout,
      redactor,
      clock: systemClock,
      dispatcher,
      signal: controller.signal,
    });
  } finally {
    await dispatcher.close().catch(() => undefined);
  }
}

async function readVersion(): Promise<string> {
  try {
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

async function runSingerCli(argv: string[], redactor: Redactor, stdout: LineSink, signal: AbortSignal): Promise<number> {
  let values: {
    config?: string;
    catalog?: string;
    properties?: string;
    state?: string;
    discover?: boolean;
    about?: boolean;
    format?: string;
  };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        catalog: { type: 'string' },
        properties: { type: 'string' },
        state: { type: 'string' },
        discover: { type: 'boolean' },
        about: { type: 'boolean' },
        format: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (values.catalog !== undefined && values.properties !== undefined) throw new UsageError('Give --catalog or --properties, not both.');
  if (values.discover && values.about) throw new UsageError('Give --discover or --about, not both.');
  if (values.format !== undefined && !values.about) throw new UsageError('--format goes with --about.');
  const format = values.format ?? 'json';
  if (format !== 'json' && format !== 'markdown') throw new UsageError(`--format must be json or markdown, got '${format}'.`);
  const command: SingerCommand = values.about ? 'about' : values.discover ? 'discover' : 'sync';
  const catalogFlag = values.catalog !== undefined ? 'catalog' : 'properties';
  const catalogPath = values.catalog ?? values.properties;
  const err = {
    isTTY: process.stderr.isTTY === true,
    write: (text: string) => void process.stderr.write(text),
  };
  const dispatcher = new Agent({ keepAliveTimeout: 10_000, connections: 8 });
  try {
    return await runSinger({
      command,
      format: format as AboutFormat,
      version: await readVersion(),
      // Settings from TAP_PARDOT_EXPORT_* variables, under the config file's (which may be absent).
      loadConfig: async () => mergeEnvConfig(await readJsonFile('config', values.config, false), process.env),
      loadCatalog: () => readJsonFile(catalogFlag, catalogPath, false),
      loadState: () => readJsonFile('state', values.state, false),
      out: stdout,
      err,
      redactor,
      clock: systemClock,
      dispatcher,
      signal,
    });
  } finally {
    await dispatcher.close().catch(() => undefined);
  }
}

// One redactor for the process: secrets are registered as soon as the config is read, so even the
// last-resort handler below prints nothing secret.
const redactor = new Redactor();
main(process.argv.slice(2), redactor).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`source-pardot-export: ${err.message}\n\n${USAGE}\n`);
      process.exitCode = 2;
      return;
    }
    // Last resort: never a bare stack trace, never a secret.
    const e = err instanceof ConnectorError ? err : toConnectorError(err);
    process.stderr.write(redactor.redact(`source-pardot-export: ${e.code}: ${e.message}`) + '\n');
    process.exitCode = 1;
  },
);
