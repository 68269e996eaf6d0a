/**
 * The only module that touches argv, files, stdout/stderr, signals and exit codes.
 *
 *   Airbyte:  spec | check --config F | discover --config F | read --config F --catalog F [--state F]
 *   Singer:   --config F --discover | --config F --catalog F [--state F] | --about [--format json|markdown]
 *             (settings may come from TAP_PARDOT_EXPORT_* alone: no flags at all runs a sync)
 *   Helpers:  catalog [--config F] [--streams a,b] [--sync-mode M] [--format airbyte|singer]
 *             auth [--config F] [--port N] [--out F] [--timeout-seconds N]
 *             --help | --version
 *
 * Exit codes: 0 done; 1 failed (the message says why and what to do); 2 usage error (bad command
 * line: the message and the usage go to stderr).
 */
// node:fs, not node:fs/promises, which loads more of Node at start-up (bench/README.md: start-up).
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Agent } from './pardot/undici.js';
import { systemClock } from './clock.js';
import { ConnectorError, configError, toConnectorError } from './errors.js';
import { Redactor } from './redact.js';
import { writableSink, type LineSink } from './protocol/output.js';
import { runAirbyte, type AirbyteCommand } from './protocol/airbyte-commands.js';
import { runSinger, type AboutFormat, type SingerCommand } from './protocol/singer-commands.js';
import { ENV_PREFIX, envSettingsPresent, mergeEnvConfig } from './config-env.js';
import { describeProblem, parseJsonText, printable, type JsonSyntaxProblem } from './json-text.js';
import { catalogKind, isDiscoverOutput, wrongCatalogMessage, type CatalogProtocol } from './catalog-input.js';
import { CREDENTIALS_KEY, configWarnings, parseConfig } from './config.js';
import { createRuntime, registerSecrets } from './runtime.js';
import type { StreamDef } from './streams.js';
import { discoverStreams } from './sync/custom-fields.js';
import { HOSTS } from './pardot/wire.js';
import { CATALOG_FORMATS, CatalogRequestError, SYNC_MODES, buildCatalog, parseStreamList, type CatalogFormat } from './commands/catalog.js';
import { DEFAULT_AUTH_PORT, runAuthorizationCodeFlow } from './commands/auth.js';
import type { SyncMode } from './protocol/catalog.js';

const NAME = 'source-pardot-export';
const README = 'README.md (in the repository and the npm package)';

const USAGE = `Usage:
  Airbyte protocol
    ${NAME} spec
    ${NAME} check    --config CONFIG.json
    ${NAME} discover --config CONFIG.json
    ${NAME} read     --config CONFIG.json --catalog CATALOG.json [--state STATE.json]
  Singer protocol (settings may also come from ${ENV_PREFIX}<SETTING> variables)
    ${NAME} --config CONFIG.json --discover
    ${NAME} --config CONFIG.json [--catalog|--properties CATALOG.json] [--state STATE.json]
    ${NAME} --about [--format json|markdown]
  Helpers
    ${NAME} catalog [--config CONFIG.json] [--streams a,b] [--sync-mode incremental|full_refresh] [--format airbyte|singer]
    ${NAME} auth    [--config APP.json] [--port ${DEFAULT_AUTH_PORT}] [--out CONFIG.json] [--timeout-seconds 300]
    ${NAME} --help | --version`;

const HELP = `${NAME}: Salesforce Account Engagement (Pardot) through its bulk Export API,
as an Airbyte source and a Singer tap.

${USAGE}

Commands:
  spec       Print the connector's specification (the config's keys; spec.json).
  check      Validate the config and connect to Pardot; prints CONNECTION_STATUS.
  discover   Print every stream with its schema (an Airbyte CATALOG; Singer: --discover).
  read       Sync the streams of a configured catalog, printing RECORD and STATE messages.
  catalog    Print a configured catalog for read (--format airbyte, the default) or for a
             Singer sync (--format singer): every stream or --streams, incremental where
             supported or --sync-mode. Without --config no Pardot call; with it, the config is
             validated and the business unit's custom fields are read (one call), as discover does.
  auth       Get a refresh token with Salesforce's OAuth web server flow: open the URL it prints,
             sign in as the Pardot API user; it prints the config (or writes it to --out, mode
             0600). More, and how to use it over SSH: ${NAME} auth --help
  --about    Singer: settings and capabilities (json or markdown).

Exit codes: 0 done, 1 failed (the message says what to do), 2 usage error.
Set-up, Pardot credentials, every setting and every error code: ${README}.`;

const AUTH_HELP = `${NAME} auth: get a refresh token for the config, with Salesforce's OAuth web server flow.

Usage:
  ${NAME} auth [--config APP.json] [--out CONFIG.json] [--port ${DEFAULT_AUTH_PORT}] [--timeout-seconds 300]

It listens on 127.0.0.1:PORT for Salesforce's redirect, prints a URL to open in a browser, and,
once you sign in as the Pardot API user and approve, writes the config with its refresh token
to --out (mode 0600), or prints it on stdout.

  --config FILE          the app's part of the config: client_id and client_secret (in credentials
                         or at the top level; or ${ENV_PREFIX}CLIENT_ID / _CLIENT_SECRET), and
                         is_sandbox or auth_base_url for the login host (default login.salesforce.com)
  --out FILE             where to write the complete config (default: stdout)
  --port N               loopback port of the callback (default ${DEFAULT_AUTH_PORT}); the app's callback URL
                         must be http://localhost:N/OauthRedirect, exactly
  --timeout-seconds N    how long to wait for the sign-in (default 300)

On a machine without a browser (a server over SSH): forward the port from your computer,
  ssh -L ${DEFAULT_AUTH_PORT}:127.0.0.1:${DEFAULT_AUTH_PORT} SERVER
run auth on the server over that connection, and open the URL in your computer's browser.

The app's set-up (callback URL, scopes pardot_api and refresh_token): ${README}, "Connect your Pardot account".`;

class UsageError extends Error {}

/** Everything written to stderr: control characters from files or argv are escaped, not echoed. */
const LIVE_LINE_RESET = '\r\x1b[2K';
function terminalSafe(text: string): string {
  // The progress reporter's own "clear the line" sequence is the one control sequence let through.
  return text.split(LIVE_LINE_RESET).map(printable).join(LIVE_LINE_RESET);
}
const writeErr = (text: string) => void process.stderr.write(terminalSafe(text));

function readText(flag: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw configError('FILE_UNREADABLE', `Cannot read the --${flag} file ${printable(path)} (${code ?? (e as Error).message}): check the path and its permissions.`);
  }
}

function notJson(flag: string, path: string, problem: JsonSyntaxProblem): ConnectorError {
  // Position only: the file may hold secrets, so not one character of it is quoted.
  return configError(
    flag === 'config' ? 'CONFIG_NOT_JSON' : flag === 'state' ? 'STATE_NOT_JSON' : 'CATALOG_NOT_JSON',
    `The --${flag} file ${printable(path)} is not valid JSON: ${describeProblem(problem)} (its content is not shown): fix its syntax.`,
    { line: problem.line, column: String(problem.column) },
  );
}

async function readJsonFile(flag: string, path: string | undefined): Promise<unknown> {
  if (path === undefined) return undefined;
  const parsed = parseJsonText(readText(flag, path));
  if (!parsed.ok) throw notJson(flag, path, parsed.problem);
  return parsed.value;
}

/**
 * A --catalog (--properties) file for `protocol`: one of the other kind (discover's output, a
 * Singer catalog given to read, an Airbyte one to a Singer sync) is refused in one line naming
 * the command that makes the right one (src/catalog-input.ts).
 */
async function readCatalogFile(flag: string, path: string | undefined, protocol: CatalogProtocol): Promise<unknown> {
  if (path === undefined) return undefined;
  const text = readText(flag, path);
  const parsed = parseJsonText(text);
  const kind = parsed.ok ? catalogKind(parsed.value) : isDiscoverOutput(text) ? 'discover-output' : null;
  const wrong = kind === null ? null : wrongCatalogMessage(kind, protocol, flag, printable(path));
  if (wrong !== null) throw configError('CATALOG_INVALID', wrong);
  if (!parsed.ok) throw notJson(flag, path, parsed.problem);
  return parsed.value;
}

function parseFlags<T extends Record<string, { type: 'string' | 'boolean' }>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values as { [K in keyof T]?: T[K]['type'] extends 'string' ? string : boolean };
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

async function readVersion(): Promise<string> {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

const AIRBYTE_COMMANDS = new Set(['spec', 'check', 'discover', 'read']);

async function main(argv: string[], redactor: Redactor): Promise<number> {
  const stdout: LineSink = writableSink(process.stdout);
  const controller = new AbortController();
  let stopping = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    // auth has no exports, only a sign-in to stop; every other command may have exports in flight.
    writeErr(`${NAME}: ${sig} received, ${argv[0] === 'auth' ? 'stopping the sign-in' : 'canceling exports in flight and stopping'}.\n`);
    controller.abort();
    // Stop within 5 seconds whatever happens; state already written stays valid.
    setTimeout(() => process.exit(sig === 'SIGINT' ? 130 : 143), 4500).unref();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  const [command, ...rest] = argv;
  if (command === 'auth' && (rest.includes('--help') || rest.includes('-h'))) {
    await stdout.write(AUTH_HELP + '\n');
    return 0;
  }
  if (argv.includes('--help') || argv.includes('-h') || command === 'help') {
    await stdout.write(HELP + '\n');
    return 0;
  }
  if (command === '--version' || command === '-V') {
    if (rest.length > 0) throw new UsageError('--version takes no other arguments.');
    await stdout.write(`${await readVersion()}\n`);
    return 0;
  }
  if (command === undefined) {
    // The README promises a Singer sync from the environment alone; with nothing set, say how to use it.
    if (envSettingsPresent(process.env).length > 0) return runSingerCli([], redactor, stdout, controller.signal);
    throw new UsageError(`No command given, and no ${ENV_PREFIX}* settings in the environment.`);
  }
  // Flags without a command: the Singer protocol.
  if (command.startsWith('-')) return runSingerCli(argv, redactor, stdout, controller.signal);
  if (command === 'catalog') return runCatalogCli(rest, redactor, stdout);
  if (command === 'auth') return runAuthCli(rest, redactor, stdout, controller.signal);
  if (!AIRBYTE_COMMANDS.has(command)) throw new UsageError(`Unknown command '${command}'.`);

  const values = parseFlags(rest, { config: { type: 'string' }, catalog: { type: 'string' }, state: { type: 'string' } });
  if (command !== 'spec' && values.config === undefined) throw new UsageError(`${command} needs --config CONFIG.json.`);
  if (command === 'read' && values.catalog === undefined) {
    throw new UsageError(`read needs --catalog CATALOG.json (make one with: ${NAME} catalog > catalog.json).`);
  }
  const dispatcher = new Agent({ keepAliveTimeout: 10_000, connections: 8 });
  try {
    return await runAirbyte({
      command: command as AirbyteCommand,
      loadConfig: () => readJsonFile('config', values.config),
      loadCatalog: () => readCatalogFile('catalog', values.catalog, 'airbyte'),
      loadState: () => readJsonFile('state', values.state),
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

async function runSingerCli(argv: string[], redactor: Redactor, stdout: LineSink, signal: AbortSignal): Promise<number> {
  const values = parseFlags(argv, {
    config: { type: 'string' },
    catalog: { type: 'string' },
    properties: { type: 'string' },
    state: { type: 'string' },
    discover: { type: 'boolean' },
    about: { type: 'boolean' },
    format: { type: 'string' },
  });
  if (values.catalog !== undefined && values.properties !== undefined) throw new UsageError('Give --catalog or --properties, not both.');
  if (values.discover && values.about) throw new UsageError('Give --discover or --about, not both.');
  if (values.format !== undefined && !values.about) throw new UsageError('--format goes with --about (or with the catalog command).');
  const format = values.format ?? 'json';
  if (format !== 'json' && format !== 'markdown') throw new UsageError(`--format must be json or markdown, got '${format}'.`);
  const command: SingerCommand = values.about ? 'about' : values.discover ? 'discover' : 'sync';
  const catalogFlag = values.catalog !== undefined ? 'catalog' : 'properties';
  const catalogPath = values.catalog ?? values.properties;
  // process.stderr is made on first use (not at start-up): only the progress line asks whether it is a terminal.
  const err = { get isTTY() { return process.stderr.isTTY === true; }, write: writeErr };
  const dispatcher = new Agent({ keepAliveTimeout: 10_000, connections: 8 });
  try {
    return await runSinger({
      command,
      format: format as AboutFormat,
      version: command === 'about' ? await readVersion() : '',
      // Settings from TAP_PARDOT_EXPORT_* variables, under the config file's (which may be absent).
      loadConfig: async () => mergeEnvConfig(await readJsonFile('config', values.config), process.env),
      loadCatalog: () => readCatalogFile(catalogFlag, catalogPath, 'singer'),
      loadState: () => readJsonFile('state', values.state),
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

/** `catalog`: see src/commands/catalog.ts. The config is optional: without it, the stream table's standard fields only. */
async function runCatalogCli(args: string[], redactor: Redactor, stdout: LineSink): Promise<number> {
  const values = parseFlags(args, {
    config: { type: 'string' },
    streams: { type: 'string' },
    'sync-mode': { type: 'string' },
    format: { type: 'string' },
  });
  const format = (values.format ?? 'airbyte') as CatalogFormat;
  if (!CATALOG_FORMATS.includes(format)) throw new UsageError(`--format must be ${CATALOG_FORMATS.join(' or ')}, got '${values.format}'.`);
  const syncMode = values['sync-mode'] as SyncMode | undefined;
  if (syncMode !== undefined && !SYNC_MODES.includes(syncMode)) throw new UsageError(`--sync-mode must be ${SYNC_MODES.join(' or ')}, got '${syncMode}'.`);
  let streams: string[] | undefined;
  try {
    streams = values.streams === undefined ? undefined : parseStreamList(values.streams);
  } catch (e) {
    if (e instanceof CatalogRequestError) throw new UsageError(e.message);
    throw e;
  }
  let discovered: readonly StreamDef[] | undefined;
  if (values.config !== undefined) {
    // With a config: validated as discover validates it, and the business unit's custom fields are
    // read as discover reads them, so the catalog is the one discover would give.
    const raw = await readJsonFile('config', values.config);
    registerSecrets(raw, redactor);
    for (const w of configWarnings(raw)) writeErr(redactor.redact(`${NAME}: WARN ${w}`) + '\n');
    parseConfig(raw, Date.now());
    const dispatcher = new Agent({ keepAliveTimeout: 10_000, connections: 2 });
    try {
      const log = (level: string, message: string) => writeErr(redactor.redact(`${NAME}: ${level} ${message}`) + '\n');
      const rt = createRuntime(raw, redactor, { clock: systemClock, dispatcher, log });
      discovered = await discoverStreams(rt.api, rt.config, log);
    } finally {
      await dispatcher.close().catch(() => undefined);
    }
  }
  const { catalog, notes } = buildCatalog({ format, ...(streams ? { streams } : {}), ...(syncMode ? { syncMode } : {}) }, discovered);
  for (const n of notes) writeErr(`${NAME}: ${n}\n`);
  await stdout.write(JSON.stringify(catalog, null, 2) + '\n');
  return 0;
}

/** `auth`: see src/commands/auth.ts. Prints the config with the new refresh token, or writes it to --out (0600). */
async function runAuthCli(args: string[], redactor: Redactor, stdout: LineSink, signal: AbortSignal): Promise<number> {
  const values = parseFlags(args, {
    config: { type: 'string' },
    port: { type: 'string' },
    out: { type: 'string' },
    'timeout-seconds': { type: 'string' },
  });
  const port = Number(values.port ?? DEFAULT_AUTH_PORT);
  if (!/^\d+$/.test(values.port ?? '0') || port > 65535) throw new UsageError(`--port must be a port number (0-65535), got '${values.port}'.`);
  const timeout = Number(values['timeout-seconds'] ?? 300);
  if (!/^\d+$/.test(values['timeout-seconds'] ?? '1') || timeout < 1) throw new UsageError(`--timeout-seconds must be a whole number of seconds, got '${values['timeout-seconds']}'.`);

  const raw = mergeEnvConfig(await readJsonFile('config', values.config), process.env);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw configError('CONFIG_INVALID', 'The config must be a JSON object.');
  registerSecrets(raw, redactor);
  for (const w of configWarnings(raw)) writeErr(redactor.redact(`${NAME}: WARN ${w}`) + '\n');
  const cfg = raw as Record<string, unknown>;
  // The app's key and secret sit in `credentials` (README: Authentication) or at the top level (earlier versions).
  const nested = cfg[CREDENTIALS_KEY];
  const creds = typeof nested === 'object' && nested !== null && !Array.isArray(nested) ? (nested as Record<string, unknown>) : null;
  const from = creds ?? cfg;
  const missing = ['client_id', 'client_secret'].filter((k) => typeof from[k] !== 'string' || from[k] === '');
  if (missing.length > 0) {
    const where = creds ? missing.map((k) => `credentials.${k}`) : missing.map((k) => ENV_PREFIX + k.toUpperCase());
    throw configError(
      'CONFIG_INVALID',
      `auth needs ${missing.join(' and ')} (the app's consumer key and secret): put them in the --config file or in ${where.join(' / ')}.`,
    );
  }
  const authBaseUrl = typeof cfg.auth_base_url === 'string' ? cfg.auth_base_url : cfg.is_sandbox === true ? HOSTS.sandbox.auth : HOSTS.production.auth;
  const dispatcher = new Agent({ keepAliveTimeout: 1_000, connections: 2 });
  try {
    const result = await runAuthorizationCodeFlow({
      clientId: from.client_id as string,
      clientSecret: from.client_secret as string,
      authBaseUrl,
      port,
      timeoutMs: timeout * 1000,
      redactor,
      dispatcher,
      signal,
      onAuthorizeUrl: (url, redirectUri) =>
        writeErr(
          `${NAME}: waiting for the sign-in on ${redirectUri} (it must be the app's callback URL, exactly).\n` +
            `Open this URL in a browser and sign in as the Pardot API user:\n\n  ${url}\n\n` +
            `(No browser on this machine? From your computer: ssh -L ${new URL(redirectUri).port}:127.0.0.1:${new URL(redirectUri).port} THIS_MACHINE, ` +
            `run auth over that connection, and open the URL on your computer.)\n\n`,
        ),
    });
    const config = creds
      ? { ...cfg, [CREDENTIALS_KEY]: { ...creds, auth_type: 'refresh_token', refresh_token: result.refreshToken } }
      : { ...cfg, refresh_token: result.refreshToken };
    const text = JSON.stringify(config, null, 2) + '\n';
    if (!('pardot_business_unit_id' in cfg)) {
      writeErr(`${NAME}: add pardot_business_unit_id (0Uv..., 18 characters) to the config: README "Connect your Pardot account".\n`);
    }
    if (result.scope !== null && !result.scope.split(' ').includes('pardot_api')) {
      writeErr(`${NAME}: WARN the token's scopes (${printable(result.scope)}) lack pardot_api: add the pardot_api scope to the app.\n`);
    }
    if (values.out !== undefined) {
      writeFileSync(values.out, text, { mode: 0o600 });
      chmodSync(values.out, 0o600); // `mode` applies only when the file is created
      writeErr(`${NAME}: signed in; the config with its refresh token is in ${printable(values.out)} (mode 0600). Next: ${NAME} check --config ${printable(values.out)}\n`);
    } else {
      writeErr(`${NAME}: signed in; the config with its refresh token follows on stdout.\n`);
      await stdout.write(text);
    }
    return 0;
  } finally {
    await dispatcher.close().catch(() => undefined);
  }
}

// One redactor for the process: secrets are registered as soon as the config is read, so even the
// last-resort handler below prints nothing secret.
const redactor = new Redactor();
let settled = false;
// A run that waits on something no timer, socket or worker will ever settle would let Node exit
// with code 0 as if it had finished: say so and fail instead (nothing after the last STATE was emitted).
process.on('beforeExit', () => {
  if (settled) return;
  settled = true;
  writeErr(`${NAME}: INTERNAL: the run stalled (nothing left to wait for, and it had not finished); the output ends at the last STATE. Report it.\n`);
  process.exitCode = 1;
});
main(process.argv.slice(2), redactor).then(
  (code) => {
    settled = true;
    process.exitCode = code;
  },
  (err: unknown) => {
    settled = true;
    if (err instanceof UsageError) {
      writeErr(`${NAME}: USAGE: ${err.message}\n\n${USAGE}\n\nMore: ${NAME} --help\n`);
      process.exitCode = 2;
      return;
    }
    // Last resort: never a bare stack trace, never a secret.
    const e = err instanceof ConnectorError ? err : toConnectorError(err);
    writeErr(redactor.redact(`${NAME}: ${e.code}: ${e.message}`) + '\n');
    process.exitCode = 1;
  },
);
