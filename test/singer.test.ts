/**
 * The Singer protocol through the BUILT executable against the loopback fake Pardot: the catalog
 * and its metadata, stream and field selection (and what is asked of Pardot), SCHEMA before RECORD,
 * records valid for strict targets, STATE, resume, --about, config from the environment, and errors.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import AjvModule from 'ajv';
import { parse as parseYaml } from 'yaml';
import addFormatsModule from 'ajv-formats';
import { generateData, startFakePardot, type FakePardot, type Row } from './fake-pardot/index.js';
import { fakeQueryObjects } from './helpers/query-objects.js';
import { BIN, runCli, tempDir, writeJson, type CliResult } from './helpers/cli.js';
import { STREAMS } from '../src/streams.js';
import { mergeEnvConfig } from '../src/config-env.js';
import { ProgressReporter } from '../src/protocol/progress.js';
import { Redactor } from '../src/redact.js';
import { untilRunEndPasses } from './helpers/scenario.js';

const Ajv = AjvModule.default ?? AjvModule;
const addFormats = addFormatsModule.default ?? addFormatsModule;

type Msg = Record<string, any>;
const TZ = 'America/Los_Angeles';
const NOW = Date.now();
const START = new Date(NOW - 400 * 86_400_000);
const SECRETS = ['test-client-secret', 'test-refresh-token'];

let fake: FakePardot;
let data: ReturnType<typeof generateData>;
let dir: string;
let configPath: string;
let discovered: Msg;

function config(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    client_id: 'test-client-id',
    client_secret: 'test-client-secret',
    refresh_token: 'test-refresh-token',
    pardot_business_unit_id: '0Uv000000000001AAA',
    start_date: START.toISOString(),
    timezone: TZ,
    api_base_url: fake.url,
    auth_base_url: fake.url,
    window_days: 150,
    poll_interval_seconds: 0.01,
    poll_max_interval_seconds: 0.05,
    // Bounds the per-window call estimate (polls up to this deadline) the API call ceiling uses.
    export_timeout_minutes: 0.05,
    ...over,
  };
}

const root = (s: Msg): Msg => s.metadata.find((m: Msg) => m.breadcrumb.length === 0).metadata;
const prop = (s: Msg, name: string): Msg | undefined =>
  s.metadata.find((m: Msg) => m.breadcrumb.length === 2 && m.breadcrumb[0] === 'properties' && m.breadcrumb[1] === name)?.metadata;

/** A catalog from discover: `select` maps stream -> true (all fields) or the list of fields to select. */
function catalogFrom(select: Record<string, true | string[]>, edit?: (s: Msg) => void): Msg {
  const cat = structuredClone(discovered);
  for (const s of cat.streams) {
    const want = select[s.tap_stream_id];
    root(s).selected = want !== undefined;
    if (Array.isArray(want)) {
      for (const m of s.metadata) if (m.breadcrumb.length === 2) m.metadata.selected = want.includes(m.breadcrumb[1]);
    }
    edit?.(s);
  }
  return cat;
}

/** --about prints a document, not message lines: run it without the line parser. */
async function about(...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [BIN, '--about', ...args]);
  return stdout;
}

const ofType = (r: CliResult, t: string) => r.messages.filter((m) => m.type === t);
const recordsOf = (r: CliResult, stream: string) => r.messages.filter((m) => m.type === 'RECORD' && m.stream === stream).map((m) => m.record);

beforeAll(async () => {
  data = generateData({ seed: 3, start: START, end: new Date(NOW - 10 * 60_000) });
  // The v5 query objects exist, with no records (the account route still answers its one record).
  const queryObjects = fakeQueryObjects({ seed: 3, start: START, end: new Date(NOW - 10 * 60_000), count: 0 });
  fake = await startFakePardot({ userTimezone: TZ, data, rowsPerFile: 50, pollsUntilComplete: 1, queryObjects });
  dir = tempDir();
  configPath = writeJson(dir, 'config.json', config());
  const r = await runCli(['--config', configPath, '--discover']);
  expect(r.code, r.stderr).toBe(0);
  discovered = r.messages[0]!;
});
afterAll(async () => {
  await fake?.close();
});

describe('--discover', () => {
  it('prints one Singer catalog: every stream with its schema, key and metadata', () => {
    expect(discovered.streams.map((s: Msg) => s.tap_stream_id)).toEqual(STREAMS.map((s) => s.name));
    for (const s of discovered.streams as Msg[]) {
      const def = STREAMS.find((d) => d.name === s.tap_stream_id)!;
      expect(s.stream).toBe(def.name);
      expect(s.key_properties).toEqual(['id']);
      expect(s.schema.type).toBe('object');
      // The stream's fields, then those the connector sets itself (deleted_visitors' isDeleted).
      expect(Object.keys(s.schema.properties)).toEqual([...def.fields.map((f) => f.name), ...Object.keys(def.constants)]);
      expect(JSON.stringify(s.schema)).not.toContain('airbyte_type');
      expect(s.schema.properties.id.type).toBe('integer');
      expect(root(s)).toMatchObject({
        'table-key-properties': ['id'],
        'valid-replication-keys': def.cursorField === null ? [] : [def.cursorField],
        inclusion: 'available',
        'selected-by-default': true,
      });
      // Where both methods are supported none is forced; deleted_prospects offers FULL_TABLE only.
      expect(root(s)['forced-replication-method']).toBe(def.syncModes.includes('incremental') ? undefined : 'FULL_TABLE');
      for (const f of def.fields) {
        const md = prop(s, f.name);
        expect(md, `${def.name}.${f.name}`).toBeDefined();
        // The key, the cursor, and isDeleted where deleted rows are asked for, are always emitted.
        expect(md!.inclusion).toBe(def.automaticFields.includes(f.name) ? 'automatic' : 'available');
        if (f.type === 'DateTime') expect(s.schema.properties[f.name].format).toBe('date-time');
        if (f.name !== 'id') expect(s.schema.properties[f.name].type).toContain('null');
      }
    }
  });

  it('validates the config: a bad one is a one-line error on stderr, exit 1, nothing on stdout', async () => {
    const r = await runCli(['--config', writeJson(dir, 'bad.json', config({ timezone: 'Mars/Olympus' })), '--discover']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/ERROR CONFIG_INVALID: .*timezone/);
  });
});

describe('sync', () => {
  let run: CliResult;
  const exportsBefore = () => fake.exports.length;
  let firstExport = 0;
  let readStart = 0;

  beforeAll(async () => {
    firstExport = exportsBefore();
    readStart = Date.now();
    const cat = catalogFrom({ prospects: ['email', 'score'], visitor_activities: true, external_activities: true }, (s) => {
      // selected-by-default is the fallback when a field carries no `selected`.
      if (s.tap_stream_id === 'external_activities') for (const m of s.metadata) if (m.breadcrumb.length === 2) delete m.metadata.selected;
    });
    run = await runCli(['--config', configPath, '--catalog', writeJson(dir, 'cat.json', cat)]);
  });

  it('exits 0; stdout holds only upper-case Singer messages', () => {
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    for (const m of run.messages) expect(['SCHEMA', 'RECORD', 'STATE']).toContain(m.type);
  });

  it('syncs only the selected streams', () => {
    const streams = new Set(ofType(run, 'RECORD').map((m) => m.stream));
    expect([...streams].sort()).toEqual(['external_activities', 'prospects', 'visitor_activities']);
    expect(ofType(run, 'SCHEMA').map((m) => m.stream)).toEqual(['prospects', 'visitor_activities', 'external_activities']);
  });

  it('emits and requests only the selected fields, plus the key and the cursor', () => {
    for (const rec of recordsOf(run, 'prospects')) expect(Object.keys(rec)).toEqual(['id', 'email', 'score', 'updatedAt']);
    const prospectExports = fake.exports.slice(firstExport).filter((e) => e.object === 'prospect');
    expect(prospectExports.length).toBeGreaterThan(0);
    for (const e of prospectExports) expect(e.fields).toEqual(['id', 'email', 'score', 'updatedAt']);
    const ext = STREAMS.find((s) => s.name === 'external_activities')!;
    for (const rec of recordsOf(run, 'external_activities').slice(0, 5)) expect(Object.keys(rec)).toEqual(ext.fields.map((f) => f.name));
  });

  it('SCHEMA (of exactly the emitted fields, with key and bookmark properties) precedes the first RECORD', () => {
    const seen = new Set<string>();
    for (const m of run.messages) {
      if (m.type === 'SCHEMA') {
        seen.add(m.stream);
        expect(m.key_properties).toEqual(['id']);
        const c = STREAMS.find((s) => s.name === m.stream)!.cursorField;
        expect(m.bookmark_properties).toEqual(c === null ? [] : [c]);
      }
      if (m.type === 'RECORD') expect(seen.has(m.stream), `RECORD of ${m.stream} before its SCHEMA`).toBe(true);
    }
    const ps = ofType(run, 'SCHEMA').find((m) => m.stream === 'prospects')!;
    expect(Object.keys(ps.schema.properties)).toEqual(['id', 'email', 'score', 'updatedAt']);
  });

  it('records pass a strict target: valid against SCHEMA, integers printed as integers, date-times with offset', () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    const schemas = new Map(ofType(run, 'SCHEMA').map((m) => [m.stream, { schema: m.schema, v: ajv.compile(m.schema) }]));
    const lines = run.stdout.split('\n').filter((l) => l.startsWith('{"type":"RECORD"'));
    expect(lines.length).toBeGreaterThan(100);
    for (const line of lines) {
      const m = JSON.parse(line) as Msg;
      expect(Date.parse(m.time_extracted)).not.toBeNaN();
      expect(m.time_extracted).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
      const { schema, v } = schemas.get(m.stream)!;
      expect(v(m.record), `${m.stream}: ${ajv.errorsText(v.errors)}`).toBe(true);
      for (const [k, p] of Object.entries(schema.properties as Record<string, Msg>)) {
        const val = m.record[k];
        if (val === null) continue;
        const types = ([] as string[]).concat(p.type);
        if (types.includes('integer')) {
          expect(Number.isInteger(val)).toBe(true);
          expect(line).toMatch(new RegExp(`"${k}":${val}[,}]`));
        }
        if (p.format === 'date-time') expect(val).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$/);
      }
    }
  });

  it('emits STATE with value.bookmarks[stream] after windows, and ends with a STATE', () => {
    const states = ofType(run, 'STATE');
    expect(states.length).toBeGreaterThan(3);
    const last = run.messages.at(-1)!;
    expect(last.type).toBe('STATE');
    for (const s of ['prospects', 'visitor_activities', 'external_activities']) {
      const cursor = STREAMS.find((d) => d.name === s)!.cursorField;
      const b = last.value.bookmarks[s];
      expect(Date.parse(b[cursor])).toBeLessThanOrEqual(readStart);
      expect(b.in_flight).toBeUndefined();
    }
    expect(last.value.bookmarks.visitors).toBeUndefined();
  });

  it('prints progress and a summary on stderr, never a secret anywhere', () => {
    expect(run.stderr).toMatch(/prospects: window \d+\/\d+ done, \d+ rows, \d+ rows\/s, \d+ API calls so far/);
    expect(run.stderr).toMatch(/Sync summary/);
    expect(run.stderr).toMatch(/external_activities: COMPLETE, \d+ rows, \d+ windows, \d+ exports/);
    expect(run.stderr).toMatch(/API calls: \d+ \(token/);
    expect(run.stderr).not.toMatch(/\x1b\[/); // stderr is not a terminal here: no live line
    for (const s of SECRETS) expect(run.stdout + run.stderr).not.toContain(s);
  });

  it('resumes from its final STATE: nothing older than the boundary, other bookmarks kept', async () => {
    const last = run.messages.at(-1)!.value as Msg;
    const boundary = Date.parse(last.bookmarks.prospects.updatedAt);
    const fresh: Row[] = [
      { ...(data.prospect[0] as Row), id: 920001, isDeleted: false, updatedAt: new Date(boundary) },
      { ...(data.prospect[0] as Row), id: 920002, isDeleted: false, updatedAt: new Date(boundary - 1000) },
    ];
    fake.setData('prospect', [...(data.prospect as Row[]), ...fresh]);
    // The next run's windows end at now minus lookback_seconds (300 by default): wait until that passes the boundary.
    await untilRunEndPasses(boundary);
    const state = { bookmarks: { ...last.bookmarks, visitors: { updatedAt: '2020-01-01T00:00:00Z' } } };
    const cat = catalogFrom({ prospects: ['email'] });
    const second = await runCli(['--config', configPath, '--properties', writeJson(dir, 'cat2.json', cat), '--state', writeJson(dir, 'state.json', state)]);
    expect(second.code, second.stderr.slice(-2000)).toBe(0);
    expect(recordsOf(second, 'prospects').map((r) => r.id)).toEqual([920001]);
    const end = second.messages.at(-1)!;
    expect(end.type).toBe('STATE');
    expect(end.value.bookmarks.visitors.updatedAt).toBe('2020-01-01T00:00:00Z');
    expect(end.value.bookmarks.external_activities.createdAt).toBe(last.bookmarks.external_activities.createdAt);
    expect(Date.parse(end.value.bookmarks.prospects.updatedAt)).toBeGreaterThan(boundary);
  });

  it('without --catalog syncs every stream (singer-sdk behaviour), a stream from a future cursor still ends with STATE', async () => {
    const state = {
      bookmarks: Object.fromEntries(STREAMS.filter((s) => s.cursorField !== null).map((s) => [s.name, { [s.cursorField!]: '2099-01-01T00:00:00Z' }])),
    };
    const r = await runCli(['--config', configPath, '--state', writeJson(dir, 'future.json', state)]);
    expect(r.code, r.stderr).toBe(0);
    // Full-table streams ignore the bookmark by design: deleted_prospects, and the streams with no
    // cursor (the account's one record here; the other query objects have no records).
    expect(new Set(ofType(r, 'RECORD').map((m) => m.stream))).toEqual(new Set(['account', ...(ofType(r, 'RECORD').some((m) => m.stream === 'deleted_prospects') ? ['deleted_prospects'] : [])]));
    expect(ofType(r, 'SCHEMA').map((m) => m.stream)).toEqual(STREAMS.map((s) => s.name));
    expect(r.messages.at(-1)!.value.bookmarks.prospects.updatedAt).toBe('2099-01-01T00:00:00Z');
  });
});

describe('failures', () => {
  it.each([
    ['an unknown stream', { streams: [{ tap_stream_id: 'email_clicks', metadata: [{ breadcrumb: [], metadata: { selected: true } }] }] }, /stream 'email_clicks'/],
    ['LOG_BASED replication', 'LOG_BASED', /replication-method "LOG_BASED"; supported: INCREMENTAL, FULL_TABLE/],
    ['a foreign replication key', 'key', /replication-key "createdAt"; its only valid replication key is 'updatedAt'/],
    ['no stream selected', 'none', /selects no stream/],
    ['a catalog that is not JSON', '{nope', /CATALOG_NOT_JSON: The --catalog file/],
  ])('a bad catalog (%s): clear error, exit 1, no output', async (_n, cat, pattern) => {
    let body: unknown = cat;
    if (cat === 'LOG_BASED') body = catalogFrom({ prospects: true }, (s) => (root(s)['replication-method'] = 'LOG_BASED'));
    if (cat === 'key') body = catalogFrom({ prospects: true }, (s) => (root(s)['replication-key'] = 'createdAt'));
    if (cat === 'none') body = catalogFrom({});
    const r = await runCli(['--config', configPath, '--catalog', writeJson(dir, 'badcat.json', body as never)]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(pattern);
  });

  it('FULL_TABLE is accepted and reads from start_date despite a bookmark', async () => {
    const cat = catalogFrom({ prospect_accounts: ['name'] }, (s) => (root(s)['replication-method'] = 'FULL_TABLE'));
    const state = { bookmarks: { prospect_accounts: { updatedAt: '2099-01-01T00:00:00Z' } } };
    const r = await runCli(['--config', configPath, '--catalog', writeJson(dir, 'ft.json', cat), '--state', writeJson(dir, 'ft-state.json', state)]);
    expect(r.code, r.stderr).toBe(0);
    expect(recordsOf(r, 'prospect_accounts').length).toBeGreaterThan(0);
  });

  it('a failure mid-sync: one-line error with its code on stderr, exit 1, stdout still ends with a valid STATE', async () => {
    const p = writeJson(dir, 'tz.json', config({ timezone: 'Europe/Paris' }));
    const r = await runCli(['--config', p, '--catalog', writeJson(dir, 'c1.json', catalogFrom({ prospects: true }))]);
    expect(r.code).toBe(1);
    expect(ofType(r, 'RECORD')).toHaveLength(0);
    expect(r.messages.at(-1)!.type).toBe('STATE');
    const errors = r.stderr.split('\n').filter((l) => l.includes(' ERROR '));
    // The zone is checked against Pardot's date-times at the start of the sync, before any stream.
    expect(errors.at(-1)).toMatch(/ERROR TIMEZONE_MISMATCH: .*Europe\/Paris/);
    for (const s of SECRETS) expect(r.stdout + r.stderr).not.toContain(s);
  });

  it('usage errors exit 2', async () => {
    expect((await runCli(['--config', configPath, '--catalog', 'a', '--properties', 'b'])).code).toBe(2);
    expect((await runCli(['--about', '--format', 'yaml'])).code).toBe(2);
    expect((await runCli(['--config', configPath, '--bogus'])).code).toBe(2);
  });
});

describe('--about', () => {
  it('json: name, description, version, capabilities and the settings schema with secrets marked', async () => {
    const info = JSON.parse(await about('--format', 'json'));
    expect(info.name).toBe('source-pardot-export');
    expect(info.description).toMatch(/Pardot/);
    expect(info.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(info.capabilities).toEqual(['catalog', 'discover', 'state', 'about']);
    expect(info.settings.required).toEqual(['pardot_business_unit_id']);
    expect(info.settings.properties.client_secret).toMatchObject({ type: 'string', secret: true, writeOnly: true });
    for (const branch of info.settings.properties.credentials.oneOf) {
      expect(branch.properties.client_secret).toMatchObject({ type: 'string', secret: true, writeOnly: true });
    }
    expect(info.settings.properties.credentials.oneOf[0].properties.refresh_token).toMatchObject({ secret: true });
    expect(info.settings.properties.window_days.type).toBe('integer');
    expect(JSON.parse(await about())).toEqual(info);
  });

  it('markdown: capabilities and a settings table', async () => {
    const md = await about('--format', 'markdown');
    expect(md).toMatch(/^# `source-pardot-export`/);
    expect(md).toMatch(/## Capabilities\n\n\* `catalog`\n\* `discover`\n\* `state`\n\* `about`/);
    expect(md).toMatch(/\| client_secret \| False \|.*\(secret\).*`TAP_PARDOT_EXPORT_CLIENT_SECRET`/);
    expect(md).toMatch(/\| credentials\.client_secret \| False \|.*\(secret\).*`TAP_PARDOT_EXPORT_CREDENTIALS_CLIENT_SECRET`/);
    expect(md).toMatch(/\| credentials\.auth_type \| False \|.*refresh_token or client_credentials.*`TAP_PARDOT_EXPORT_CREDENTIALS_AUTH_TYPE`/);
  });
});

describe('config from the environment', () => {
  it('mergeEnvConfig: typed by spec.json, file values win, unknown variables ignored', () => {
    const env = {
      TAP_PARDOT_EXPORT_CLIENT_SECRET: 's3cret-env',
      TAP_PARDOT_EXPORT_WINDOW_DAYS: '30',
      TAP_PARDOT_EXPORT_IS_SANDBOX: 'true',
      TAP_PARDOT_EXPORT_POLL_INTERVAL_SECONDS: '0.5',
      TAP_PARDOT_EXPORT_TIMEZONE: 'UTC',
      TAP_PARDOT_EXPORT_NOT_A_SETTING: 'x',
    };
    expect(mergeEnvConfig({ timezone: 'Europe/Paris' }, env)).toEqual({
      client_secret: 's3cret-env',
      window_days: 30,
      is_sandbox: true,
      poll_interval_seconds: 0.5,
      timezone: 'Europe/Paris',
    });
    expect(mergeEnvConfig(undefined, { TAP_PARDOT_EXPORT_INCLUDE_DELETED: 'false' })).toEqual({ include_deleted: false });
    expect(() => mergeEnvConfig({}, { TAP_PARDOT_EXPORT_WINDOW_DAYS: '1.5' })).toThrow(/TAP_PARDOT_EXPORT_WINDOW_DAYS must be an integer/);
    expect(() => mergeEnvConfig({}, { TAP_PARDOT_EXPORT_IS_SANDBOX: 'maybe' })).toThrow(/must be true or false/);
    expect(mergeEnvConfig([1], env)).toEqual([1]);
  });

  it('syncs with the secrets only in the environment, and never prints them', async () => {
    const { client_secret: _a, refresh_token: _b, window_days: _c, ...rest } = config();
    const p = writeJson(dir, 'env-config.json', { ...rest, window_days: 200 });
    const env = {
      TAP_PARDOT_EXPORT_CLIENT_SECRET: 'test-client-secret',
      TAP_PARDOT_EXPORT_REFRESH_TOKEN: 'test-refresh-token',
      TAP_PARDOT_EXPORT_WINDOW_DAYS: 'not-a-number-but-the-file-wins',
    };
    const r = await runCli(['--config', p, '--catalog', writeJson(dir, 'env-cat.json', catalogFrom({ list_memberships: ['listId'] }))], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(recordsOf(r, 'list_memberships').length).toBeGreaterThan(0);
    for (const s of SECRETS) expect(r.stdout + r.stderr).not.toContain(s);
  });

  it('config wholly from the environment (no --config)', async () => {
    const env = Object.fromEntries(Object.entries(config()).map(([k, v]) => [`TAP_PARDOT_EXPORT_${k.toUpperCase()}`, String(v)]));
    const r = await runCli(['--discover'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.messages[0]!.streams).toHaveLength(STREAMS.length);
  });

  it('a secret missing from both file and environment: a config error naming it', async () => {
    const { refresh_token: _r, ...rest } = config();
    const r = await runCli(['--config', writeJson(dir, 'no-rt.json', rest), '--discover']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/refresh_token/);
  });
});

describe('platform files agree with the connector', () => {
  const repo = join(import.meta.dirname, '..');
  const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string };
  const spec = JSON.parse(readFileSync(join(repo, 'spec.json'), 'utf8')) as { connectionSpecification: { properties: Record<string, Msg> } };

  it('metadata.yaml: Airbyte connector metadata with the required fields, image and version', () => {
    const meta = parseYaml(readFileSync(join(repo, 'metadata.yaml'), 'utf8')) as Msg;
    expect(meta.metadataSpecVersion).toBeTypeOf('string');
    for (const k of ['name', 'definitionId', 'connectorType', 'dockerRepository', 'dockerImageTag', 'license', 'documentationUrl', 'githubIssueLabel', 'connectorSubtype', 'releaseStage']) {
      expect(meta.data[k], k).toBeDefined();
    }
    expect(meta.data.definitionId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(meta.data.connectorType).toBe('source');
    expect(meta.data.dockerImageTag).toBe(pkg.version);
    const dockerfile = readFileSync(join(repo, 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain(`io.airbyte.name="${meta.data.dockerRepository}"`);
    expect(dockerfile).toMatch(new RegExp(`ARG VERSION=${pkg.version.replace(/\./g, '\\.')}\\b`));
  });

  it('meltano.yml: the extractor declares the executable, the capabilities and every setting, secrets sensitive', async () => {
    const project = parseYaml(readFileSync(join(repo, 'meltano.yml'), 'utf8')) as Msg;
    const tap = project.plugins.extractors.find((p: Msg) => p.name === 'tap-pardot-export');
    expect(tap.executable).toBe('source-pardot-export');
    const info = JSON.parse(await about());
    expect(tap.capabilities).toEqual(info.capabilities);
    const props = spec.connectionSpecification.properties;
    // Nested settings (Meltano's `key.subkey`) name the keys of an object setting's oneOf branches.
    expect([...new Set(tap.settings.map((s: Msg) => s.name.split('.')[0]))].sort()).toEqual(Object.keys(props).sort());
    const schemaOf = (name: string): Msg => {
      const [key, sub] = name.split('.');
      if (!sub) return props[key!]!;
      const found = (props[key!]!.oneOf as Msg[]).map((b) => b.properties[sub]).filter(Boolean);
      expect(found.length, name).toBeGreaterThan(0);
      return found[0];
    };
    for (const s of tap.settings as Msg[]) expect(s.sensitive === true, s.name).toBe(schemaOf(s.name).airbyte_secret === true);
    expect(tap.settings.map((s: Msg) => s.name)).toEqual(expect.arrayContaining(['credentials.auth_type', 'credentials.client_secret']));
  });
});

describe('stderr progress', () => {
  function reporter(isTTY: boolean) {
    let text = '';
    let t = 0;
    const r = new ProgressReporter({ isTTY, write: (s) => void (text += s) }, new Redactor(), () => (t += 1000));
    return { r, text: () => text };
  }
  const events = [
    { type: 'status', stream: 'prospects', status: 'STARTED' },
    { type: 'records', stream: 'prospects', lines: ['{"id":1}', '{"id":2}'], extractedAt: 0 },
    { type: 'progress', stream: 'prospects', windowsDone: 1, windowsPlanned: 3, rows: 2, rowsPerSecond: 2, apiCalls: 7 },
    { type: 'log', level: 'DEBUG', message: 'hidden' },
    { type: 'status', stream: 'prospects', status: 'COMPLETE' },
    {
      type: 'summary',
      streams: [{ stream: 'prospects', rows: 2, windows: 1, exports: 1, status: 'COMPLETE', seconds: 1 }],
      apiCalls: { token: 1, account: 1, create: 1, read: 2, download: 1, cancel: 0, query: 0 },
      seconds: 2,
    },
  ] as const;

  it('not a terminal: plain lines only (window progress, summary), no DEBUG', () => {
    const { r, text } = reporter(false);
    for (const ev of events) r.event(ev as never);
    expect(text()).not.toMatch(/\r|\x1b/);
    expect(text()).toContain('prospects: window 1/3 done, 2 rows, 2 rows/s, 7 API calls so far.');
    expect(text()).toContain('prospects: COMPLETE, 2 rows, 1 windows, 1 exports, 1.0 s');
    expect(text()).toContain('API calls: 6 (token 1, account 1, create 1, read 2, download 1, cancel 0, query 0)');
    expect(text()).not.toContain('hidden');
  });

  it('a terminal: a live line per stream (windows done / planned, rows, rate), redrawn in place and kept at the end', () => {
    const { r, text } = reporter(true);
    for (const ev of events) r.event(ev as never);
    expect(text()).toMatch(/\r\x1b\[2K {2}prospects: windows 0\/\?, 0 rows/);
    expect(text()).toMatch(/\r\x1b\[2K {2}prospects: windows 1\/3, 2 rows, \d+ rows\/s\n/);
  });
});
