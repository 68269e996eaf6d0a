// v5 query streams through the built CLI, in both protocols: a stream whose View ability the API
// user lacks fails alone, naming the ability; the other query stream completes with every record.
// Rows changing between pages (the fake's live-position tokens) lose nothing through the CLI
// either, and an old createdAt state of a now full-refresh stream is accepted with a WARN.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startFakePardot, type FakePardot, type Row } from './fake-pardot/index.js';
import { runCli, tempDir, writeJson } from './helpers/cli.js';
import { churn, snapshot, tally, type Range } from './helpers/query-churn.js';
import { fakeQueryObjects } from './helpers/query-objects.js';
import { catalog, config, lastStates, logs, type Msg } from './helpers/scenario.js';

const NOW = Date.now();
const START = new Date(NOW - 30 * 86_400_000);
let fake: FakePardot;
let lists: Row[];
let cfg: string;
let dir: string;

beforeAll(async () => {
  const queryObjects = fakeQueryObjects({ seed: 9, start: START, end: new Date(NOW - 10 * 60_000), count: 25 });
  lists = queryObjects['lists']!.rows as Row[];
  fake = await startFakePardot({ userTimezone: 'America/Los_Angeles', queryObjects, queryTokenCap: 6, queryNoAbility: ['tags'] });
  dir = tempDir();
  cfg = writeJson(dir, 'config.json', config(fake, START));
});
afterAll(async () => {
  await fake?.close();
});

const expectAlone = (records: Msg[], stderr: string) => {
  expect(records.map((r) => r.id).sort()).toEqual(lists.map((r) => r.id).sort());
  expect(stderr).toContain('Marketing > Segmentation > Tags > View');
};

describe('query streams through the CLI', () => {
  it('Airbyte: tags without its ability fails alone (TRACE names the ability), lists completes past the cap', async () => {
    const cat = {
      streams: ['tags', 'lists'].map((name) => ({
        stream: { name, json_schema: {}, supported_sync_modes: ['full_refresh', 'incremental'] },
        sync_mode: 'incremental',
        destination_sync_mode: 'append',
      })),
    };
    const r = await runCli(['read', '--config', cfg, '--catalog', writeJson(dir, 'cat.json', cat)]);
    expect(r.code).toBe(1);
    const records = r.messages.filter((m) => m.type === 'RECORD' && m.record.stream === 'lists').map((m) => m.record.data);
    const trace = r.messages.find((m) => m.type === 'TRACE' && m.trace.type === 'ERROR');
    expectAlone(records, trace!.trace.error.message);
    const statuses = r.messages
      .filter((m) => m.type === 'TRACE' && m.trace.type === 'STREAM_STATUS')
      .map((m) => `${m.trace.stream_status.stream_descriptor.name}:${m.trace.stream_status.status}`);
    expect(statuses).toContain('tags:INCOMPLETE');
    expect(statuses).toContain('lists:COMPLETE');
  });

  it('Singer: the same, with SCHEMA before records and a final STATE bookmarking lists', async () => {
    const disc = await runCli(['--config', cfg, '--discover']);
    const catalog = disc.messages[0]!;
    for (const s of catalog.streams as Msg[]) {
      s.metadata.find((m: Msg) => m.breadcrumb.length === 0).metadata.selected = s.tap_stream_id === 'tags' || s.tap_stream_id === 'lists';
    }
    const r = await runCli(['--config', cfg, '--catalog', writeJson(dir, 'singer-cat.json', catalog)]);
    expect(r.code).toBe(1);
    const records = r.messages.filter((m) => m.type === 'RECORD' && m.stream === 'lists').map((m) => m.record);
    expectAlone(records, r.stderr);
    const schemaAt = r.messages.findIndex((m) => m.type === 'SCHEMA' && m.stream === 'lists');
    expect(schemaAt).toBeGreaterThanOrEqual(0);
    expect(schemaAt).toBeLessThan(r.messages.findIndex((m) => m.type === 'RECORD' && m.stream === 'lists'));
    const last = r.messages.filter((m) => m.type === 'STATE').at(-1)!;
    expect(Date.parse(last.value.bookmarks.lists.updatedAt)).toBeLessThanOrEqual(NOW);
  });
});

describe('query streams through the CLI while rows change between pages (live-position tokens)', () => {
  const LOOKBACK = 2000;
  const recordsFor = (msgs: Msg[], stream: string) => msgs.filter((m) => m.type === 'RECORD' && m.record.stream === stream).map((m) => m.record.data.id as number);

  for (const [stream, object] of [['lists', 'lists'], ['engagement_studio_programs', 'engagement-studio-programs']] as const) {
    it(`${stream}: a full refresh and two incremental reads lose no row, emit none twice, nothing out of range`, async () => {
      const start = new Date(Math.floor((NOW - 30 * 86_400_000) / 1000) * 1000);
      const queryObjects = fakeQueryObjects({ seed: 13, start, end: new Date(NOW - 86_400_000), count: 30, seconds: 4 });
      const f = await startFakePardot({ userTimezone: 'America/Los_Angeles', queryObjects, queryTokenCap: 5 });
      try {
        const t0 = Math.floor(Date.now() / 1000) * 1000 - 3600_000;
        f.setNow(new Date(t0));
        const d = tempDir();
        const c = writeJson(d, 'config.json', config(f, start, { lookback_seconds: LOOKBACK / 1000 }));
        const read = async (mode: 'full_refresh' | 'incremental', range: Range, state?: unknown, firstNewId?: number) => {
          const before = snapshot(f.v5.rows(object), 'updatedAt');
          const churned = churn(f, object, { firstNewId });
          const args = ['read', '--config', c, '--catalog', writeJson(d, `cat-${mode}.json`, catalog([stream], mode))];
          if (state !== undefined) args.push('--state', writeJson(d, 'state.json', state));
          const r = await runCli(args);
          churned.stop();
          expect([r.code, r.stderr]).toEqual([0, expect.any(String)]);
          expect(churned.changed.length).toBeGreaterThan(3);
          return { r, t: tally(before, snapshot(f.v5.rows(object), 'updatedAt'), range, recordsFor(r.messages, stream)) };
        };
        const full = await read('full_refresh', { from: null, to: Infinity, full: true });
        expect(full.t).toMatchObject({ lost: [], duplicated: 0, unexpected: [] });
        expect(full.t.must).toBeGreaterThan(15);
        const first = await read('incremental', { from: null, to: t0 - LOOKBACK, full: false }, undefined, 910_000);
        expect(first.t).toMatchObject({ lost: [], duplicated: 0, unexpected: [] });
        f.setNow(new Date(t0 + 10_000));
        const second = await read('incremental', { from: t0 - LOOKBACK, to: t0 + 10_000 - LOOKBACK, full: false }, lastStates(first.r.messages), 920_000);
        expect(second.t).toMatchObject({ lost: [], duplicated: 0, unexpected: [] });
        expect(second.t.must).toBeGreaterThan(3);
      } finally {
        await f.close();
      }
    });
  }

  it('an old state with a createdAt cursor for form_handlers: a WARN, the stream read whole, exit 0', async () => {
    const stateFile = writeJson(dir, 'old-state.json', [{ type: 'STREAM', stream: { stream_descriptor: { name: 'form_handlers' }, stream_state: { createdAt: '2024-03-01T00:00:00Z', state_version: 1 } } }]);
    const f = await startFakePardot({ userTimezone: 'America/Los_Angeles', queryObjects: fakeQueryObjects({ seed: 3, start: START, end: new Date(NOW - 86_400_000), count: 12 }) });
    try {
      const c = writeJson(dir, 'config-old-state.json', config(f, START));
      const r = await runCli(['read', '--config', c, '--catalog', writeJson(dir, 'cat-fh.json', catalog(['form_handlers'], 'full_refresh')), '--state', stateFile]);
      expect(r.code).toBe(0);
      expect(logs(r.messages, 'WARN').some((m) => m.includes("'form_handlers' holds a cursor (createdAt)"))).toBe(true);
      expect(recordsFor(r.messages, 'form_handlers')).toHaveLength(12);
    } finally {
      await f.close();
    }
  });
});
