// v5 query streams through the built CLI, in both protocols: a stream whose View ability the API
// user lacks fails alone, naming the ability; the other query stream completes with every record.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startFakePardot, type FakePardot, type Row } from './fake-pardot/index.js';
import { runCli, tempDir, writeJson } from './helpers/cli.js';
import { fakeQueryObjects } from './helpers/query-objects.js';
import { config, type Msg } from './helpers/scenario.js';

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
