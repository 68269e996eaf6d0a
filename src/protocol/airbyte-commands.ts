/**
 * The Airbyte commands: spec, check, discover, read. Inputs arrive as loaders (cli.ts reads the
 * files), output goes to a LineSink; the result is the exit code.
 */
import type { Dispatcher } from 'undici';
import type { Clock } from '../clock.js';
import { ConnectorError, toConnectorError } from '../errors.js';
import type { Redactor } from '../redact.js';
import { createRuntime, registerSecrets } from '../runtime.js';
import { configWarnings } from '../config.js';
import { checkConnection } from '../sync/check.js';
import { discoverStreams } from '../sync/custom-fields.js';
import { parseState } from '../sync/state.js';
import { STREAMS } from '../streams.js';
import { AirbyteWriter, catalogMessage, connectionStatusMessage, errorTraceMessage, logMessage, specMessage } from './airbyte.js';
import { parseAirbyteCatalog } from './catalog.js';
import type { LineSink } from './output.js';
import { readInto } from './read-loop.js';

export type AirbyteCommand = 'spec' | 'check' | 'discover' | 'read';

export interface AirbyteRunOptions {
  command: AirbyteCommand;
  loadConfig: () => Promise<unknown>;
  loadCatalog: () => Promise<unknown>;
  loadState: () => Promise<unknown>;
  out: LineSink;
  redactor: Redactor;
  clock: Clock;
  dispatcher?: Dispatcher;
  signal?: AbortSignal;
}

export async function runAirbyte(o: AirbyteRunOptions): Promise<number> {
  const writer = new AirbyteWriter(o.out, o.redactor, () => o.clock.now());
  const log = (level: string, message: string) => void writer.message(logMessage(level, message));
  // A misspelt key or hosts that contradict is_sandbox: WARN as LOG messages, before anything else.
  const loadConfig = async () => {
    const raw = await o.loadConfig();
    registerSecrets(raw, o.redactor);
    for (const w of configWarnings(raw)) log('WARN', w);
    return raw;
  };
  switch (o.command) {
    case 'spec':
      await writer.message(specMessage());
      return 0;
    case 'check': {
      try {
        const raw = await loadConfig();
        const rt = createRuntime(raw, o.redactor, { clock: o.clock, dispatcher: o.dispatcher, log });
        const r = await checkConnection({ config: rt.config, api: rt.api, now: o.clock.now(), signal: o.signal, log });
        await writer.message(connectionStatusMessage(r.ok, r.message));
      } catch (err) {
        const e = toConnectorError(err);
        await writer.message(connectionStatusMessage(false, e.message));
      }
      return 0;
    }
    case 'discover': {
      try {
        const raw = await loadConfig();
        const rt = createRuntime(raw, o.redactor, { clock: o.clock, dispatcher: o.dispatcher, log });
        // The business unit's custom fields extend prospects (and prospect_accounts): one query call.
        await writer.message(catalogMessage(await discoverStreams(rt.api, rt.config, log, o.signal)));
        return 0;
      } catch (err) {
        await writer.message(errorTraceMessage(toConnectorError(err), o.clock.now()));
        return 1;
      }
    }
    case 'read': {
      try {
        const raw = await loadConfig();
        const rt = createRuntime(raw, o.redactor, { clock: o.clock, dispatcher: o.dispatcher, log });
        const streams = parseAirbyteCatalog(await o.loadCatalog());
        const parsed = parseState(await o.loadState(), STREAMS);
        for (const w of parsed.warnings) await writer.message(logMessage('WARN', w));
        await readInto(writer, { rt, streams, state: parsed.streams, clock: o.clock, signal: o.signal });
        return 0;
      } catch (err) {
        const e: ConnectorError = toConnectorError(err);
        await writer.message(errorTraceMessage(e, o.clock.now()));
        return 1;
      }
    }
  }
}
