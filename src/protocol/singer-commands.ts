/**
 * The Singer modes: --discover, sync (--catalog/--properties, --state), --about. Inputs arrive as
 * loaders (cli.ts reads the files and the environment), messages go to a LineSink, progress and
 * errors to a TextSink; the result is the exit code. Same core as runAirbyte: runRead's events.
 */
import { discoverStreams } from '../sync/custom-fields.js';
import type { Dispatcher } from 'undici';
import type { Clock } from '../clock.js';
import { toConnectorError } from '../errors.js';
import { SPEC } from '../generated/spec.js';
import type { Redactor } from '../redact.js';
import { createRuntime, registerSecrets } from '../runtime.js';
import { configWarnings } from '../config.js';
import { STREAMS } from '../streams.js';
import type { StreamState } from '../sync/events.js';
import { parseState, serializeState } from '../sync/state.js';
import { ENV_PREFIX, envVarName } from '../config-env.js';
import type { LineSink } from './output.js';
import { readInto } from './read-loop.js';
import { ProgressReporter, type TextSink } from './progress.js';
import { SingerWriter } from './singer.js';
import { allStreamsConfigured, buildSingerCatalog, parseSingerCatalog } from './singer-catalog.js';

export type SingerCommand = 'discover' | 'sync' | 'about';
export type AboutFormat = 'json' | 'markdown';

export interface SingerRunOptions {
  command: SingerCommand;
  format?: AboutFormat;
  version: string;
  /** The config file merged over the environment (cli.ts does the merge). */
  loadConfig: () => Promise<unknown>;
  /** undefined: no --catalog given (every stream, every field). */
  loadCatalog: () => Promise<unknown>;
  loadState: () => Promise<unknown>;
  out: LineSink;
  err: TextSink;
  redactor: Redactor;
  clock: Clock;
  dispatcher?: Dispatcher;
  signal?: AbortSignal;
}

export const CAPABILITIES = ['catalog', 'discover', 'state', 'about'] as const;
const NAME = 'source-pardot-export';
const DESCRIPTION = 'Salesforce Account Engagement (Pardot) through its bulk Export API: a Singer tap and an Airbyte source.';

type Schema = Record<string, unknown> & { properties?: Record<string, Schema>; oneOf?: Schema[]; airbyte_secret?: boolean };

/** A schema with Airbyte's secret marker also as `secret`/`writeOnly`, nested keys (`credentials` oneOf) included. */
function markSecrets(p: Schema): Schema {
  const out: Schema = p.airbyte_secret ? { ...p, secret: true, writeOnly: true } : { ...p };
  if (p.properties) out.properties = Object.fromEntries(Object.entries(p.properties).map(([k, v]) => [k, markSecrets(v)]));
  if (p.oneOf) out.oneOf = p.oneOf.map(markSecrets);
  return out;
}

/** The config schema as Meltano reads it: Airbyte's secret marker also as `secret`/`writeOnly`. */
function settingsSchema(): Record<string, unknown> {
  const { $schema: _s, ...spec } = SPEC.connectionSpecification as unknown as Schema;
  return markSecrets(spec);
}

/** Settings as Meltano names them: top-level keys, and `key.subkey` for an object's keys (every oneOf branch). */
function settingRows(properties: Record<string, Schema>): Array<[string, Schema]> {
  return Object.entries(properties).flatMap(([k, p]): Array<[string, Schema]> => {
    const branches = [p, ...(p.oneOf ?? [])].filter((b) => b.properties);
    if (branches.length === 0) return [[k, p]];
    const subs = new Map<string, Schema>();
    const consts = new Map<string, string[]>();
    for (const b of branches) {
      for (const [sk, sp] of Object.entries(b.properties!)) {
        if (!subs.has(sk)) subs.set(sk, sp);
        if (typeof sp.const === 'string') consts.set(sk, [...(consts.get(sk) ?? []), sp.const]);
      }
    }
    const row = (sk: string, sp: Schema): [string, Schema] => {
      const c = consts.get(sk);
      return [`${k}.${sk}`, c ? { ...sp, description: `${String(sp.title ?? sk)}: ${c.join(' or ')}` } : sp];
    };
    return [[k, p], ...[...subs.entries()].map(([sk, sp]) => row(sk, sp))];
  });
}

export function aboutInfo(version: string): Record<string, unknown> {
  return {
    name: NAME,
    description: DESCRIPTION,
    version,
    capabilities: [...CAPABILITIES],
    env_var_prefix: ENV_PREFIX,
    settings: settingsSchema(),
  };
}

export function aboutMarkdown(version: string): string {
  const s = settingsSchema() as { required: string[]; properties: Record<string, Schema> };
  const cell = (v: unknown) => (v === undefined ? '' : String(typeof v === 'string' ? v : JSON.stringify(v)).replace(/\|/g, '\\|'));
  const rows = settingRows(s.properties).map(
    ([k, p]) =>
      `| ${k} | ${s.required.includes(k) ? 'True' : 'False'} | ${cell(p.default)} | ${cell(p.description ?? p.title)}${p.secret ? ' (secret)' : ''} | \`${envVarName(k.replace('.', '_'))}\` |`,
  );
  return [
    `# \`${NAME}\` ${version}`,
    '',
    DESCRIPTION,
    '',
    '## Capabilities',
    '',
    ...CAPABILITIES.map((c) => `* \`${c}\``),
    '',
    '## Settings',
    '',
    '| Setting | Required | Default | Description | Environment variable |',
    '|:--------|:--------:|:-------:|:------------|:---------------------|',
    ...rows,
    '',
    `Settings may also come from environment variables (\`${ENV_PREFIX}<SETTING>\`); values in the config file win.`,
    '',
    `A full list of supported settings and capabilities is available by running: \`${NAME} --about\``,
    '',
  ].join('\n');
}

function errorLine(err: unknown, redactor: Redactor): string {
  const e = toConnectorError(err);
  const stream = typeof e.context.stream === 'string' ? ` [stream ${e.context.stream}]` : '';
  // One line: messages never hold newlines on purpose, but a cause's text might.
  return redactor.redact(`${NAME}: ERROR ${e.code}${stream}: ${e.message}`.replace(/\s*\n\s*/g, ' ')) + '\n';
}

export async function runSinger(o: SingerRunOptions): Promise<number> {
  const progress = new ProgressReporter(o.err, o.redactor, () => o.clock.now());
  const log = (level: string, message: string) => progress.line(level, message);
  // A misspelt key or hosts that contradict is_sandbox: WARN lines on stderr, before anything else.
  const loadConfig = async () => {
    const raw = await o.loadConfig();
    registerSecrets(raw, o.redactor);
    for (const w of configWarnings(raw)) log('WARN', w);
    return raw;
  };
  switch (o.command) {
    case 'about':
      await o.out.write(o.format === 'markdown' ? aboutMarkdown(o.version) : JSON.stringify(aboutInfo(o.version), null, 2) + '\n');
      return 0;
    case 'discover':
      try {
        const raw = await loadConfig();
        const rt = createRuntime(raw, o.redactor, { clock: o.clock, dispatcher: o.dispatcher, log });
        // The business unit's custom fields extend prospects (and prospect_accounts): one query call.
        await o.out.write(JSON.stringify(buildSingerCatalog(await discoverStreams(rt.api, rt.config, log, o.signal))) + '\n');
        return 0;
      } catch (err) {
        o.err.write(errorLine(err, o.redactor));
        return 1;
      }
    case 'sync': {
      let writer: SingerWriter | null = null;
      try {
        const raw = await loadConfig();
        const rt = createRuntime(raw, o.redactor, { clock: o.clock, dispatcher: o.dispatcher, log });
        const catalog = await o.loadCatalog();
        const streams = catalog === undefined ? allStreamsConfigured() : parseSingerCatalog(catalog);
        const parsed = parseState(await o.loadState(), STREAMS);
        for (const w of parsed.warnings) log('WARN', w);
        const initial: Record<string, StreamState> = {};
        for (const [name, cs] of parsed.streams) initial[name] = serializeState(STREAMS.find((s) => s.name === name)!, cs);
        writer = new SingerWriter(o.out, o.redactor, progress, streams, initial);
        await readInto(writer, { rt, streams, state: parsed.streams, clock: o.clock, signal: o.signal });
        await writer.finish();
        return 0;
      } catch (err) {
        // The bookmarks only ever hold emitted states, so repeating them keeps the last STATE valid.
        if (writer) await Promise.resolve(writer.finish()).catch(() => undefined);
        o.err.write(errorLine(err, o.redactor));
        return 1;
      }
    }
  }
}
