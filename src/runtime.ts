/**
 * Wires the layers together for one run: config -> redactor -> Pardot client -> job port.
 * Dependencies come in from cli.ts (clock, HTTP dispatcher), so tests can swap them.
 */
import type { Dispatcher } from 'undici';
import type { Clock } from './clock.js';
import { AUTO_TIMEZONE, parseConfig, secretsOf, type Config } from './config.js';
import type { LogLevel } from './sync/events.js';
import { Redactor } from './redact.js';
import { createPardotApi } from './pardot/client.js';
import { createExportPort } from './pardot/export-port.js';
import type { CreateExportRequest, PardotApi } from './pardot/types.js';
import type { JobPort } from './jobs/types.js';

export interface RuntimeDeps {
  clock: Clock;
  dispatcher?: Dispatcher;
  log: (level: LogLevel, message: string) => void;
}

export interface Runtime {
  config: Config;
  api: PardotApi;
  port: JobPort<CreateExportRequest>;
}

/** Registers the config's secrets with the redactor before anything can fail and print them. */
export function registerSecrets(raw: unknown, redactor: Redactor): void {
  for (const s of secretsOf(raw)) redactor.add(s);
}

export function createRuntime(raw: unknown, redactor: Redactor, deps: RuntimeDeps): Runtime {
  registerSecrets(raw, redactor);
  const config = parseConfig(raw, deps.clock.now());
  const api = createPardotApi({
    apiBaseUrl: config.apiBaseUrl,
    authBaseUrl: config.authBaseUrl,
    businessUnitId: config.businessUnitId,
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    refreshToken: config.refreshToken,
    dispatcher: deps.dispatcher,
    maxConcurrent: config.maxConcurrentRequests,
    requestTimeoutMs: config.requestTimeoutMs,
    clock: deps.clock,
    redactor,
    log: deps.log,
    // Only to phrase when the daily budget resets; 'auto' leaves it unknown (UTC, said so).
    timezone: config.timezone === AUTO_TIMEZONE ? undefined : config.timezone,
  });
  return { config, api, port: createExportPort(api) };
}
