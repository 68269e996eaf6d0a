/**
 * `source-pardot-export catalog` through the BUILT executable: the Airbyte form is a valid
 * ConfiguredAirbyteCatalog (official protocol schema) that `read` accepts; the Singer form selects
 * exactly the streams asked for, in the mode asked for, and a Singer sync follows it; every stream
 * of the stream table is offered (so streams added later are too); bad requests exit 2.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakePardot, Row } from './fake-pardot/index.js';
import { STREAMS } from '../src/streams.js';
import { buildCatalog, parseStreamList } from '../src/commands/catalog.js';
import { loadProtocolDefinition } from './helpers/airbyte-schema.js';
import { runCli, tempDir, writeJson } from './helpers/cli.js';
import { config, smallData, startFake } from './helpers/scenario.js';

let fake: FakePardot;
let start: Date;
let data: Record<string, Row[]>;
let dir: string;
beforeAll(async () => {
  ({ start, data } = smallData({ prospects: 40 }));
  fake = await startFake(data);
  dir = tempDir();
});
afterAll(async () => {
  await fake?.close();
});

const configured = loadProtocolDefinition('ConfiguredAirbyteCatalog');

describe('catalog --format airbyte (the default)', () => {
  it('every stream of the table, incremental with the source cursor and append_dedup on the key where the stream supports it (else full refresh, overwrite); valid by the protocol schema', async () => {
    const r = await runCli(['catalog']);
    expect(r.code, r.stderr).toBe(0);
    const cat = JSON.parse(r.stdout) as { streams: Array<Record<string, any>> };
    expect(cat.streams.map((s) => s.stream.name)).toEqual(STREAMS.map((s) => s.name));
    expect(STREAMS.some((d) => !d.syncModes.includes('incremental'))).toBe(true); // deleted_prospects: the other branch is exercised
    for (const [i, s] of cat.streams.entries()) {
      const def = STREAMS[i]!;
      if (!def.syncModes.includes('incremental')) {
        expect(s.sync_mode).toBe('full_refresh');
        expect(s.destination_sync_mode).toBe('overwrite');
        expect(s).not.toHaveProperty('cursor_field');
        continue;
      }
      expect(s.sync_mode).toBe('incremental');
      expect(s.cursor_field).toEqual([def.cursorField]);
      expect(s.destination_sync_mode).toBe('append_dedup');
      expect(s.primary_key).toEqual([['id']]);
      // The stream's fields, then those the connector sets itself (deleted_visitors' isDeleted).
      expect(Object.keys(s.stream.json_schema.properties)).toEqual([...def.fields.map((f) => f.name), ...Object.keys(def.constants)]);
    }
    if (configured.available) expect(configured.validate(cat)).toBeNull();
  });

  it('--streams and --sync-mode full_refresh: only those streams, overwrite, no cursor; read accepts it and syncs them', async () => {
    const r = await runCli(['catalog', '--config', writeJson(dir, 'c.json', config(fake, start)), '--streams', 'prospects, visitors', '--sync-mode', 'full_refresh']);
    expect(r.code, r.stderr).toBe(0);
    const cat = JSON.parse(r.stdout) as { streams: Array<Record<string, any>> };
    expect(cat.streams.map((s) => [s.stream.name, s.sync_mode, s.destination_sync_mode, s.cursor_field])).toEqual([
      ['prospects', 'full_refresh', 'overwrite', undefined],
      ['visitors', 'full_refresh', 'overwrite', undefined],
    ]);
    if (configured.available) expect(configured.validate(cat)).toBeNull();
    const read = await runCli(['read', '--config', writeJson(dir, 'c.json', config(fake, start)), '--catalog', writeJson(dir, 'a.json', r.stdout)]);
    expect(read.code, read.stderr).toBe(0);
    const streams = new Set(read.messages.filter((m) => m.type === 'RECORD').map((m) => m.record.stream));
    expect([...streams].sort()).toEqual(['prospects', 'visitors']);
  });

  it('a config given is validated as discover validates it (exit 1, the field named); an unknown stream or mode is a usage error (exit 2)', async () => {
    const bad = await runCli(['catalog', '--config', writeJson(dir, 'bad.json', { ...config(fake, start), window_days: 0 })]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/CONFIG_INVALID: .*'window_days'/);
    const unknown = await runCli(['catalog', '--streams', 'prospects,opportunitiez']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown stream\(s\) opportunitiez in --streams; streams: prospects, visitors/);
    const mode = await runCli(['catalog', '--sync-mode', 'cdc']);
    expect(mode.code).toBe(2);
    expect(mode.stderr).toMatch(/--sync-mode must be incremental or full_refresh, got 'cdc'/);
  });
});

describe('catalog --format singer', () => {
  it('selects the streams asked for (selected: true, replication-method), deselects the rest; a Singer sync follows it', async () => {
    const r = await runCli(['catalog', '--format', 'singer', '--streams', 'list_memberships', '--sync-mode', 'full_refresh']);
    expect(r.code, r.stderr).toBe(0);
    const cat = JSON.parse(r.stdout) as { streams: Array<Record<string, any>> };
    expect(cat.streams.map((s) => s.tap_stream_id)).toEqual(STREAMS.map((s) => s.name));
    for (const s of cat.streams) {
      const root = s.metadata.find((m: any) => m.breadcrumb.length === 0).metadata;
      if (s.tap_stream_id === 'list_memberships') expect(root).toMatchObject({ selected: true, 'replication-method': 'FULL_TABLE' });
      else expect(root.selected).toBe(false);
    }
    const sync = await runCli(['--config', writeJson(dir, 's.json', config(fake, start)), '--catalog', writeJson(dir, 'singer.json', r.stdout)]);
    expect(sync.code, sync.stderr).toBe(0);
    const streams = new Set(sync.messages.filter((m) => m.type === 'RECORD').map((m) => m.stream));
    expect([...streams]).toEqual(['list_memberships']);
  });

  it('built from the stream table: a stream added to it is offered without touching the helper', () => {
    const extra = { ...STREAMS[0]!, name: 'prospects_copy' as never };
    const both = [...STREAMS, extra];
    const a = buildCatalog({ format: 'airbyte', streams: ['prospects_copy'] }, both).catalog as { streams: any[] };
    expect(a.streams.map((s) => s.stream.name)).toEqual(['prospects_copy']);
    const s = buildCatalog({ format: 'singer' }, both).catalog as { streams: any[] };
    expect(s.streams.map((x) => x.tap_stream_id)).toContain('prospects_copy');
    expect(parseStreamList('prospects_copy,prospects', both)).toEqual(['prospects_copy', 'prospects']);
  });
});
