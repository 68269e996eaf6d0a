/**
 * The SAME conformance checks through both protocols, against the loopback fake Pardot, driving
 * the built executable (in the spirit of Airbyte's acceptance tests and singer-sdk's tap tests):
 * the catalog is complete, each record comes after its stream's schema and is valid against it,
 * the run ends with state, and a run resumed from that state re-emits nothing older than the boundary.
 *
 * Each protocol is an entry of PROTOCOLS: how to discover, how to select everything, how to read,
 * and how to find schemas, records and the final state in its output. The checks never look at
 * the wire format directly.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import AjvModule from 'ajv';
import addFormatsModule from 'ajv-formats';
import { generateData, startFakePardot, type FakePardot, type Row } from './fake-pardot/index.js';
import { runCli, tempDir, writeJson, type CliResult } from './helpers/cli.js';
import { fakeQueryObjects } from './helpers/query-objects.js';
import { STREAMS } from '../src/streams.js';
import { untilRunEndPasses } from './helpers/scenario.js';

const Ajv = AjvModule.default ?? AjvModule;
const addFormats = addFormatsModule.default ?? addFormatsModule;

type Msg = Record<string, any>;
interface DiscoveredStream {
  name: string;
  schema: { properties: Record<string, unknown> };
  key: string[];
  cursor: string | null;
}
interface Emitted {
  stream: string;
  data: Record<string, any>;
  /** The schema the protocol had declared for the stream when this record came (undefined: none yet). */
  schema: Record<string, unknown> | undefined;
}
interface ReadRun {
  result: CliResult;
  records: Emitted[];
  /** The output ends with state: the last message carrying data (records or state) is a state. */
  endsWithState: boolean;
  /** What to pass as --state to resume. */
  resumeState: unknown;
  /** The cursor boundary per stream in that state (epoch ms). */
  boundary(stream: string): number;
}
interface Protocol {
  name: string;
  discover(config: string): Promise<DiscoveredStream[]>;
  /** A catalog selecting every stream and field, incremental. */
  catalog(config: string): Promise<unknown>;
  read(config: string, catalog: string, state?: string): Promise<ReadRun>;
}

const cursorOf = (name: string) => STREAMS.find((s) => s.name === name)!.cursorField;

const airbyte: Protocol = {
  name: 'airbyte',
  async discover(config) {
    const r = await runCli(['discover', '--config', config]);
    expect(r.code).toBe(0);
    const streams = r.messages.find((m) => m.type === 'CATALOG')!.catalog.streams as Msg[];
    return streams.map((s) => ({ name: s.name, schema: s.json_schema, key: s.source_defined_primary_key.flat(), cursor: s.default_cursor_field?.[0] ?? null }));
  },
  async catalog(config) {
    const r = await runCli(['discover', '--config', config]);
    const streams = r.messages.find((m) => m.type === 'CATALOG')!.catalog.streams as Msg[];
    return {
      streams: streams.map((s) => ({
        stream: s,
        sync_mode: s.supported_sync_modes.includes('incremental') ? 'incremental' : 'full_refresh',
        destination_sync_mode: 'append_dedup',
        primary_key: [['id']],
      })),
    };
  },
  async read(config, catalog, state) {
    const result = await runCli(['read', '--config', config, '--catalog', catalog, ...(state ? ['--state', state] : [])]);
    // Airbyte declares schemas in the configured catalog, before the read.
    const cat = JSON.parse(readFileSync(catalog, 'utf8')) as Msg;
    const schemas = new Map<string, Record<string, unknown>>(cat.streams.map((s: Msg) => [s.stream.name, s.stream.json_schema]));
    const records = result.messages
      .filter((m) => m.type === 'RECORD')
      .map((m) => ({ stream: m.record.stream, data: m.record.data, schema: schemas.get(m.record.stream) }));
    const dataMsgs = result.messages.filter((m) => m.type === 'RECORD' || m.type === 'STATE');
    const lastState = new Map<string, Msg>();
    for (const m of result.messages) if (m.type === 'STATE') lastState.set(m.state.stream.stream_descriptor.name, m.state);
    return {
      result,
      records,
      endsWithState: dataMsgs.at(-1)?.type === 'STATE',
      resumeState: [...lastState.values()],
      boundary: (s) => Date.parse(lastState.get(s)!.stream.stream_state[cursorOf(s)!]),
    };
  },
};

const singer: Protocol = {
  name: 'singer',
  async discover(config) {
    const r = await runCli(['--config', config, '--discover']);
    expect(r.code).toBe(0);
    expect(r.messages).toHaveLength(1);
    return (r.messages[0]!.streams as Msg[]).map((s) => ({
      name: s.tap_stream_id,
      schema: s.schema,
      key: s.key_properties,
      cursor: s.metadata.find((m: Msg) => m.breadcrumb.length === 0).metadata['valid-replication-keys'][0] ?? null,
    }));
  },
  async catalog(config) {
    const r = await runCli(['--config', config, '--discover']);
    const cat = r.messages[0]!;
    for (const s of cat.streams) s.metadata.find((m: Msg) => m.breadcrumb.length === 0).metadata.selected = true;
    return cat;
  },
  async read(config, catalog, state) {
    const result = await runCli(['--config', config, '--catalog', catalog, ...(state ? ['--state', state] : [])]);
    const schemas = new Map<string, Record<string, unknown>>();
    const records: Emitted[] = [];
    for (const m of result.messages) {
      if (m.type === 'SCHEMA') schemas.set(m.stream, m.schema);
      if (m.type === 'RECORD') records.push({ stream: m.stream, data: m.record, schema: schemas.get(m.stream) });
    }
    const last = result.messages.at(-1);
    const bookmarks = last?.type === 'STATE' ? (last.value.bookmarks as Msg) : {};
    return {
      result,
      records,
      endsWithState: last?.type === 'STATE',
      resumeState: last?.value,
      boundary: (s) => Date.parse(bookmarks[s][cursorOf(s)!]),
    };
  },
};

const PROTOCOLS: Protocol[] = [airbyte, singer];

describe.each(PROTOCOLS)('conformance: $name', (p) => {
  const TZ = 'America/Chicago';
  const NOW = Date.now();
  const START = new Date(NOW - 400 * 86_400_000);
  let fake: FakePardot;
  let data: ReturnType<typeof generateData>;
  let dir: string;
  let config: string;
  let catalogPath: string;
  let first: ReadRun;
  let readStart: number;
  let queryObjects: ReturnType<typeof fakeQueryObjects>;

  beforeAll(async () => {
    data = generateData({ seed: 11, start: START, end: new Date(NOW - 10 * 60_000) });
    // Every v5 query object too, with a record cap of 7 so that each sequence continues past it.
    queryObjects = fakeQueryObjects({ seed: 3, start: START, end: new Date(NOW - 10 * 60_000), count: 15 });
    fake = await startFakePardot({ userTimezone: TZ, data, rowsPerFile: 50, pollsUntilComplete: 1, queryObjects, queryTokenCap: 7 });
    dir = tempDir();
    config = writeJson(dir, 'config.json', {
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
    });
    catalogPath = writeJson(dir, 'catalog.json', await p.catalog(config));
    readStart = Date.now();
    first = await p.read(config, catalogPath);
  });
  afterAll(async () => {
    await fake?.close();
  });

  it('discover: the catalog is complete (every stream, every field, key and cursor)', async () => {
    const streams = await p.discover(config);
    expect(streams.map((s) => s.name).sort()).toEqual(STREAMS.map((s) => s.name).sort());
    for (const s of streams) {
      const def = STREAMS.find((d) => d.name === s.name)!;
      // The standard fields in order, then the business unit's custom fields (prospects: the fake lists some).
      const props = s.schema.properties as Record<string, Record<string, unknown>>;
      const custom = Object.keys(props).filter((k) => props[k]!['x-pardot-custom'] === true);
      // ... and last those the connector sets itself (deleted_visitors' isDeleted).
      expect(Object.keys(props).filter((k) => !custom.includes(k))).toEqual([...def.fields.map((f) => f.name), ...Object.keys(def.constants)]);
      if (s.name !== 'prospects') expect(custom).toEqual([]);
      expect(s.key).toEqual(['id']);
      expect(s.cursor).toBe(def.cursorField);
    }
  });

  it('read: exits 0 and every stream emits records', () => {
    expect(first.result.code, first.result.stderr.slice(-2000)).toBe(0);
    for (const s of STREAMS) expect(first.records.some((r) => r.stream === s.name), s.name).toBe(true);
  });

  it('read: every v5 query stream gives each of its records exactly once, past a record cap of 7', () => {
    for (const s of STREAMS) {
      if (s.kind !== 'query' || s.query.singleton) continue;
      const rows = queryObjects[s.query.object]!.rows as Row[];
      const got = first.records.filter((r) => r.stream === s.name).map((r) => r.data.id as number);
      expect(got.length, s.name).toBe(rows.length);
      expect(new Set(got), s.name).toEqual(new Set(rows.map((r) => r.id)));
    }
  });

  it('read: each record comes after its stream schema and is valid against it (strict types)', () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    const compiled = new Map<unknown, ReturnType<typeof ajv.compile>>();
    for (const r of first.records) {
      expect(r.schema, `${r.stream}: record before its schema`).toBeDefined();
      let v = compiled.get(r.schema);
      if (!v) compiled.set(r.schema, (v = ajv.compile(r.schema!)));
      expect(v(r.data), `${r.stream}: ${ajv.errorsText(v.errors)}`).toBe(true);
      expect(Number.isInteger(r.data.id)).toBe(true);
      const cursor = cursorOf(r.stream);
      if (cursor === null) continue;
      const c = r.data[cursor];
      expect(c).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$/);
    }
  });

  it('read: the output ends with state, whose cursor is not after the sync start', () => {
    expect(first.endsWithState).toBe(true);
    for (const s of STREAMS) if (s.cursorField !== null) expect(first.boundary(s.name), s.name).toBeLessThanOrEqual(readStart);
  });

  it('resume: a run from the final state re-emits nothing older than the boundary', async () => {
    const pb = first.boundary('prospects');
    const fresh: Row[] = [
      { ...(data.prospect[0] as Row), id: 910001, isDeleted: false, updatedAt: new Date(pb) },
      { ...(data.prospect[0] as Row), id: 910002, isDeleted: false, updatedAt: new Date(pb - 1000) },
    ];
    fake.setData('prospect', [...(data.prospect as Row[]), ...fresh]);
    // The next run's windows end at now minus lookback_seconds (300 by default): wait until that passes the boundary.
    await untilRunEndPasses(pb);
    const second = await p.read(config, catalogPath, writeJson(dir, 'state.json', first.resumeState));
    expect(second.result.code, second.result.stderr.slice(-2000)).toBe(0);
    for (const r of second.records) {
      // Full refresh only (no cursor, or deleted_prospects): every run reads it all by design.
      if (!STREAMS.find((s) => s.name === r.stream)!.syncModes.includes('incremental')) continue;
      expect(Date.parse(r.data[cursorOf(r.stream)]), `${r.stream} ${r.data.id}`).toBeGreaterThanOrEqual(first.boundary(r.stream));
    }
    expect(second.records.filter((r) => r.stream === 'prospects').map((r) => r.data.id)).toEqual([910001]);
    expect(second.endsWithState).toBe(true);
  });
});
