/**
 * A live business unit through the built CLI, against the fake writing what one writes: odd cells
 * in every export stream, rows that change while the sync runs, deleted visitors, exports queued
 * ahead across streams and a run killed with all of them in flight. Expected rows come from the
 * fake's own data and ledgers, never from the connector.
 */
import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { generateData, type FakePardot, type ObjectName, type Row } from './fake-pardot/index.js';
import { loadProtocolValidator } from './helpers/airbyte-schema.js';
import { runCli, tempDir, writeJson } from './helpers/cli.js';
import { catalog, churn, config, DAY, errorTrace, lastStates, logs, parseLines, read, startFake, tally, type Msg } from './helpers/scenario.js';

const open: FakePardot[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((f) => f.close()));
});

/** Export streams and the fake object each reads (the deleted captures aside). */
const EXPORTS: Array<[string, ObjectName, 'updatedAt' | 'createdAt']> = [
  ['prospects', 'prospect', 'updatedAt'],
  ['visitors', 'visitor', 'updatedAt'],
  ['visitor_activities', 'visitorActivity', 'updatedAt'],
  ['list_memberships', 'listMembership', 'updatedAt'],
  ['prospect_accounts', 'prospectAccount', 'updatedAt'],
  ['external_activities', 'externalActivity', 'createdAt'],
];

function data(days: number, seed = 21) {
  const now = Date.now();
  const start = new Date(now - days * DAY);
  return { start, data: generateData({ seed, start, end: new Date(now - 10 * 60_000), counts: { prospect: 150 } }) };
}

/** The ids a stream exports from the fake's rows as they are now: live rows (visitors, prospects) with the cursor in [from, to). */
function idsOf(rows: readonly Row[], object: ObjectName, cursor: string, from: number, to = Infinity): number[] {
  return rows
    .filter((r) => {
      const v = r[cursor];
      if (!(v instanceof Date)) return false;
      if ((object === 'visitor' || object === 'prospect') && r.isDeleted === true) return false;
      const t = Math.floor(v.getTime() / 1000) * 1000;
      return t >= from && t < to;
    })
    .map((r) => r.id as number);
}

const recordsOf = (msgs: Msg[], stream: string) => msgs.filter((m) => m.type === 'RECORD' && m.record.stream === stream).map((m) => m.record as Msg);

describe('odd cells cost a cell, never a stream', () => {
  it('every export stream completes with every row; each odd cell is null and in meta.changes; one WARN per stream and field', async () => {
    const { start, data: d } = data(300);
    const fake = await startFake(d as Record<string, Row[]>, { oddCells: { rows: 6, seed: 3 } });
    open.push(fake);
    const ledger = fake.oddCells();
    expect(new Set(ledger.map((c) => c.object)).size).toBe(6);
    const r = await read(config(fake, start, { window_days: 150 }), catalog(EXPORTS.map(([s]) => s)));
    expect(r.code, JSON.stringify(errorTrace(parseLines(r.stdout)))).toBe(0);
    const msgs = parseLines(r.stdout);
    const warns = logs(msgs, 'WARN');
    const protocol = loadProtocolValidator();
    for (const [stream, object, cursor] of EXPORTS) {
      const recs = recordsOf(msgs, stream);
      const t = tally(idsOf(d[object] as Row[], object, cursor, Math.floor(start.getTime() / 1000) * 1000), recs.map((x) => x.data.id as number));
      expect({ stream, lost: t.lost, duplicated: t.duplicated, unexpected: t.unexpected }).toEqual({ stream, lost: 0, duplicated: 0, unexpected: 0 });
      // The odd cells of the rows this stream exports (a deleted visitor's go to deleted_visitors).
      const exported = new Set(recs.map((x) => x.data.id as number));
      const cells = ledger.filter((c) => c.object === object && exported.has(c.id));
      expect(cells.length, stream).toBeGreaterThan(0);
      const byId = new Map(recs.map((x) => [x.data.id as number, x]));
      for (const c of cells) {
        const rec = byId.get(c.id)!;
        expect(rec.data[c.field], `${stream} ${c.id} ${c.field} ${c.raw}`).toBeNull();
        expect(rec.meta?.changes).toContainEqual({ field: c.field, change: 'NULLED', reason: 'SOURCE_SERIALIZATION_ERROR' });
      }
      // Records without an odd cell carry no meta.
      const odd = new Set(cells.map((c) => c.id));
      expect(recs.filter((x) => !odd.has(x.data.id) && x.meta !== undefined)).toEqual([]);
      // One WARN per field (values nulled and zero dates counted apart), each naming the stream and field.
      for (const field of new Set(cells.map((c) => c.field))) {
        const about = warns.filter((w) => w.startsWith(`${stream}:`) && w.includes(`'${field}'`));
        expect(about.length, `${stream} ${field}: ${about.join(' / ')}`).toBeGreaterThanOrEqual(1);
        expect(about.length).toBeLessThanOrEqual(2);
      }
    }
    if (protocol.available) for (const m of msgs) expect(protocol.validate(m)).toBeNull();
  });

  it('invalid_values: fail keeps the strict behaviour: the first odd cell fails its stream (CSV_BAD_VALUE)', async () => {
    const { start, data: d } = data(100);
    const fake = await startFake(d as Record<string, Row[]>, { oddCells: { rows: 3, seed: 5, objects: ['prospect'] } });
    open.push(fake);
    const bad = fake.oddCells('prospect').filter((c) => !c.raw.startsWith('0000-00-00'));
    expect(bad.length).toBeGreaterThan(0);
    const r = await read(config(fake, start, { invalid_values: 'fail' }), catalog(['prospects']));
    expect(r.code).toBe(1);
    expect(errorTrace(parseLines(r.stdout))!.internal_message).toMatch(/CSV_BAD_VALUE/);
  });

  it('Singer: the odd cell is null, and the WARN on stderr is the record of it', async () => {
    const { start, data: d } = data(100);
    const fake = await startFake(d as Record<string, Row[]>, { oddCells: { rows: 4, seed: 9, objects: ['prospect'] } });
    open.push(fake);
    const dir = tempDir();
    const disc = await runCli(['--config', writeJson(dir, 'c.json', config(fake, start)), '--discover']);
    const cat = JSON.parse(disc.stdout) as { streams: Msg[] };
    for (const s of cat.streams) for (const m of s.metadata) if (m.breadcrumb.length === 0) m.metadata.selected = s.tap_stream_id === 'prospects';
    const r = await runCli(['--config', join(dir, 'c.json'), '--catalog', writeJson(dir, 'cat.json', cat)]);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const recs = parseLines(r.stdout).filter((m) => m.type === 'RECORD').map((m) => m.record as Msg);
    for (const c of fake.oddCells('prospect')) expect(recs.find((x) => x.id === c.id)![c.field]).toBeNull();
    expect(r.stderr).toMatch(/WARN prospects: \d+ value\(s\) of field '\w+'/);
  });
});

function join(dir: string, name: string): string {
  return `${dir}/${name}`;
}

describe('rows that change while a full refresh runs', () => {
  it('a row of a later window updated after an earlier window was exported is still in the full refresh (closing windows), in every stream', async () => {
    const { start, data: d } = data(400);
    const fake = await startFake(d as Record<string, Row[]>);
    open.push(fake);
    const streams = EXPORTS.filter(([, , c]) => c === 'updatedAt');
    // Every row that exists when the run starts, by stream (the churn only moves rows, never removes them).
    const existing = new Map(streams.map(([s, o, c]) => [s, idsOf(d[o] as Row[], o, c, Math.floor(start.getTime() / 1000) * 1000)]));
    const moved = streams.map(([, o]) => churn(fake, o, { rows: 5, seed: 7 }));
    const r = await read(config(fake, start, { window_days: 120 }), catalog(streams.map(([s]) => s), 'full_refresh'));
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const msgs = parseLines(r.stdout);
    for (const [i, [stream]] of streams.entries()) {
      expect(moved[i]!.touched.length, stream).toBeGreaterThanOrEqual(10);
      const ids = recordsOf(msgs, stream).map((x) => x.data.id as number);
      const t = tally(existing.get(stream)!, ids);
      expect({ stream, lost: t.lost }).toEqual({ stream, lost: 0 });
      // A moved row comes with its values from some moment of the run: the last time it is emitted, its new updatedAt.
      for (const id of moved[i]!.touched) expect(ids).toContain(id);
    }
    expect(logs(msgs, 'INFO').some((m) => /closing window 1 .* brought \d+ row\(s\) changed during the run/.test(m))).toBe(true);
  });
});

describe('deleted visitors', () => {
  it('every record of deleted_visitors says isDeleted: true, and its schema declares it', async () => {
    const { start, data: d } = data(200);
    const fake = await startFake(d as Record<string, Row[]>);
    open.push(fake);
    const dir = tempDir();
    const disc = await runCli(['discover', '--config', writeJson(dir, 'c.json', config(fake, start))]);
    const s = disc.messages.find((m) => m.type === 'CATALOG')!.catalog.streams.find((x: Msg) => x.name === 'deleted_visitors');
    expect(s.json_schema.properties.isDeleted).toBeDefined();
    const r = await read(config(fake, start), catalog(['deleted_visitors']));
    expect(r.code).toBe(0);
    const recs = recordsOf(parseLines(r.stdout), 'deleted_visitors');
    const want = (d.visitor as Row[]).filter((v) => v.isDeleted === true).map((v) => v.id as number);
    expect(want.length).toBeGreaterThan(0);
    expect(tally(want, recs.map((x) => x.data.id as number))).toMatchObject({ lost: 0, duplicated: 0, unexpected: 0 });
    expect(recs.every((x) => x.data.isDeleted === true)).toBe(true);
  });
});

describe('exports queued ahead across streams', () => {
  it('a run killed with exports of two streams queued resumes every one of them: no window gets a second export, no row lost or repeated', async () => {
    const { start, data: d } = data(300);
    // Slow exports, processed one at a time: the run is killed while several wait in Pardot's queue.
    const fake = await startFake(d as Record<string, Row[]>, { processingMs: 400 });
    open.push(fake);
    const cfg = config(fake, start, { window_days: 150, export_queue_depth: 4 });
    const cat = catalog(['prospects', 'visitors']);
    let child: ChildProcess | undefined;
    const inFlight = new Map<string, number>();
    const r1 = await read(cfg, cat, undefined, {
      onSpawn: (c) => (child = c),
      onLine: (l) => {
        if (!l.includes('"in_flight"')) return;
        const m = JSON.parse(l) as Msg;
        inFlight.set(m.state.stream.stream_descriptor.name, m.state.stream.stream_state.in_flight.length);
        // Both streams' exports recorded (four queued in all): nothing is being created now.
        if ((inFlight.get('prospects') ?? 0) + (inFlight.get('visitors') ?? 0) >= 4) child!.kill('SIGKILL');
      },
    });
    expect(r1.signal).toBe('SIGKILL');
    const m1 = parseLines(r1.stdout);
    const saved = lastStates(m1).flatMap((s: Msg) => s.stream.stream_state.in_flight ?? []);
    expect(saved.length).toBeGreaterThanOrEqual(4);
    const r2 = await read(cfg, cat, lastStates(m1));
    expect(r2.code, r2.stderr.slice(-2000)).toBe(0);
    const m2 = parseLines(r2.stdout);
    // Each saved export was resumed (read, not created again).
    for (const s of saved) expect(logs(m2, 'INFO').some((m) => m.includes(`job ${s.id} is`))).toBe(true);
    const windows = new Map<string, number>();
    for (const e of fake.exports) {
      const k = `${e.object} ${JSON.stringify(e.procedure.arguments)}`;
      windows.set(k, (windows.get(k) ?? 0) + 1);
    }
    expect([...windows.values()].every((n) => n === 1)).toBe(true);
    for (const [stream, object, cursor] of EXPORTS.slice(0, 2)) {
      const from = Math.floor(start.getTime() / 1000) * 1000;
      const t = tally(idsOf(d[object] as Row[], object, cursor, from), [...recordsOf(m1, stream), ...recordsOf(m2, stream)].map((x) => x.data.id as number));
      expect({ stream, lost: t.lost, unexpected: t.unexpected }).toEqual({ stream, lost: 0, unexpected: 0 });
    }
  });
});
