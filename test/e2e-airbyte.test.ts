/**
 * The whole connector, as built, against the loopback fake Pardot, through the Airbyte protocol:
 * spec, check, discover, read (incremental and full refresh), and a second read from the final state.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import AjvModule from 'ajv';
import addFormatsModule from 'ajv-formats';
import { formatWallTime, generateData, startFakePardot, type FakePardot, type Row } from './fake-pardot/index.js';
import { loadProtocolValidator } from './helpers/airbyte-schema.js';
import { ofType, records, runCli, tempDir, writeJson, type CliResult } from './helpers/cli.js';
import { EXPORT_STREAMS as STREAMS, STREAMS as ALL_STREAMS, syncModes } from '../src/streams.js';
import { sameInstant as sameInstantIn, untilRunEndPasses } from './helpers/scenario.js';

const Ajv = AjvModule.default ?? AjvModule;
const addFormats = addFormatsModule.default ?? addFormatsModule;

const TZ = 'America/Los_Angeles';
const NOW = Date.now();
const START = new Date(NOW - 3 * 365 * 86_400_000); // three years back: several windows per stream
const DATA_END = new Date(NOW - 10 * 60_000);
const protocol = loadProtocolValidator();

let fake: FakePardot;
let data: ReturnType<typeof generateData>;
let dir: string;
let configPath: string;

function config(over: Record<string, unknown> = {}) {
  return {
    client_id: 'test-client-id',
    client_secret: 'test-client-secret',
    refresh_token: 'test-refresh-token',
    pardot_business_unit_id: '0Uv000000000001AAA',
    start_date: START.toISOString(),
    timezone: TZ,
    api_base_url: fake.url,
    auth_base_url: fake.url,
    window_days: 200,
    poll_interval_seconds: 0.01,
    poll_max_interval_seconds: 0.05,
    // Bounds the per-window call estimate (polls up to this deadline) the API call ceiling uses.
    export_timeout_minutes: 0.05,
    ...over,
  };
}

function catalog(mode: 'incremental' | 'full_refresh', names = STREAMS.map((s) => s.name)) {
  return {
    streams: names.map((name) => ({
      stream: { name, json_schema: {}, supported_sync_modes: [...STREAMS.find((s) => s.name === name)!.syncModes] },
      // deleted_prospects offers full refresh only.
      sync_mode: STREAMS.find((s) => s.name === name)!.syncModes.includes(mode) ? mode : 'full_refresh',
      destination_sync_mode: 'append',
    })),
  };
}

function assertProtocolValid(r: CliResult) {
  if (!protocol.available) return;
  for (const m of r.messages) {
    const err = protocol.validate(m);
    if (err) throw new Error(`invalid ${m.type} message: ${err}\n${JSON.stringify(m).slice(0, 300)}`);
  }
}

/** Rows Pardot would export for a stream over [from, to): the procedure's date field strictly inside, deleted per the procedure. */
function expectedRows(object: keyof typeof data, cursorField: string, from: number, to: number, deleted: 'config' | 'live' | 'only'): Row[] {
  return (data[object] as Row[]).filter((r) => {
    const v = r[cursorField];
    if (!(v instanceof Date)) return false;
    const t = Math.floor(v.getTime() / 1000) * 1000;
    // 'config' (include_deleted on): live and deleted; 'live': Pardot's default; 'only': deleted=true.
    if (deleted === 'live' && r.isDeleted === true) return false;
    if (deleted === 'only' && r.isDeleted !== true) return false;
    return t >= from && t < to;
  });
}

beforeAll(async () => {
  data = generateData({ seed: 7, start: START, end: DATA_END });
  fake = await startFakePardot({ userTimezone: TZ, data, rowsPerFile: 40, pollsUntilComplete: 2 });
  dir = tempDir();
  configPath = writeJson(dir, 'config.json', config());
});
afterAll(async () => {
  await fake?.close();
});

describe('spec', () => {
  it('prints one valid SPEC message and exits 0', async () => {
    const r = await runCli(['spec']);
    expect(r.code).toBe(0);
    expect(r.messages).toHaveLength(1);
    expect(r.messages[0]!.type).toBe('SPEC');
    assertProtocolValid(r);
  });

  it('the executable runs on its own through `#!/usr/bin/env node`, with no node flags (no `env -S`, which BusyBox lacks)', () => {
    const bin = join(import.meta.dirname, '..', 'bin', 'source-pardot-export');
    const [shebang] = readFileSync(bin, 'utf8').split('\n');
    // A V8 flag on node's command line would make Node's code cache of its built-ins unusable (start-up).
    expect(shebang).toBe('#!/usr/bin/env node');
    const out = execFileSync(bin, ['spec'], { encoding: 'utf8', env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` } });
    expect(JSON.parse(out.trim()).type).toBe('SPEC');
  });
});

describe('check', () => {
  it('answers exactly one CONNECTION_STATUS SUCCEEDED with valid credentials', async () => {
    const r = await runCli(['check', '--config', configPath]);
    expect(r.code).toBe(0);
    expect(ofType(r.messages, 'CONNECTION_STATUS')).toHaveLength(1);
    expect(r.messages.at(-1)!.connectionStatus.status).toBe('SUCCEEDED');
    assertProtocolValid(r);
  });

  it.each([
    ['a wrong client secret', { client_secret: 'wrong-secret-xyz' }, /client_id or client_secret/i],
    ['a wrong refresh token', { refresh_token: 'wrong-refresh-xyz' }, /refresh.token/i],
    ['another business unit', { pardot_business_unit_id: '0Uv000000000002AAA' }, /business unit/i],
    ['a malformed business unit id', { pardot_business_unit_id: 'nope' }, /pardot_business_unit_id/],
    ['an unreachable host', { api_base_url: 'http://127.0.0.1:9' }, /127\.0\.0\.1:9/],
  ])('answers FAILED naming the problem for %s, exit 0, no secret in output', async (_name, over, pattern) => {
    const p = writeJson(dir, 'bad.json', config(over));
    const r = await runCli(['check', '--config', p]);
    expect(r.code).toBe(0);
    const st = ofType(r.messages, 'CONNECTION_STATUS');
    expect(st).toHaveLength(1);
    expect(st[0]!.connectionStatus.status).toBe('FAILED');
    expect(st[0]!.connectionStatus.message).toMatch(pattern);
    for (const secret of ['test-client-secret', 'test-refresh-token', 'wrong-secret-xyz', 'wrong-refresh-xyz']) {
      expect(r.stdout + r.stderr).not.toContain(secret);
    }
    assertProtocolValid(r);
  });
});

describe('discover', () => {
  it('lists the eight export streams with their sync modes, source-defined cursor and primary key, and every query stream', async () => {
    const r = await runCli(['discover', '--config', configPath]);
    expect(r.code).toBe(0);
    assertProtocolValid(r);
    const streams = ofType(r.messages, 'CATALOG')[0]!.catalog.streams as any[];
    expect(streams.map((s) => s.name).sort()).toEqual(ALL_STREAMS.map((s) => s.name).sort());
    for (const s of streams.filter((x) => STREAMS.some((e) => e.name === x.name))) {
      expect(s.supported_sync_modes).toEqual(s.name === 'deleted_prospects' ? ['full_refresh'] : ['full_refresh', 'incremental']);
      expect(s.source_defined_cursor).toBe(true);
      expect(s.source_defined_primary_key).toEqual([['id']]);
      expect(s.default_cursor_field).toEqual([['external_activities', 'deleted_prospects'].includes(s.name) ? 'createdAt' : 'updatedAt']);
    }
    for (const s of streams) {
      const def = ALL_STREAMS.find((d) => d.name === s.name)!;
      expect(s.supported_sync_modes, s.name).toEqual(syncModes(def));
      expect(s.default_cursor_field, s.name).toEqual(def.cursorField === null ? undefined : [def.cursorField]);
    }
    // Streams with no cursor filter are full refresh only: forms, files, folders, ...
    expect(streams.find((s) => s.name === 'forms').supported_sync_modes).toEqual(['full_refresh']);
  });
});

describe('read', () => {
  let first: CliResult;
  let readStart: number;

  beforeAll(async () => {
    readStart = Date.now();
    first = await runCli(['read', '--config', configPath, '--catalog', writeJson(dir, 'cat.json', catalog('incremental'))]);
  });

  it('exits 0 and every message is valid per the official protocol schema', () => {
    expect(first.code, first.stderr + JSON.stringify(ofType(first.messages, 'TRACE').filter((t) => t.trace.type === 'ERROR'))).toBe(0);
    assertProtocolValid(first);
  });

  it('emits every row exactly once, with Pardot field names, the right types and instants', () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    for (const s of STREAMS) {
      const got = records(first.messages, s.name);
      const validate = ajv.compile(s.jsonSchema);
      for (const rec of got) expect(validate(rec), `${s.name}: ${ajv.errorsText(validate.errors)}`).toBe(true);
      const ids = got.map((r) => r.id);
      expect(new Set(ids).size, `${s.name} has duplicates`).toBe(ids.length);
      const want = expectedRows(s.object as never, s.cursorField, START.getTime() - (START.getTime() % 1000), readStart - 300_000, s.deleted);
      expect(want.length).toBeGreaterThan(0);
      expect(ids.sort((a, b) => a - b)).toEqual(want.map((r) => r.id).sort((a, b) => (a as number) - (b as number)));
      const byId = new Map(got.map((r) => [r.id, r]));
      for (const row of want) {
        const rec = byId.get(row.id)!;
        for (const f of s.fields) {
          const v = row[f.name];
          const e = rec[f.name];
          if (v === null || v === undefined) expect(e, `${s.name}.${f.name}`).toBeNull();
          else if (f.type === 'Date') expect(e, `${s.name}.${f.name}`).toBe(formatWallTime((v as Date).getTime(), TZ).slice(0, 10));
          else if (v instanceof Date) {
            expect(e).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/);
            expect(sameInstantIn(e, v, TZ), `${s.name}.${f.name} ${e} vs ${v.toISOString()}`).toBe(true);
          } else expect(e, `${s.name}.${f.name}`).toEqual(v);
        }
      }
    }
  });

  it('reports each stream STARTED, RUNNING, then COMPLETE, and emits a STATE per finished window', () => {
    for (const s of STREAMS) {
      const statuses = ofType(first.messages, 'TRACE')
        .filter((m) => m.trace.type === 'STREAM_STATUS' && m.trace.stream_status.stream_descriptor.name === s.name)
        .map((m) => m.trace.stream_status.status);
      expect(statuses).toEqual(['STARTED', 'RUNNING', 'COMPLETE']);
      const states = ofType(first.messages, 'STATE').filter((m) => m.state.stream.stream_descriptor.name === s.name);
      expect(states.length).toBeGreaterThanOrEqual(6); // 3 years / 200 days, plus in-flight notes
      for (const st of states) {
        expect(st.state.type).toBe('STREAM');
        expect(typeof st.state.sourceStats.recordCount).toBe('number');
      }
      const counted = states.reduce((n, st) => n + st.state.sourceStats.recordCount, 0);
      expect(counted).toBe(records(first.messages, s.name).length);
      const last = states.at(-1)!.state.stream.stream_state;
      expect(Date.parse(last[s.cursorField])).toBeLessThanOrEqual(readStart);
      expect(last.in_flight).toBeUndefined();
    }
  });

  it('creates one export per window with only the schema fields and deleted=all where the procedure takes it', () => {
    const created = fake.exports;
    expect(created.length).toBeGreaterThanOrEqual(6 * 6);
    // deleted=all where rows carry isDeleted; visitors (no isDeleted) live only, their deletions in deleted_visitors.
    const memberships = created.filter((e) => e.object === 'listMembership');
    expect(memberships.every((e) => e.procedure.arguments.deleted === 'all')).toBe(true);
    const visitors = created.filter((e) => e.object === 'visitor');
    expect(visitors.filter((e) => e.procedure.arguments.deleted === undefined).length).toBeGreaterThan(0);
    expect(visitors.filter((e) => e.procedure.arguments.deleted === 'true').length).toBeGreaterThan(0);
    const prospects = created.filter((e) => e.object === 'prospect');
    expect(prospects[0]!.procedure.arguments).not.toHaveProperty('deleted'); // filter_by_updated_at takes none
    expect(prospects[0]!.fields).toEqual(STREAMS[0]!.fields.map((f) => f.name));
  });

  it('a second read from the final state re-emits nothing older than the boundary', async () => {
    const finalStates = STREAMS.map((s) => ofType(first.messages, 'STATE').filter((m) => m.state.stream.stream_descriptor.name === s.name).at(-1)!.state);
    const boundary = new Map(STREAMS.map((s, i) => [s.name, Date.parse(finalStates[i]!.stream.stream_state[s.cursorField])]));
    // New rows: one exactly at the boundary (must arrive), one a second before it (must not).
    const pBoundary = boundary.get('prospects')!;
    const fresh: Row[] = [
      { ...(data.prospect[0] as Row), id: 900001, isDeleted: false, updatedAt: new Date(pBoundary) },
      { ...(data.prospect[0] as Row), id: 900002, isDeleted: false, updatedAt: new Date(pBoundary - 1000) },
    ];
    fake.setData('prospect', [...(data.prospect as Row[]), ...fresh]);
    // The next run's windows end at now minus lookback_seconds (300 by default): wait until that passes the boundary.
    await untilRunEndPasses(pBoundary);
    const statePath = writeJson(dir, 'state.json', finalStates);
    const second = await runCli(['read', '--config', configPath, '--catalog', writeJson(dir, 'cat2.json', catalog('incremental')), '--state', statePath]);
    expect(second.code).toBe(0);
    assertProtocolValid(second);
    // deleted_prospects is full refresh only: it reads every window again by design.
    for (const s of STREAMS.filter((x) => x.syncModes.includes('incremental'))) {
      for (const rec of records(second.messages, s.name)) {
        expect(Date.parse(rec[s.cursorField])).toBeGreaterThanOrEqual(boundary.get(s.name)!);
      }
    }
    expect(records(second.messages, 'prospects').map((r) => r.id)).toEqual([900001]);
  });

  it('a state whose cursor lies in the future yields no records and still one STATE per stream', async () => {
    const future = STREAMS.map((s) => ({
      type: 'STREAM',
      stream: { stream_descriptor: { name: s.name }, stream_state: { [s.cursorField]: '2099-01-01T00:00:00Z' } },
    }));
    const r = await runCli([
      'read', '--config', configPath, '--catalog', writeJson(dir, 'cat3.json', catalog('incremental')), '--state', writeJson(dir, 'future.json', future),
    ]);
    expect(r.code).toBe(0);
    // Only the full-refresh-only stream (deleted_prospects) ignores the cursor.
    expect(ofType(r.messages, 'RECORD').filter((m) => m.record.stream !== 'deleted_prospects')).toHaveLength(0);
    for (const s of STREAMS.filter((x) => x.syncModes.includes('incremental'))) {
      const states = ofType(r.messages, 'STATE').filter((m) => m.state.stream.stream_descriptor.name === s.name);
      expect(states).toHaveLength(1);
      expect(states[0]!.state.stream.stream_state[s.cursorField]).toBe('2099-01-01T00:00:00Z');
    }
  });

  it('full refresh walks the same windows from start_date and still emits STATE per stream', async () => {
    const r = await runCli(['read', '--config', configPath, '--catalog', writeJson(dir, 'cat4.json', catalog('full_refresh', ['list_memberships']))]);
    expect(r.code).toBe(0);
    assertProtocolValid(r);
    const got = records(r.messages, 'list_memberships');
    expect(got.length).toBe(records(first.messages, 'list_memberships').length);
    expect(ofType(r.messages, 'STATE').length).toBeGreaterThan(0);
  });
});

describe('read with bad input', () => {
  it('a config that fails validation: TRACE error config_error naming the field, exit 1', async () => {
    const p = writeJson(dir, 'bad-read.json', config({ timezone: 'Nowhere/Else' }));
    const r = await runCli(['read', '--config', p, '--catalog', writeJson(dir, 'c.json', catalog('incremental'))]);
    expect(r.code).toBe(1);
    const err = ofType(r.messages, 'TRACE').find((m) => m.trace.type === 'ERROR')!;
    expect(err.trace.error.failure_type).toBe('config_error');
    expect(err.trace.error.message).toMatch(/timezone/);
    assertProtocolValid(r);
  });

  it('a timezone that disagrees with the API user\'s: config_error naming both, no records', async () => {
    const p = writeJson(dir, 'tz.json', config({ timezone: 'Europe/Paris' }));
    const r = await runCli(['read', '--config', p, '--catalog', writeJson(dir, 'c5.json', catalog('incremental', ['prospects']))]);
    expect(r.code).toBe(1);
    expect(ofType(r.messages, 'RECORD')).toHaveLength(0);
    const err = ofType(r.messages, 'TRACE').find((m) => m.trace.type === 'ERROR')!;
    expect(err.trace.error.failure_type).toBe('config_error');
    expect(err.trace.error.message).toMatch(/Europe\/Paris/);
    expect(err.trace.error.message).toMatch(/-0[78]:00/);
  });
});
