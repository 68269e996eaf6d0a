/**
 * Custom fields through the built CLI against the fake (issue 11): discover lists them (Airbyte and
 * Singer), a catalog of 240 prospect fields (68 standard + 172 custom) syncs every value exactly in
 * two exports per window joined by id, with no temporary file left; both plausible CSV forms; the
 * missing ability (WARN + the custom_fields setting); schema drift between runs; the straggler
 * rule; a run stopped between the parts of a window resumes each part.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { STREAMS } from '../src/streams.js';
import { apiFieldIdOf, formatWallTime, isMultiValued, type FakeCustomField, type FakePardot, type FakePardotOptions, type Row } from './fake-pardot/index.js';
import { runCli, tempDir, writeJson } from './helpers/cli.js';
import { addCustomValues, expectedCustomValue, makeCustomFields } from './helpers/custom-fields.js';
import { config, DAY, errorTrace, expectedIds, lastStates, logs, parseLines, read, sameInstant, smallData, startFake, TZ, untilRunEndPasses, type Msg } from './helpers/scenario.js';

const prospectsDef = STREAMS.find((s) => s.name === 'prospects')!;
const fakes: FakePardot[] = [];
const tmpDirs: string[] = [];
afterAll(async () => {
  await Promise.all(fakes.map((f) => f.close()));
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});

/** A fresh TMPDIR for the connector, to see that it leaves nothing there. */
function childTmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'spe-test-cf-tmp-'));
  tmpDirs.push(d);
  return d;
}

async function scenario(n: number, opts: FakePardotOptions = {}, prospects = 60) {
  const { start, data } = smallData({ prospects, days: 400 });
  const fields = makeCustomFields(n, { seed: 5 });
  addCustomValues(data.prospect!, fields, 3);
  const fake = await startFake(data, { customFields: { prospect: fields }, ...opts });
  fakes.push(fake);
  return { start, data, fields, fake };
}

/** The Airbyte catalog discover answers, as a configured catalog of `streams` (all their fields). */
async function discoverCatalog(cfg: Record<string, unknown>, streams = ['prospects']): Promise<{ catalog: Msg; messages: Msg[] }> {
  const r = await runCli(['discover', '--config', writeJson(tempDir(), 'config.json', cfg)]);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  const cat = r.messages.find((m) => m.type === 'CATALOG')!.catalog as { streams: Msg[] };
  return {
    messages: r.messages,
    catalog: {
      streams: cat.streams
        .filter((s) => streams.includes(s.name))
        .map((s) => ({ stream: s, sync_mode: 'incremental', destination_sync_mode: 'append' })),
    },
  };
}


/** Every standard and custom value of every expected prospect equals the fake's data. */
function expectExact(msgs: Msg[], rows: Row[], ids: number[], customs: readonly FakeCustomField[], standard = prospectsDef.fields.map((f) => f.name)): void {
  const recs = msgs.filter((m) => m.type === 'RECORD' && m.record.stream === 'prospects').map((m) => m.record.data as Record<string, unknown>);
  expect(recs.map((r) => r.id).sort((a, b) => (a as number) - (b as number))).toEqual([...ids].sort((a, b) => a - b));
  const byId = new Map(rows.map((r) => [r.id as number, r]));
  let checked = 0;
  for (const rec of recs) {
    const row = byId.get(rec.id as number)!;
    for (const name of standard) {
      const f = prospectsDef.fields.find((x) => x.name === name)!;
      const v = row[name];
      const e = rec[name];
      if (v === null || v === undefined) expect(e, name).toBeNull();
      else if (f.type === 'Date') expect(e, name).toBe(formatWallTime((v as Date).getTime(), TZ).slice(0, 10));
      else if (v instanceof Date) expect(sameInstant(e as string, v), `${name} ${String(e)} vs ${v.toISOString()}`).toBe(true);
      else expect(e, name).toEqual(v);
      checked++;
    }
    for (const f of customs) {
      expect(rec[apiFieldIdOf(f)], `${apiFieldIdOf(f)} (${f.type}${f.isRecordMultipleResponses ? ', multiple' : ''}) of ${String(rec.id)}`).toEqual(expectedCustomValue(f, row[apiFieldIdOf(f)]));
      checked++;
    }
    expect(Object.keys(rec).length).toBe(standard.length + customs.length);
  }
  expect(checked).toBeGreaterThan(0);
}

/** Exports of prospects per window (keyed by the procedure's after/before arguments). */
function exportsPerWindow(fake: FakePardot): Map<string, number[]> {
  const by = new Map<string, number[]>();
  for (const e of fake.exports) {
    if (e.object !== 'prospect' || e.procedure.name !== 'filter_by_updated_at') continue;
    const k = JSON.stringify(e.procedure.arguments);
    by.set(k, [...(by.get(k) ?? []), e.fields?.length ?? 0]);
  }
  return by;
}

describe('240 prospect fields (68 standard + 172 custom) through discover and read', () => {
  it('discover lists every custom field typed from Pardot; the read makes 2 exports per window and every value equals the fake data; no temporary file is left', async () => {
    const { start, data, fields, fake } = await scenario(172);
    const cfg = config(fake, start);
    const { catalog, messages } = await discoverCatalog(cfg);
    const props = catalog.streams[0].stream.json_schema.properties as Record<string, Record<string, unknown>>;
    expect(Object.keys(props).length).toBe(68 + 172);
    expect(prospectsDef.fields.length).toBe(68);
    for (const f of fields) {
      const p = props[apiFieldIdOf(f)]!;
      expect(p, apiFieldIdOf(f)).toMatchObject({ 'x-pardot-custom': true, 'x-pardot-type': f.type, title: f.name });
      const t = isMultiValued(f) ? 'array' : f.type === 'Number' ? 'number' : 'string';
      expect(p.type).toEqual(['null', t]);
      if (f.type === 'Date' && !isMultiValued(f)) expect(p.format).toBe('date');
    }
    expect(logs(messages, 'INFO').some((m) => /Custom fields: 172 listed by Pardot/.test(m))).toBe(true);

    const tmp = childTmp();
    const r = await read(cfg, catalog, undefined, { env: { TMPDIR: tmp } });
    expect(r.code, r.stderr + r.stdout.slice(-3000)).toBe(0);
    const msgs = parseLines(r.stdout);
    expectExact(msgs, data.prospect!, expectedIds(data, start.getTime() - (start.getTime() % 1000)), fields);
    // 4 windows (400 days / 120), each exported in 2 parts of at most 150 fields.
    const per = exportsPerWindow(fake);
    expect(per.size).toBe(4);
    for (const sizes of per.values()) {
      expect(sizes).toEqual([121, 121]);
    }
    expect(logs(msgs, 'INFO').filter((m) => /joined \d+ row\(s\) from 2 exports/.test(m)).length).toBe(4);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it.each([
    ['header under the display name, multi-values as a JSON array', { header: 'name', multiValue: 'json' }],
    ['header under the v5 name (apiFieldId), multi-values joined by ";"', { header: 'apiFieldId', multiValue: 'semicolon' }],
    ['header under the bare fieldId (no __c), multi-values joined by ";"', { header: 'fieldId', multiValue: 'semicolon' }],
  ] as const)('both plausible CSV forms give the same exact values: %s', async (_label, form) => {
    const { start, data, fields, fake } = await scenario(30, { customFieldCsv: form });
    const cfg = config(fake, start);
    const { catalog } = await discoverCatalog(cfg);
    const r = await read(cfg, catalog);
    expect(r.code, r.stderr + r.stdout.slice(-3000)).toBe(0);
    expectExact(parseLines(r.stdout), data.prospect!, expectedIds(data, start.getTime() - (start.getTime() % 1000)), fields);
    for (const sizes of exportsPerWindow(fake).values()) expect(sizes).toEqual([98]); // 68 + 30: one export
  });

  it('Singer: --discover has the custom fields; a sync emits them in SCHEMA and RECORDs', async () => {
    const { start, data, fields, fake } = await scenario(10);
    const dir = tempDir();
    const cfgPath = writeJson(dir, 'config.json', config(fake, start));
    const d = await runCli(['--config', cfgPath, '--discover']);
    expect(d.code, d.stderr).toBe(0);
    const cat = d.messages[0] as { streams: Msg[] };
    for (const s of cat.streams) for (const m of s.metadata) if (m.breadcrumb.length === 0) m.metadata.selected = s.tap_stream_id === 'prospects';
    const schemaProps = cat.streams.find((s) => s.tap_stream_id === 'prospects')!.schema.properties;
    for (const f of fields) expect(schemaProps[apiFieldIdOf(f)]).toMatchObject({ 'x-pardot-custom': true });
    const sync = await runCli(['--config', cfgPath, '--catalog', writeJson(dir, 'catalog.json', cat)]);
    expect(sync.code, sync.stderr).toBe(0);
    const schema = sync.messages.find((m) => m.type === 'SCHEMA' && m.stream === 'prospects')!;
    for (const f of fields) expect(Object.keys(schema.schema.properties)).toContain(apiFieldIdOf(f));
    const asAirbyte = sync.messages.filter((m) => m.type === 'RECORD').map((m) => ({ type: 'RECORD', record: { stream: m.stream, data: m.record } }));
    expectExact(asAirbyte, data.prospect!, expectedIds(data, start.getTime() - (start.getTime() % 1000)), fields);
  });
});

describe('without the "Configure Fields" ability', () => {
  it('discover WARNs naming the ability and keeps the standard fields; the custom_fields setting adds fields by hand, and they sync', async () => {
    const { start, data, fields, fake } = await scenario(6, { queryNoAbility: ['custom-fields'] });
    const bare = await discoverCatalog(config(fake, start));
    expect(logs(bare.messages, 'WARN').some((m) => /Prospect > Prospects > Configure Fields.*standard fields only.*custom_fields setting/.test(m))).toBe(true);
    expect(Object.keys(bare.catalog.streams[0].stream.json_schema.properties).length).toBe(68);

    const setting = fields.map((f) => ({ name: f.fieldId, type: f.type, ...(f.isRecordMultipleResponses ? { multiple: true } : {}), label: f.name }));
    const cfg = config(fake, start, { custom_fields: setting });
    const { catalog, messages } = await discoverCatalog(cfg);
    expect(logs(messages, 'WARN').some((m) => /lacks.*6 custom field\(s\) of the custom_fields setting/.test(m))).toBe(true);
    const r = await read(cfg, catalog);
    expect(r.code, r.stderr + r.stdout.slice(-3000)).toBe(0);
    const msgs = parseLines(r.stdout);
    expect(logs(msgs, 'WARN').some((m) => /Configure Fields.*requested as the catalog names them/.test(m))).toBe(true);
    expectExact(msgs, data.prospect!, expectedIds(data, start.getTime() - (start.getTime() % 1000)), fields);
  });

  it('a bad custom_fields entry is a config error naming the setting', async () => {
    const { start, fake } = await scenario(1);
    const r = await runCli(['discover', '--config', writeJson(tempDir(), 'c.json', config(fake, start, { custom_fields: [{ name: 'X__c', type: 'Float' }] }))]);
    expect(r.code).toBe(1);
    expect(errorTrace(r.messages)!.message).toMatch(/custom_fields/);
  });
});

describe('schema drift between runs', () => {
  it('a custom field removed in Pardot but still selected is left out with a WARN, the sync goes on (Airbyte and Singer SCHEMA); a new one appears at the next discover', async () => {
    const { start, data, fields, fake } = await scenario(8);
    const cfg = config(fake, start);
    const { catalog } = await discoverCatalog(cfg);
    const [gone, ...kept] = fields;
    const added: FakeCustomField = { ...fields[1]!, id: 999, fieldId: 'Added_Later', name: 'Added Later' };
    fake.setCustomFields('prospect', [...kept, added]);
    const r = await read(cfg, catalog);
    expect(r.code, r.stderr + r.stdout.slice(-3000)).toBe(0);
    const msgs = parseLines(r.stdout);
    expect(logs(msgs, 'WARN').some((m) => m.includes(apiFieldIdOf(gone!)) && /no longer in Pardot's custom field list.*Run discover/.test(m))).toBe(true);
    expectExact(msgs, data.prospect!, expectedIds(data, start.getTime() - (start.getTime() % 1000)), kept);
    for (const e of fake.exports) expect(e.fields ?? []).not.toContain(apiFieldIdOf(gone!));

    // Singer: the SCHEMA of the sync leaves the removed field out.
    const dir = tempDir();
    const cfgPath = writeJson(dir, 'config.json', cfg);
    fake.setCustomFields('prospect', fields);
    const d = await runCli(['--config', cfgPath, '--discover']);
    const cat = d.messages[0] as { streams: Msg[] };
    for (const s of cat.streams) for (const m of s.metadata) if (m.breadcrumb.length === 0) m.metadata.selected = s.tap_stream_id === 'prospects';
    fake.setCustomFields('prospect', [...kept, added]);
    const sync = await runCli(['--config', cfgPath, '--catalog', writeJson(dir, 'catalog.json', cat)]);
    expect(sync.code, sync.stderr).toBe(0);
    const schema = sync.messages.find((m) => m.type === 'SCHEMA' && m.stream === 'prospects')!;
    expect(Object.keys(schema.schema.properties)).not.toContain(apiFieldIdOf(gone!));
    expect(Object.keys(schema.schema.properties)).toContain(apiFieldIdOf(kept[0]!));
    expect(sync.stderr).toMatch(new RegExp(`${apiFieldIdOf(gone!)}.*no longer in Pardot's custom field list`));

    // The next discover has the new field and not the removed one.
    const again = await discoverCatalog(cfg);
    const props = Object.keys(again.catalog.streams[0].stream.json_schema.properties);
    expect(props).toContain('Added_Later__c');
    expect(props).not.toContain(apiFieldIdOf(gone!));
  });
});

describe('the straggler rule of split windows', () => {
  it('a row updated between the part exports is not emitted from its window; the cursor still advances to the run\'s end and the next run reads it whole', async () => {
    let target: Row | null = null;
    let moved = false;
    const { start, data, fields, fake } = await scenario(100, {
      onExportComplete: (e) => {
        // After the first part of the first window: move one of its rows past the window (Pardot: updated now).
        if (moved || e.object !== 'prospect' || !e.fields?.includes(apiFieldIdOf(fields[0]!))) return;
        moved = true;
        const after = Date.parse(String(e.procedure.arguments.updated_after));
        const candidates = data.prospect!.filter((r) => r.updatedAt instanceof Date && r.isDeleted !== true && (r.updatedAt as Date).getTime() >= after + 1000);
        target = candidates.sort((a, b) => (a.updatedAt as Date).getTime() - (b.updatedAt as Date).getTime())[0]!;
        target.oldUpdatedAt = target.updatedAt;
        target.updatedAt = new Date();
        target[apiFieldIdOf(fields[0]!)] = 'changed after the first part';
      },
    });
    const cfg = config(fake, start, { lookback_seconds: 0 });
    const { catalog } = await discoverCatalog(cfg);
    const first = await read(cfg, catalog);
    expect(first.code, first.stderr + first.stdout.slice(-3000)).toBe(0);
    expect(moved).toBe(true);
    const t = target as unknown as Row;
    const msgs1 = parseLines(first.stdout);
    const ids1 = msgs1.filter((m) => m.type === 'RECORD').map((m) => m.record.data.id);
    expect(ids1).not.toContain(t.id);
    expect(logs(msgs1, 'WARN').some((m) => /1 row\(s\) of window .* not alike in every export of its split field list.*lie past this run's end, so the next run reads them/.test(m))).toBe(true);
    // It left the window after the first part was made: its new updatedAt lies past the run's end,
    // so nothing needs holding back: the saved cursor is the run's end, past the row's old updatedAt.
    const final = lastStates(msgs1)[0]!;
    const cursor = Date.parse(final.stream.stream_state.updatedAt);
    const ends = fake.exports.map((e) => Date.parse(String(e.procedure.arguments.updated_before)));
    expect(cursor).toBe(Math.max(...ends));
    expect(cursor).toBeGreaterThan((t.oldUpdatedAt as Date).getTime());
    expect(cursor).toBeLessThanOrEqual((t.updatedAt as Date).getTime());

    await untilRunEndPasses((t.updatedAt as Date).getTime(), 0); // its new updatedAt is then before the next run's end
    const second = await read(cfg, catalog, lastStates(msgs1));
    expect(second.code, second.stderr + second.stdout.slice(-3000)).toBe(0);
    const rec = parseLines(second.stdout).find((m) => m.type === 'RECORD' && m.record.data.id === t.id);
    expect(rec, 'the straggler is read again whole').toBeDefined();
    expect(rec!.record.data[apiFieldIdOf(fields[0]!)]).toBe('changed after the first part');
    for (const f of fields.slice(1)) expect(rec!.record.data[apiFieldIdOf(f)]).toEqual(expectedCustomValue(f, t[apiFieldIdOf(f)]));
  });
});

describe('the hold-back never pins the cursor', () => {
  it('with one straggler in every window of every run, the saved cursor still advances to the run\'s end each run, and no row is lost', async () => {
    // After the first part of every window's export: one row of that window moves past it (updated now).
    let fake!: FakePardot;
    const moved: number[] = [];
    const s = await scenario(100, {
      onExportComplete: (e) => {
        if (e.object !== 'prospect' || !e.fields?.includes(apiFieldIdOf(s.fields[0]!))) return;
        const after = Date.parse(String(e.procedure.arguments.updated_after));
        const before = Date.parse(String(e.procedure.arguments.updated_before));
        const row = s.data.prospect!.find((r) => {
          const t = (r.updatedAt as Date).getTime();
          return r.isDeleted !== true && t > after && t < before && !moved.includes(r.id as number);
        });
        if (!row) return;
        moved.push(row.id as number);
        fake.updateRows('prospect', [row.id as number], { updatedAt: 'now' });
      },
    });
    fake = s.fake;
    const cfg = config(fake, s.start, { lookback_seconds: 0, window_days: 120 });
    const { catalog } = await discoverCatalog(cfg);
    let state: Msg[] | undefined;
    const seen = new Set<number>();
    for (let run = 1; run <= 3; run++) {
      const before = fake.exports.length;
      const r = await read(cfg, catalog, state);
      expect(r.code, r.stderr + r.stdout.slice(-2000)).toBe(0);
      const msgs = parseLines(r.stdout);
      for (const m of msgs) if (m.type === 'RECORD') seen.add(m.record.data.id as number);
      const mine = fake.exports.slice(before);
      expect(mine.length, `run ${run} made exports`).toBeGreaterThan(0);
      const end = Math.max(...mine.map((e) => Date.parse(String(e.procedure.arguments.updated_before))));
      state = lastStates(msgs);
      expect(Date.parse(state[0]!.stream.stream_state.updatedAt), `run ${run}`).toBe(end);
      await new Promise((res) => setTimeout(res, 1100)); // the moved rows' new updatedAt lies before the next run's end
    }
    expect(moved.length).toBeGreaterThanOrEqual(4);
    // Every prospect that exists (deleted ones are not exported) came at least once over the runs.
    const all = s.data.prospect!.filter((r) => r.isDeleted !== true).map((r) => r.id as number);
    expect(all.filter((id) => !seen.has(id))).toEqual([]);
  });
});

describe('a run stopped between the parts of a window', () => {
  it('resumes the finished part from the saved state (no second create for it) and creates only the missing one; nothing lost, no temporary file left', async () => {
    const { start, data, fields, fake } = await scenario(100, { faults: [{ on: 'create', kind: 'dailyLimit', nth: 2 }] }, 40);
    const cfg = config(fake, start, { window_days: 364, start_date: new Date(Date.now() - 300 * DAY).toISOString() });
    const { catalog } = await discoverCatalog(cfg);
    const tmp = childTmp();
    const first = await read(cfg, catalog, undefined, { env: { TMPDIR: tmp } });
    expect(first.code).toBe(1);
    const msgs1 = parseLines(first.stdout);
    const saved = lastStates(msgs1)[0]!;
    expect(saved.stream.stream_state.in_flight).toHaveLength(1);
    const creates1 = fake.exports.length;
    const second = await read(cfg, catalog, lastStates(msgs1), { env: { TMPDIR: tmp } });
    expect(second.code, second.stderr + second.stdout.slice(-3000)).toBe(0);
    // The stopped window: its first part resumed (created once, in the first run), its second created
    // now. A later tail window (when the second run ends a second or more after the first) gets
    // its own two parts.
    const win = JSON.stringify(fake.exports[0]!.procedure.arguments);
    const ofWindow = fake.exports.filter((e) => JSON.stringify(e.procedure.arguments) === win);
    expect(creates1).toBe(1);
    expect(ofWindow.map((e) => e.fields!.length)).toEqual([85, 85]); // 68 + 100 fields
    expect(ofWindow[0]!.fields).not.toEqual(ofWindow[1]!.fields);
    const others = fake.exports.filter((e) => JSON.stringify(e.procedure.arguments) !== win);
    expect(others.length % 2).toBe(0);
    for (const e of others) expect(e.fields!.length).toBe(85);
    const msgs2 = parseLines(second.stdout);
    const from = Date.parse(cfg.start_date as string);
    expectExact(msgs2, data.prospect!, expectedIds(data, from - (from % 1000)), fields);
    expect(readdirSync(tmp)).toEqual([]);
  });
});

describe('downloads of a split window', () => {
  it('a part download cut off mid-file is fetched again and its rows are joined once; an export expired mid-join is re-created; values exact', async () => {
    const { start, data, fields, fake } = await scenario(100, {
      rowsPerFile: 1000,
      faults: [
        { on: 'download', kind: 'cut', nth: 2, afterBytes: 20_000 },
        { on: 'download', kind: 'expire', nth: 3 },
      ],
    }, 200);
    const cfg = config(fake, start, { window_days: 364, start_date: new Date(Date.now() - 300 * DAY).toISOString() });
    const { catalog } = await discoverCatalog(cfg);
    const tmp = childTmp();
    const r = await read(cfg, catalog, undefined, { env: { TMPDIR: tmp } });
    expect(r.code, r.stderr + r.stdout.slice(-3000)).toBe(0);
    const msgs = parseLines(r.stdout);
    expect(logs(msgs, 'WARN').some((m) => /cut off after \d+ row\(s\).*skipping them/.test(m))).toBe(true);
    expect(logs(msgs, 'WARN').some((m) => /expired before it was downloaded; re-creating it/.test(m))).toBe(true);
    const from = Date.parse(cfg.start_date as string);
    expectExact(msgs, data.prospect!, expectedIds(data, from - (from % 1000)), fields);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('a part download that keeps failing fails the run with the state of the last finished window, and the temporary files are removed', async () => {
    const { start, data, fake } = await scenario(100, {
      faults: [{ on: 'download', kind: 'status', status: 500, nth: 2, times: 50, headers: { 'retry-after': '0' } }],
    });
    const tmp = childTmp();
    const cfg = config(fake, start);
    const { catalog } = await discoverCatalog(cfg);
    const r = await read(cfg, catalog, undefined, { env: { TMPDIR: tmp } });
    expect(r.code).toBe(1);
    const msgs = parseLines(r.stdout);
    const trace = errorTrace(msgs)!;
    expect(trace.failure_type).toBe('transient_error');
    expect(trace.internal_message).toMatch(/^PARDOT_UNAVAILABLE/);
    expect(readdirSync(tmp)).toEqual([]);
    // The window of the refused download: its exports are the ones the last STATE keeps in flight,
    // and the cursor is its start (null: it was the first window); the windows before it are out whole.
    const refused = fake.log.find((l) => l.route === 'download' && l.status === 500)!;
    const failed = fake.exports.find((e) => refused.path.startsWith(`/api/v5/exports/${e.id}/`))!;
    const window = fake.exports.filter((e) => e.window.afterMs === failed.window.afterMs);
    expect(window).toHaveLength(2);
    const last = lastStates(msgs)[0]!.stream.stream_state;
    const windowStart = failed.window.afterMs + 1000;
    const from = Math.floor(start.getTime() / 1000) * 1000;
    expect(last.updatedAt === null ? from : Date.parse(last.updatedAt)).toBe(windowStart);
    expect(last.in_flight.filter((f: { start: string }) => Date.parse(f.start) === windowStart).map((f: { id: string }) => f.id).sort()).toEqual(window.map((e) => String(e.id)).sort());
    const emitted = msgs.filter((m) => m.type === 'RECORD').map((m) => m.record.data.id as number);
    expect(emitted.sort((a, b) => a - b)).toEqual(expectedIds(data, from, windowStart).sort((a, b) => a - b));
  });
});

describe('prospect-account custom fields (the custom_fields setting: no v5 object lists them)', () => {
  it('an entry with object prospect_account extends prospect_accounts (not prospects) and its values sync', async () => {
    const { start, data } = smallData({ prospects: 10, days: 400 });
    const accountFields = makeCustomFields(3, { seed: 9, startId: 500 });
    addCustomValues(data.prospectAccount!, accountFields, 4);
    const fake = await startFake(data, { customFields: { prospectAccount: accountFields } });
    fakes.push(fake);
    const setting = accountFields.map((f) => ({ name: f.fieldId, type: f.type, object: 'prospect_account', ...(f.isRecordMultipleResponses ? { multiple: true } : {}) }));
    const cfg = config(fake, start, { custom_fields: setting });
    const { catalog } = await discoverCatalog(cfg, ['prospects', 'prospect_accounts']);
    const props = (name: string) => Object.keys(catalog.streams.find((s: Msg) => s.stream.name === name).stream.json_schema.properties);
    for (const f of accountFields) {
      expect(props('prospect_accounts')).toContain(apiFieldIdOf(f));
      expect(props('prospects')).not.toContain(apiFieldIdOf(f));
    }
    const accounts = { streams: catalog.streams.filter((s: Msg) => s.stream.name === 'prospect_accounts') };
    const r = await read(cfg, accounts);
    expect(r.code, r.stderr + r.stdout.slice(-3000)).toBe(0);
    const recs = parseLines(r.stdout).filter((m) => m.type === 'RECORD').map((m) => m.record.data);
    expect(recs.length).toBeGreaterThan(0);
    const byId = new Map(data.prospectAccount!.map((row) => [row.id, row]));
    for (const rec of recs) for (const f of accountFields) expect(rec[apiFieldIdOf(f)]).toEqual(expectedCustomValue(f, byId.get(rec.id)![apiFieldIdOf(f)]));
  });
});
