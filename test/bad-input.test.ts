/**
 * Bad input through the BUILT executable: config, catalog, state, CSV and API answers that break
 * the contract. Each must give a message naming the problem and the fix, a non-zero exit (check:
 * exit 0 with CONNECTION_STATUS FAILED), and no STATE past what was really done.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakePardot, Row } from './fake-pardot/index.js';
import { runCli, tempDir, writeJson } from './helpers/cli.js';
import {
  DAY,
  catalog,
  config,
  errorTrace,
  expectedIds,
  lastStates,
  logs,
  read,
  recordIds,
  smallData,
  startFake,
  states,
  type Msg,
} from './helpers/scenario.js';

let fake: FakePardot;
let start: Date;
let data: Record<string, Row[]>;

beforeAll(async () => {
  ({ start, data } = smallData());
  fake = await startFake(data);
});
afterAll(async () => {
  await fake?.close();
});

const CAT = () => catalog(['prospects'], 'incremental', ['email']);

function expectConfigFailure(msgs: Msg[], pattern: RegExp, failureType = 'config_error') {
  const t = errorTrace(msgs);
  expect(t, 'a TRACE error').toBeDefined();
  expect(t!.failure_type).toBe(failureType);
  expect(t!.message).toMatch(pattern);
  expect(states(msgs), 'no STATE').toHaveLength(0);
  expect(msgs.filter((m) => m.type === 'RECORD')).toHaveLength(0);
}

describe('config', () => {
  const cases: Array<[string, (c: Record<string, unknown>) => unknown, RegExp]> = [
    ['not JSON', () => '{"client_id": "abc",', /--config file .* is not valid JSON: the text ends inside an object \(a missing \}\) at line 1, column 21 \(its content is not shown\): fix its syntax/],
    ['not an object', () => [1, 2], /config must be a JSON object with client_id, client_secret, refresh_token and pardot_business_unit_id/],
    [
      'a missing field',
      (c) => ({ ...c, refresh_token: undefined }),
      /config field 'refresh_token' is missing: use an OAuth refresh token/,
    ],
    ['a mistyped field', (c) => ({ ...c, window_days: 'ten' }), /config field 'window_days' must be integer: give an integer from 1 to 365/],
    ['a malformed business unit id', (c) => ({ ...c, pardot_business_unit_id: '0Uv123' }), /pardot_business_unit_id' must match .*: copy the 18-character id/],
    ['an unknown timezone', (c) => ({ ...c, timezone: 'Mars/Olympus_Mons' }), /'timezone' is 'Mars\/Olympus_Mons', which is not an IANA timezone name: use the Pardot API user's timezone/],
    [
      'a start date in the future',
      (c) => ({ ...c, start_date: new Date(Date.now() + 30 * DAY).toISOString() }),
      /'start_date' .* lies in the future: set it to the earliest date to replicate/,
    ],
    ['a non-https host that is not loopback', (c) => ({ ...c, api_base_url: 'http://pi.example.com' }), /'api_base_url' must use https \(plain http is accepted only for loopback hosts/],
    ['a non-https auth host', (c) => ({ ...c, auth_base_url: 'http://login.example.com' }), /'auth_base_url' must use https/],
  ];

  it.concurrent.each(cases)('%s: read fails with config_error naming it and the fix, exit 1; check answers FAILED, exit 0', async (_n, make, pattern) => {
    const dir = tempDir();
    const c = make(config(fake, start));
    const cfgPath = writeJson(dir, 'config.json', typeof c === 'string' ? c : JSON.stringify(c));
    const [r, chk] = await Promise.all([
      runCli(['read', '--config', cfgPath, '--catalog', writeJson(dir, 'cat.json', CAT())]),
      runCli(['check', '--config', cfgPath]),
    ]);
    expect(r.code).toBe(1);
    expectConfigFailure(r.messages, pattern);
    expect(chk.code).toBe(0);
    expect(chk.messages).toHaveLength(1);
    expect(chk.messages[0]!.connectionStatus.status).toBe('FAILED');
    expect(chk.messages[0]!.connectionStatus.message).toMatch(pattern);
  });
});

describe('catalog', () => {
  const stream = (over: Record<string, unknown>) => ({ streams: [{ ...CAT().streams[0], ...over }] });
  it.concurrent.each<[string, unknown, RegExp]>([
    ['not JSON', '{"streams": [', /--catalog file .* is not valid JSON: the text ends where a value is expected at line 1, column 14 \(its content is not shown\): fix its syntax/],
    ['the wrong shape', { streams: 'prospects' }, /configured catalog has the wrong shape: \/streams must be array.*Run discover/],
    ['an unknown stream', stream({ stream: { name: 'email_clicks' } }), /names stream 'email_clicks', which this connector does not have \(streams: prospects, .*Run discover/],
    ['an unsupported sync mode', stream({ sync_mode: 'cdc' }), /asks for sync_mode 'cdc'; supported: full_refresh, incremental.*Run discover/],
    ['a cursor field other than the stream\'s', stream({ cursor_field: ['createdAt'] }), /asks for cursor_field \["createdAt"\]; its cursor is source-defined: \["updatedAt"\]/],
  ])('%s: config_error naming it and the fix, exit 1, no STATE', async (_n, cat, pattern) => {
    const r = await read(config(fake, start), typeof cat === 'string' ? cat : cat);
    expect(r.code).toBe(1);
    expectConfigFailure(r.messages, pattern);
  });
});

describe('state', () => {
  it.concurrent.each<[string, unknown, RegExp]>([
    ['not JSON', '[{"type": "STREAM",\n', /--state file .* is not valid JSON: the text ends inside an object \(a missing \}\) at line 2, column 1 \(its content is not shown\): fix its syntax/],
    ['not an array or object', 42, /State must be a JSON array of per-stream STATE messages.*Fix or remove the state file/],
    [
      'the wrong shape',
      [{ type: 'STREAM', stream: { stream_descriptor: { name: 'prospects' }, stream_state: { updatedAt: 12 } } }],
      /state of stream 'prospects' has the wrong shape \(\/updatedAt must be string.*Fix or remove the state file \(without it the sync starts from start_date\)/,
    ],
    [
      'a cursor that is not a date',
      [{ type: 'STREAM', stream: { stream_descriptor: { name: 'prospects' }, stream_state: { updated_at: 'yesterday' } } }],
      /cursor updatedAt="yesterday", which is not an RFC 3339 date-time.*Fix or remove/,
    ],
  ])('%s: config_error naming it and the fix, exit 1, no STATE', async (_n, state, pattern) => {
    const r = await read(config(fake, start), CAT(), state);
    expect(r.code).toBe(1);
    expectConfigFailure(r.messages, pattern);
  });

  it('a state for an unknown stream is ignored with a LOG warning; the read goes on', async () => {
    const state = [
      { type: 'STREAM', stream: { stream_descriptor: { name: 'email_clicks' }, stream_state: { updatedAt: '2024-01-01T00:00:00Z' } } },
    ];
    const r = await read(config(fake, start), CAT(), state);
    expect(r.code).toBe(0);
    expect(logs(r.messages, 'WARN').join('\n')).toMatch(/State for unknown stream 'email_clicks' was ignored \(known streams: prospects/);
    expect(recordIds(r.messages).length).toBe(expectedIds(data, Math.floor(start.getTime() / 1000) * 1000).length);
  });

  it('an older state format (legacy blob, snake_case cursor) is migrated: read from its cursor, new format out', async () => {
    const cursor = new Date(Math.floor((Date.now() - 100 * DAY) / 1000) * 1000);
    const r = await read(config(fake, start), CAT(), { prospects: { updated_at: cursor.toISOString() } });
    expect(r.code, JSON.stringify(errorTrace(r.messages))).toBe(0);
    const ids = recordIds(r.messages).sort();
    expect(ids).toEqual(expectedIds(data, cursor.getTime()).sort());
    const last = lastStates(r.messages)[0]!.stream.stream_state;
    expect(last.state_version).toBe(1);
    expect(typeof last.updatedAt).toBe('string');
    expect(last.updated_at).toBeUndefined();
  });
});

describe('CSV that breaks the contract', () => {
  /** The row with the latest updatedAt: it lands in the last window, after three finished ones. */
  function lastRow(rows: Row[]): number {
    let k = 0;
    rows.forEach((r, i) => {
      if (!r['isDeleted'] && (r['updatedAt'] as Date) > (rows[k]!['updatedAt'] as Date)) k = i;
    });
    if (rows[k]!['isDeleted']) throw new Error('pick another row');
    return k;
  }

  /** A read with one bad cell; invalid_values 'fail' unless `over` says otherwise. */
  async function withBadCell(field: string, value: string, fields: string[], over: Record<string, unknown> = { invalid_values: 'fail' }) {
    const rows = (data['prospect'] as Row[]).map((r) => ({ ...r }));
    const k = lastRow(rows);
    rows[k] = { ...rows[k]!, [field]: value };
    const f = await startFake({ ...data, prospect: rows });
    try {
      const r = await read(config(f, start, over), catalog(['prospects'], 'incremental', fields));
      return { r, row: rows[k]!, fake: f, exportId: String(f.exports.at(-1)!.id) };
    } finally {
      await f.close();
    }
  }

  function expectCsvError(msgs: Msg[], code: RegExp, stream: string, exportId: string, column: string | null, row?: Row) {
    const t = errorTrace(msgs)!;
    expect(t.internal_message).toMatch(code);
    expect(t.failure_type).toBe('system_error');
    expect(t.message).toContain(`stream ${stream}`);
    expect(t.message).toContain(`export ${exportId}`);
    expect(t.message).toMatch(new RegExp(`Export file \\S+/api/v5/exports/${exportId}/results/\\d+`));
    expect(t.message).toMatch(/line \d+|has no column for requested field/); // a header problem is on line 1
    if (column) expect(t.message).toContain(column);
    // STATE never passes the window with the bad row: its cursor stays at or before that row.
    const last = lastStates(msgs)[0]?.stream.stream_state;
    if (row && last?.updatedAt) expect(Date.parse(last.updatedAt)).toBeLessThanOrEqual((row['updatedAt'] as Date).getTime());
    expect(states(msgs).length).toBeGreaterThan(0);
  }

  it.concurrent.each<[string, string, string, RegExp]>([
    ['an Integer cell', 'score', 'twelve', /field score \(Integer\): cannot read value "twelve"\. Expected an integer/],
    ['a Boolean cell', 'optedOut', 'maybe', /field optedOut \(Boolean\): cannot read value "maybe"\. Expected 'true', 'false', '1' or '0'/],
    ['a DateTime cell', 'createdAt', 'not a date', /field createdAt \(DateTime\): cannot read value "not a date"\. Expected 'YYYY-MM-DD HH:mm:ss'/],
  ])("%s that does not parse, with invalid_values 'fail': names stream, export id, file, line and column; earlier windows stay", async (_n, field, value, pattern) => {
    const { r, row, exportId } = await withBadCell(field, value, ['email', field]);
    expect(r.code).toBe(1);
    expect(errorTrace(r.messages)!.message).toMatch(pattern);
    expectCsvError(r.messages, /CSV_BAD_VALUE/, 'prospects', exportId, field, row);
    // Three windows finished before the bad one: their rows and STATEs are out.
    const cursors = new Set(states(r.messages).map((s) => s.state.stream.stream_state.updatedAt).filter((c) => c !== null));
    expect(cursors.size).toBe(3);
    const covered = states(r.messages).reduce((n, s) => n + s.state.sourceStats.recordCount, 0);
    expect(covered, 'rows before the last STATE').toBeLessThanOrEqual(recordIds(r.messages).length);
  });

  it.concurrent("by default (invalid_values null) a bad cell costs that cell: its record is emitted with null and Airbyte's meta.changes, the run succeeds", async () => {
    const { r, row } = await withBadCell('score', 'twelve', ['email', 'score'], {});
    expect(r.code).toBe(0);
    expect(errorTrace(r.messages)).toBeUndefined();
    const withMeta = r.messages.filter((m) => m.type === 'RECORD' && m.record.meta !== undefined);
    expect(withMeta).toHaveLength(1);
    expect(withMeta[0]!.record.data).toMatchObject({ id: row['id'], score: null });
    expect(withMeta[0]!.record.meta).toEqual({ changes: [{ field: 'score', change: 'NULLED', reason: 'SOURCE_SERIALIZATION_ERROR' }] });
    expect(recordIds(r.messages)).toContain(row['id']);
  });

  it.concurrent.each<[string, string, RegExp, RegExp, string | null]>([
    ['a wrong column count', 'id,email,updatedAt\n1,a@b.c,2024-01-01 00:00:00,surplus\n', /CSV_COLUMN_COUNT/, /line 2: expected 3 cells \(as in the header\), got 4/, null],
    ['a header missing a requested field', 'id,updatedAt\n1,2024-01-01 00:00:00\n', /CSV_HEADER_MISSING_FIELD/, /has no column for requested field\(s\) email.*remove it from the stream's selected fields/, 'email'],
  ])('%s: names stream, export id, file, line (and column)', async (_n, body, code, pattern, column) => {
    const f = await startFake(data, { faults: [{ on: 'download', kind: 'status', status: 200, body, nth: 1 }], rowsPerFile: 1000 });
    try {
      const r = await read(config(f, start), CAT());
      expect(r.code).toBe(1);
      expect(errorTrace(r.messages)!.message).toMatch(pattern);
      expectCsvError(r.messages, code, 'prospects', String(f.exports[0]!.id), column);
      // The first window failed: no STATE moved the cursor.
      for (const s of states(r.messages)) expect(s.state.stream.stream_state.updatedAt).toBeNull();
    } finally {
      await f.close();
    }
  });
});

describe('API answers that break the contract', () => {
  it.concurrent.each<[string, Record<string, unknown>, RegExp, RegExp]>([
    ['an unknown export state', { on: 'read', kind: 'unknownState' }, /PARDOT_UNKNOWN_STATE/, /export state 'Bogus', which this connector does not know; nothing was emitted for this window; report it/],
    ['resultRefs of the wrong type', { on: 'read', kind: 'badResultRefs', nth: 2 }, /PARDOT_BAD_RESPONSE/, /resultRefs is neither absent, a string nor a list of strings \(number\); report it/],
    ['a 2xx body that is not JSON', { on: 'create', kind: 'status', status: 200, body: '<html>proxy login</html>' }, /PARDOT_BAD_RESPONSE/, /not a JSON object; report it \(is api_base_url a Pardot API host\?\)/],
  ])('%s: system_error naming it, exit 1, no STATE past what was done', async (_n, fault, code, pattern) => {
    const f = await startFake(data, { faults: [fault as never] });
    try {
      const r = await read(config(f, start), CAT());
      expect(r.code).toBe(1);
      const t = errorTrace(r.messages)!;
      expect(t.internal_message).toMatch(code);
      expect(t.failure_type).toBe('system_error');
      expect(t.message).toMatch(pattern);
      // The failed window's rows are not out and the cursor never passed its start: the first
      // window whose export was not downloaded, or (a create refused) the first window of all,
      // whose export never existed.
      const failed = f.exports.find((e) => !(e.state === 'Complete' && e.downloads > 0));
      if (fault['on'] !== 'create') expect(failed, 'the export whose read broke the contract').toBeDefined();
      const failedStart = fault['on'] === 'create' ? Math.floor(start.getTime() / 1000) * 1000 : Date.parse(String(failed!.procedure.arguments['updated_after'])) + 1000;
      if (fault['on'] === 'create') expect(recordIds(r.messages)).toEqual([]);
      for (const s of states(r.messages)) {
        const c = s.state.stream.stream_state.updatedAt;
        if (c !== null) expect(Date.parse(c)).toBeLessThanOrEqual(failedStart);
      }
      const covered = states(r.messages).reduce((n, s) => n + s.state.sourceStats.recordCount, 0);
      expect(covered).toBe(recordIds(r.messages).length);
    } finally {
      await f.close();
    }
  });
});
