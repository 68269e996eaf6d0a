/**
 * The fast record paths give the same records and the same errors as the reference ones:
 * extractCsvBytes (inline, encoded bytes) and the worker-thread pool (extract/parallel.ts) against
 * extractCsv (strings); and both protocol adapters write byte-identical output from `lines` and
 * from `encoded` record events. The worker runs from dist/ (`npm test` builds first).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ConnectorError } from '../src/errors.js';
import { extractCsv, extractCsvBytes, type EncodedRows, type ExtractOptions } from '../src/extract/index.js';
import { InvalidTally } from '../src/extract/notes.js';
import type { CellNotes } from '../src/extract/types.js';
import { OUT_BUFFERS, createExtractPool, createParsePool, usableCpus } from '../src/extract/parallel.js';
import { AirbyteWriter } from '../src/protocol/airbyte.js';
import { memorySink, type LineSink } from '../src/protocol/output.js';
import { SingerWriter } from '../src/protocol/singer.js';
import { ProgressReporter } from '../src/protocol/progress.js';
import { Redactor } from '../src/redact.js';
import { STREAMS, type FieldDef, type PardotType } from '../src/streams.js';
import type { ConfiguredStream } from '../src/protocol/catalog.js';
import type { SyncEvent } from '../src/sync/events.js';
import { chunksOf, decodeRows as decode } from './helpers/encoded.js';

const WORKER = new URL('../dist/src/extract/worker.js', import.meta.url);
const pool = createExtractPool({ size: 2, workerUrl: WORKER });
afterAll(() => pool.close());

const SRC = { stream: 'prospects', exportId: 'exp-1', file: 'file-0' };
/** The wire's multi-value rule, written here by hand (MULTI_VALUE_CELL's values). */
const MV = { separator: ';', jsonArray: true };


/** A path's rows, its batches' notes summed (batches differ between paths; sums and first examples do not), and its error. */
type Outcome = { lines: string[]; notes: CellNotes; err?: { code: string; line: unknown; column: unknown; message: string } };

async function run(kind: 'strings' | 'bytes' | 'workers', csv: string | Buffer, size: number, o: ExtractOptions): Promise<Outcome> {
  const lines: string[] = [];
  const tally = new InvalidTally();
  try {
    if (kind === 'strings') {
      for await (const b of extractCsv(chunksOf(csv, size), o)) {
        lines.push(...b.lines);
        tally.add(b);
      }
    } else {
      const gen = kind === 'bytes' ? extractCsvBytes(chunksOf(csv, size), o) : pool.extract(chunksOf(csv, size), o);
      for await (const b of gen) {
        lines.push(...decode(b));
        tally.add(b);
        b.release?.();
      }
    }
  } catch (e) {
    expect(e).toBeInstanceOf(ConnectorError);
    const ce = e as ConnectorError;
    return { lines, notes: tally.notes(), err: { code: ce.code, line: ce.context.line, column: ce.context.column, message: ce.message } };
  }
  return { lines, notes: tally.notes() };
}

describe('fast extract paths: same records and errors as extractCsv', () => {
  it('random files with quotes, commas, line breaks, BOM, Unicode, nulls, bad values, zero dates, fall-back hours, cut files, any chunking, framed with a meta', async () => {
    let seed = 12345;
    const rnd = (n: number): number => {
      // mulberry32
      seed = (seed + 0x6d2b79f5) >>> 0;
      let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) % n;
    };
    const pieces = ['a', 'Zoë', '東京', '🚀', ',', '"', '""', '\n', '\r\n', '\r', ' ', '\t', '\\', '\u0001', 'x y', "O'Neil"];
    const typed: Record<Exclude<PardotType, 'String'>, string[]> = {
      Integer: ['0', '7', '-12', '007', '123456789012345678901', 'x1', '1.5'],
      Boolean: ['true', 'FALSE', '1', '0', 'yes'],
      DateTime: ['2024-03-10 02:30:00', '2024-11-03 01:30:00', '2024-01-31', '2024-07-04 23:59:59', '0000-00-00 00:00:00', '2024-13-01 00:00:00', 'soon'],
    };
    const types: PardotType[] = ['String', 'Integer', 'Boolean', 'DateTime'];
    let compared = 0;
    let noted = 0;
    const errors = new Set<string>();
    for (let file = 0; file < 300; file++) {
      const ncol = 1 + rnd(6);
      const fields: FieldDef[] = [];
      const header: string[] = [];
      for (let c = 0; c < ncol; c++) {
        header.push(`f${c}`);
        if (rnd(5) > 0) fields.push({ name: `f${c}`, type: types[rnd(4)]! });
      }
      const typeOf = new Map(fields.map((f) => [f.name, f.type]));
      const bad = rnd(4) === 0;
      let csv = (rnd(10) === 0 ? '\uFEFF' : '') + header.join(',') + (rnd(2) ? '\r\n' : '\n');
      const nrows = rnd(40);
      for (let r = 0; r < nrows; r++) {
        const cells = header.map((h) => {
          const t = typeOf.get(h) ?? 'String';
          if (rnd(5) === 0) return rnd(2) ? '' : '""';
          let v = '';
          if (t === 'String') for (let i = rnd(8); i > 0; i--) v += pieces[rnd(pieces.length)];
          else {
            const opts = typed[t];
            v = opts[rnd(bad ? opts.length : opts.length - (t === 'Boolean' ? 1 : 2))]!;
          }
          return /[",\r\n]/.test(v) || rnd(4) === 0 ? `"${v.replace(/"/g, '""')}"` : v;
        });
        csv += cells.join(',') + (r === nrows - 1 && rnd(3) === 0 ? '' : rnd(2) ? '\r\n' : '\n');
      }
      if (rnd(6) === 0) csv = csv.slice(0, rnd(csv.length + 1));
      const size = 1 + rnd(40);
      const o: ExtractOptions = {
        ...SRC,
        multiValue: MV,
        fields,
        timezone: 'America/New_York',
        batchSize: 1 + rnd(5),
        batchBytes: 1 + rnd(300),
        skipRows: rnd(4) === 0 ? rnd(5) : 0,
        ...(rnd(4) === 0 ? { invalidValues: 'fail' as const } : {}),
        // A window that holds only the later reading of 2024-11-03 01:30 (New York), for the first DateTime column.
        ...(fields.some((f) => f.type === 'DateTime') && rnd(2) ? { window: { start: Date.UTC(2024, 10, 3, 6), end: Date.UTC(2024, 10, 4), cursorField: fields.find((f) => f.type === 'DateTime')!.name } } : {}),
      };
      // Framed: each row inside the protocol's envelope (with a meta when cells were nulled), written by the encoder itself.
      const frame = { head: `{"type":"RECORD","n":${file},"data":`, tail: '}\n', meta: ',"meta":' };
      for (const framed of [false, true]) {
        const ref = await run('strings', csv, size, framed ? { ...o, frame } : o);
        for (const kind of ['bytes', 'workers'] as const) {
          const got = await run(kind, csv, size, framed ? { ...o, frame } : o);
          const what = `${kind}${framed ? ' framed' : ''}, file ${file}: ${JSON.stringify(csv)}`;
          expect(got.err, what).toEqual(ref.err);
          // Rows before an error may be batched differently; a clean file must match exactly.
          if (!ref.err) expect(got, what).toEqual(ref);
        }
        if (!framed) {
          compared += ref.lines.length;
          if (Object.keys(ref.notes).length > 0) noted++;
        }
        if (ref.err) errors.add(ref.err.code);
      }
    }
    expect(compared).toBeGreaterThan(500);
    expect(noted).toBeGreaterThan(30);
    expect(errors.has('CSV_BAD_VALUE')).toBe(true);
    expect(errors.has('CSV_UNTERMINATED_QUOTE')).toBe(true);
  }, 60_000);

  it('large bodies in chunks larger than a ring slot, with skipRows, byte-identical across paths', async () => {
    const header = 'id,name,note,at,ok\r\n';
    let csv = '\uFEFF' + header;
    for (let i = 0; i < 20_000; i++) {
      csv += `${i},"Zoë ""${i}"", 東京","multi\nline ${'x'.repeat(i % 50)}",2024-11-03 01:${String(i % 60).padStart(2, '0')}:00,${i % 2 ? 'TRUE' : '0'}\r\n`;
    }
    const fields: FieldDef[] = [
      { name: 'id', type: 'Integer' },
      { name: 'name', type: 'String' },
      { name: 'note', type: 'String' },
      { name: 'at', type: 'DateTime' },
      { name: 'ok', type: 'Boolean' },
    ];
    for (const size of [300_000, 65_536, 7_777]) {
      const o: ExtractOptions = { ...SRC, multiValue: MV, fields, timezone: 'America/New_York', skipRows: 1234 };
      const ref = await run('strings', csv, size, o);
      expect(ref.lines).toHaveLength(20_000 - 1234);
      expect(await run('bytes', csv, size, o)).toEqual(ref);
      expect(await run('workers', csv, size, o)).toEqual(ref);
    }
  });

  it('a consumer that stops early, an error, and a bad timezone leave the pool usable', async () => {
    const csv = 'id\n' + Array.from({ length: 5000 }, (_, i) => `${i}\n`).join('');
    const fields: FieldDef[] = [{ name: 'id', type: 'Integer' }];
    const o: ExtractOptions = { ...SRC, multiValue: MV, fields, timezone: 'UTC', batchSize: 100 };
    for await (const b of pool.extract(chunksOf(csv, 1000), o)) {
      expect(b.ends.length).toBe(100);
      break;
    }
    const bad = await run('workers', 'id\n1\nx\n', 2, { ...o, invalidValues: 'fail' });
    expect(bad.err?.code).toBe('CSV_BAD_VALUE');
    // By default the bad cell is null, and its note crosses the thread boundary with its batch.
    const nulled = await run('workers', 'id\n1\nx\n', 2, o);
    expect(nulled).toEqual({ lines: ['{"id":1}', '{"id":null}'], notes: { invalid: { id: { type: 'Integer', count: 1, example: 'x' } } } });
    const tz = await run('workers', 'at\n2024-01-01\n', 4, { ...o, fields: [{ name: 'at', type: 'DateTime' }], timezone: 'Mars/Olympus' });
    expect(tz.err?.code).toBe('CSV_BAD_TIMEZONE');
    const all = await Promise.all([0, 1, 2, 3].map(() => run('workers', csv, 999, o)));
    for (const r of all) expect(r.lines).toHaveLength(5000);
  });

  it('a body that fails mid-file: its error passes through unchanged, after the rows already converted', async () => {
    const csv = 'id\n' + Array.from({ length: 3000 }, (_, i) => `${i}\n`).join('');
    async function* failing(): AsyncGenerator<Buffer> {
      yield* chunksOf(csv.slice(0, 9000), 1000);
      throw new Error('socket hang up');
    }
    const o: ExtractOptions = { ...SRC, multiValue: MV, fields: [{ name: 'id', type: 'Integer' }], timezone: 'UTC', batchSize: 500 };
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const b of pool.extract(failing(), o)) {
          seen.push(b.ends.length);
          b.release?.();
        }
      })(),
    ).rejects.toThrow('socket hang up');
    expect(seen.reduce((a, n) => a + n, 0)).toBeGreaterThanOrEqual(1500);
  });
});

describe('worker output buffers: backpressure and reuse', () => {
  it('a consumer that holds every batch stops the worker after OUT_BUFFERS batches; each release lets one more through', async () => {
    const own = createExtractPool({ size: 1, workerUrl: WORKER });
    try {
      const csv = 'id,s\n' + Array.from({ length: 20_000 }, (_, i) => `${i},${'y'.repeat(60)}\n`).join('');
      const o: ExtractOptions = { ...SRC, multiValue: MV, fields: [{ name: 'id', type: 'Integer' }, { name: 's', type: 'String' }], timezone: 'UTC', batchSize: 100 };
      const gen = own.extract(chunksOf(csv, 4096), o);
      const held: EncodedRows[] = [];
      let pending = gen.next();
      for (;;) {
        const r = await Promise.race([pending, new Promise<'blocked'>((res) => setTimeout(() => res('blocked'), 500))]);
        if (r === 'blocked') break;
        expect(r.done).toBe(false);
        held.push((r as IteratorYieldResult<EncodedRows>).value);
        pending = gen.next();
      }
      // Nothing is copied or allocated per batch: OUT_BUFFERS are out, one more is being filled.
      expect(held).toHaveLength(OUT_BUFFERS);
      for (const b of held) expect(b.release).toBeTypeOf('function');
      const ids: number[] = [];
      const take = (b: EncodedRows) => {
        for (const line of decode(b)) ids.push((JSON.parse(line) as { id: number }).id);
        b.release!();
        b.release!(); // a second call is ignored
      };
      take(held.shift()!);
      // The next() still pending since the worker blocked now gets its batch.
      let rest = 0;
      for (;;) {
        const r = await pending;
        if (r.done) break;
        held.push(r.value);
        rest++;
        take(held.shift()!);
        pending = gen.next();
      }
      for (const b of held.splice(0)) take(b);
      expect(rest).toBeGreaterThan(100);
      expect(ids).toEqual(Array.from({ length: 20_000 }, (_, i) => i));
    } finally {
      await own.close();
    }
  });
});

describe('batches a consumer never releases', () => {
  it('do not starve the next files on the same worker (each file counts only the buffers it was given)', async () => {
    const own = createExtractPool({ size: 1, workerUrl: WORKER });
    try {
      const o = (k: number): ExtractOptions => ({ ...SRC, multiValue: MV, file: `f${k}`, fields: [{ name: 'a', type: 'String' }], timezone: 'UTC', batchSize: 1 });
      async function* body(): AsyncGenerator<Buffer> {
        yield Buffer.from('a\nx\ny\nz\n');
      }
      // More files than the worker has buffers, each dropping one batch without releasing it.
      for (let k = 1; k <= OUT_BUFFERS + 3; k++) {
        const rows: string[] = [];
        const run = (async () => {
          let n = 0;
          for await (const b of own.extract(body(), o(k))) {
            rows.push(...decode(b));
            if (++n > 1) b.release!();
          }
        })();
        const outcome = await Promise.race([run.then(() => 'done'), new Promise((r) => setTimeout(() => r('hung'), 3000))]);
        expect(outcome, `file ${k}`).toBe('done');
        expect(rows).toEqual(['{"a":"x"}', '{"a":"y"}', '{"a":"z"}']);
      }
    } finally {
      await own.close();
    }
  });
});

describe('a body that fails while the worker waits for its output buffers', () => {
  it('still hands out every batch converted before the failure, then passes the error on (no deadlock)', async () => {
    const own = createExtractPool({ size: 1, workerUrl: WORKER });
    try {
      // 20 one-character cells with long keys: each input byte becomes ~20 output bytes, so the
      // chunks in flight when the body fails convert into more batches than the worker has buffers.
      const names = Array.from({ length: 20 }, (_, i) => `a_rather_long_column_name_${i}`);
      const row = Array.from({ length: 20 }, () => '7').join(',') + '\n';
      const csv = Buffer.from(names.join(',') + '\n' + row.repeat(40_000));
      async function* failing(): AsyncGenerator<Buffer> {
        for (let i = 0; i < 12 * 65_536; i += 65_536) yield csv.subarray(i, i + 65_536);
        throw new Error('socket hang up');
      }
      const o: ExtractOptions = { ...SRC, multiValue: MV, fields: names.map((name) => ({ name, type: 'String' as const })), timezone: 'UTC', batchSize: 100_000 };
      let rows = 0;
      let batches = 0;
      await expect(
        (async () => {
          for await (const b of own.extract(failing(), o)) {
            rows += b.ends.length;
            batches++;
            b.release?.();
          }
        })(),
      ).rejects.toThrow('socket hang up');
      expect(batches).toBeGreaterThan(OUT_BUFFERS + 1);
      // The full batches converted from the 12 chunks sent; rows of the unfinished last batch are
      // not handed out (the re-fetch skips exactly the rows emitted, so they come then).
      const complete = Math.floor((12 * 65_536 - (names.join(',').length + 1)) / row.length);
      expect(rows).toBeLessThanOrEqual(complete);
      expect(rows).toBeGreaterThan(complete - 400);
    } finally {
      await own.close();
    }
  }, 20_000);
});

describe('adapters: encoded record events (rows inside the adapter\'s own envelope) give the same bytes as line events', () => {
  const lines = ['{"id":1,"a":"Zoë \\"q\\""}', '{"id":2,"a":null}', '{"id":3,"a":"東京\\n🚀"}'];
  const asLines: SyncEvent = { type: 'records', stream: 'prospects', lines, extractedAt: 1_700_000_000_123 };
  // What runRead emits: each row framed by the extractor with the adapter's recordFrame.
  let released = 0;
  const encodedOf = (f: { head: string; tail: string }, rowsIn: readonly string[] = lines): SyncEvent => {
    const rows = rowsIn.map((l) => f.head + l + f.tail);
    const ends = new Uint32Array(rows.length);
    rows.reduce((o, l, k) => (ends[k] = o + Buffer.byteLength(l)), 0);
    return {
      type: 'records',
      stream: 'prospects',
      encoded: { data: Buffer.from(rows.join(''), 'utf8'), ends, release: () => void released++ },
      extractedAt: 1_700_000_000_123,
    };
  };

  const text = async (write: (out: LineSink) => Promise<void>): Promise<string> => {
    const sink = memorySink();
    await write(sink);
    return sink.lines().join('\n');
  };

  it('Airbyte: written as they are, released once written', async () => {
    const mk = (out: LineSink) => new AirbyteWriter(out, new Redactor(), () => 0);
    const a = await text(async (out) => void (await mk(out).event(asLines)));
    expect(a.split('\n')).toHaveLength(3);
    expect(JSON.parse(a.split('\n')[2]!).record.data.a).toBe('東京\n🚀');
    released = 0;
    const frame = (out: LineSink) => mk(out).recordFrame('prospects', 1_700_000_000_123);
    expect(await text(async (out) => void (await mk(out).event(encodedOf(frame(out)))))).toBe(a);
    expect(released).toBe(1);
    expect(await text(async (out) => void (await mk(out).event(encodedOf(frame(out), []))))).toBe('');
    expect(released).toBe(2);
  });

  it('Singer (SCHEMA first, then the records)', async () => {
    const def = STREAMS.find((x) => x.name === 'prospects')!;
    const cs: ConfiguredStream = { stream: def, syncMode: 'full_refresh', fields: def.fields.slice(0, 3) };
    const progress = new ProgressReporter({ write: () => undefined } as never, new Redactor(), () => 0);
    const mk = (out: LineSink) => new SingerWriter(out, new Redactor(), progress, [cs]);
    const a = await text(async (out) => void (await mk(out).event(asLines)));
    released = 0;
    expect(await text(async (out) => void (await mk(out).event(encodedOf(mk(out).recordFrame('prospects', 1_700_000_000_123)))))).toBe(a);
    expect(released).toBe(1);
    expect(a.split('\n')[0]).toContain('"type":"SCHEMA"');
    expect(a.split('\n').filter((l) => l.startsWith('{"type":"RECORD"'))).toHaveLength(3);
    expect(JSON.parse(a.split('\n')[3]!).record.a).toBe('東京\n🚀');
  });
});

describe('how many parse workers', () => {
  const files = (m: Record<string, string>) => (path: string) => m[path] ?? null;
  it('uses the visible cores unless a cgroup CPU quota (container --cpus, Kubernetes limit) is lower', () => {
    expect(usableCpus(files({}), 8)).toBe(8);
    expect(usableCpus(files({ '/sys/fs/cgroup/cpu.max': 'max 100000\n' }), 8)).toBe(8);
    expect(usableCpus(files({ '/sys/fs/cgroup/cpu.max': '100000 100000\n' }), 8)).toBe(1);
    expect(usableCpus(files({ '/sys/fs/cgroup/cpu.max': '250000 100000\n' }), 8)).toBe(3);
    expect(usableCpus(files({ '/sys/fs/cgroup/cpu.max': '50000 100000\n' }), 8)).toBe(1);
    expect(usableCpus(files({ '/sys/fs/cgroup/cpu.max': '800000 100000\n' }), 2)).toBe(2);
    expect(usableCpus(files({ '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '-1\n', '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000\n' }), 4)).toBe(4);
    expect(usableCpus(files({ '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '200000\n', '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000\n' }), 4)).toBe(2);
  });

  it('parses inline (no worker) with one usable CPU or one download at a time', async () => {
    expect(createParsePool(3, 1)).toBeNull();
    expect(createParsePool(2, 4)).toBeNull();
    const p = createParsePool(3, 2);
    expect(p).not.toBeNull();
    await p!.close();
  });
});
