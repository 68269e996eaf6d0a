import { describe, expect, it } from 'vitest';
import { ConnectorError } from '../src/errors.js';
import { compileRowEncoder, extractCsv, type ExtractOptions, type RowBatch } from '../src/extract/index.js';
import type { FieldDef } from '../src/streams.js';

const SRC = { stream: 'prospects', exportId: 'exp-1', file: 'file-0' };
/** The wire's multi-value rule, written here by hand (MULTI_VALUE_CELL's values). */
const MV = { separator: ';', jsonArray: true };

function opts(fields: FieldDef[], extra: Partial<ExtractOptions> = {}): ExtractOptions {
  return { ...SRC, fields, timezone: 'America/New_York', multiValue: MV, ...extra };
}

const S = (name: string): FieldDef => ({ name, type: 'String' });
const I = (name: string): FieldDef => ({ name, type: 'Integer' });
const B = (name: string): FieldDef => ({ name, type: 'Boolean' });
const D = (name: string): FieldDef => ({ name, type: 'DateTime' });

async function* chunksOf(data: string | Buffer, size = Infinity): AsyncGenerator<Buffer> {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  if (size === Infinity) {
    yield buf;
    return;
  }
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

async function collect(gen: AsyncIterable<RowBatch>): Promise<RowBatch[]> {
  const out: RowBatch[] = [];
  for await (const b of gen) out.push(b);
  return out;
}

async function rows(csv: string | Buffer, fields: FieldDef[], extra: Partial<ExtractOptions> = {}, chunk = Infinity): Promise<unknown[]> {
  const batches = await collect(extractCsv(chunksOf(csv, chunk), opts(fields, extra)));
  return batches.flatMap((b) => b.lines.map((l) => JSON.parse(l) as unknown));
}

async function failure(p: Promise<unknown>): Promise<ConnectorError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ConnectorError);
    return e as ConnectorError;
  }
  throw new Error('expected a failure');
}

describe('extractCsv: CSV syntax', () => {
  it('keeps commas, doubled quotes and LF/CRLF/CR line breaks inside quoted cells', async () => {
    const csv = 'id,a,b\n1,"x, y","say ""hi"""\n2,"line1\nline2","crlf\r\nend"\n3,"cr\ronly",""\n';
    expect(await rows(csv, [I('id'), S('a'), S('b')])).toEqual([
      { id: 1, a: 'x, y', b: 'say "hi"' },
      { id: 2, a: 'line1\nline2', b: 'crlf\r\nend' },
      { id: 3, a: 'cr\ronly', b: null },
    ]);
  });

  it('reads CRLF row endings without keeping the CR', async () => {
    expect(await rows('id,a\r\n1,x\r\n2,"q"\r\n3,\r\n', [I('id'), S('a')])).toEqual([
      { id: 1, a: 'x' },
      { id: 2, a: 'q' },
      { id: 3, a: null },
    ]);
  });

  it('strips a UTF-8 BOM before the header', async () => {
    const csv = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('id,a\n1,x\n')]);
    expect(await rows(csv, [I('id'), S('a')])).toEqual([{ id: 1, a: 'x' }]);
    expect(await rows(csv, [I('id'), S('a')], {}, 1)).toEqual([{ id: 1, a: 'x' }]);
    expect(await rows('\uFEFFid\n5\n', [I('id')])).toEqual([{ id: 5 }]);
  });

  it('reads a final row without a trailing newline (plain, quoted, empty last cell, CRLF file)', async () => {
    expect(await rows('id,a\n1,x', [I('id'), S('a')])).toEqual([{ id: 1, a: 'x' }]);
    expect(await rows('id,a\n1,"x"', [I('id'), S('a')])).toEqual([{ id: 1, a: 'x' }]);
    expect(await rows('id,a\n1,', [I('id'), S('a')])).toEqual([{ id: 1, a: null }]);
    expect(await rows('id,a\r\n1,x\r\n2,y', [I('id'), S('a')])).toEqual([
      { id: 1, a: 'x' },
      { id: 2, a: 'y' },
    ]);
  });

  it('decodes multi-byte UTF-8 split across chunks when the body comes 1 byte at a time', async () => {
    const text = 'héllo, wörld — 日本語 🎉 "quoted"\nnext';
    const csv = `id,a,b\n1,"${text.replace(/"/g, '""')}",Ω\r\n2,😀,"😀,😀"\n`;
    const expected = [
      { id: 1, a: text, b: 'Ω' },
      { id: 2, a: '😀', b: '😀,😀' },
    ];
    expect(await rows(csv, [I('id'), S('a'), S('b')], {}, 1)).toEqual(expected);
    for (const size of [2, 3, 5, 7, 64]) expect(await rows(csv, [I('id'), S('a'), S('b')], {}, size)).toEqual(expected);
  });

  it('accepts string chunks as the body', async () => {
    async function* body(): AsyncGenerator<string> {
      yield 'id,a\n1,"x';
      yield '""y"\n2,z\n';
    }
    const out = await collect(extractCsv(body(), opts([I('id'), S('a')])));
    expect(out.flatMap((b) => b.lines)).toEqual(['{"id":1,"a":"x\\"y"}', '{"id":2,"a":"z"}']);
  });

  it('treats an empty body, a header-only file and blank lines leniently', async () => {
    expect(await rows('', [I('id')])).toEqual([]);
    expect(await rows('id,a\n', [I('id'), S('a')])).toEqual([]);
    expect(await rows('id,a', [I('id'), S('a')])).toEqual([]);
    expect(await rows('id,a\n1,x\n\n2,y\r\n\r\n', [I('id'), S('a')])).toEqual([
      { id: 1, a: 'x' },
      { id: 2, a: 'y' },
    ]);
  });

  it('raises CSV_COLUMN_COUNT with the line, expected and got', async () => {
    const e = await failure(rows('id,a\n1,x\n2,"multi\nline"\n3,x,extra\n', [I('id'), S('a')]));
    expect(e.code).toBe('CSV_COLUMN_COUNT');
    expect(e.context).toMatchObject({ ...SRC, line: 5, expected: 2, got: 3 });
    const short = await failure(rows('id,a\n1\n', [I('id'), S('a')]));
    expect(short.context).toMatchObject({ line: 2, expected: 2, got: 1 });
  });

  it('raises CSV_UNTERMINATED_QUOTE when a quote is still open at end of file', async () => {
    const e = await failure(rows('id,a\n1,x\n2,"never closed\nmore\n', [I('id'), S('a')]));
    expect(e.code).toBe('CSV_UNTERMINATED_QUOTE');
    expect(e.context).toMatchObject({ ...SRC, line: 3 });
  });

  it('raises CSV_INVALID_CLOSING_QUOTE for text after a closing quote', async () => {
    const e = await failure(rows('id,a\n1,"x"y\n', [I('id'), S('a')]));
    expect(e.code).toBe('CSV_INVALID_CLOSING_QUOTE');
    expect(e.context).toMatchObject({ line: 2 });
  });

  it('parses the same rows whatever the chunk size', async () => {
    let csv = 'id,a,b,c\r\n';
    const expected: unknown[] = [];
    for (let i = 0; i < 300; i++) {
      const a = i % 3 === 0 ? `"q""${i}\r\n,x"` : `v${i}`;
      csv += `${i},${a},${i % 5 === 0 ? '' : '"b"'},é${i}\r\n`;
      expected.push({ id: i, a: i % 3 === 0 ? `q"${i}\r\n,x` : `v${i}`, b: i % 5 === 0 ? null : 'b', c: `é${i}` });
    }
    for (const size of [1, 2, 3, 10, 97, 1024, Infinity]) {
      expect(await rows(csv, [I('id'), S('a'), S('b'), S('c')], {}, size)).toEqual(expected);
    }
  });

  it('handles a quoted cell much longer than the chunks', async () => {
    const big = 'x'.repeat(500_000) + '"",\n' + 'y'.repeat(300_000);
    const csv = `id,a\n1,"${big.replace(/"/g, '""')}"\n2,z\n`;
    const out = (await rows(csv, [I('id'), S('a')], {}, 4096)) as { id: number; a: string }[];
    expect(out.map((r) => r.id)).toEqual([1, 2]);
    expect(out[0]!.a === big).toBe(true);
    expect(out[1]!.a).toBe('z');
  });
});

describe('extractCsv: values', () => {
  const fields = [I('id'), S('s'), B('b'), D('d')];

  it('writes null for an empty cell of every type', async () => {
    expect(await rows('id,s,b,d\n,,,\n""," ","",""\n', fields)).toEqual([
      { id: null, s: null, b: null, d: null },
      { id: null, s: ' ', b: null, d: null },
    ]);
  });

  it('writes integers as JSON numbers, stripping leading zeros and keeping big values exact', async () => {
    const out = await collect(
      extractCsv(chunksOf('id\n0\n-0\n42\n-17\n007\n-0008\n00\n123456789012345678901234567890\n'), opts([I('id')])),
    );
    expect(out.flatMap((b) => b.lines)).toEqual([
      '{"id":0}',
      '{"id":0}',
      '{"id":42}',
      '{"id":-17}',
      '{"id":7}',
      '{"id":-8}',
      '{"id":0}',
      '{"id":123456789012345678901234567890}',
    ]);
  });

  it('writes booleans from true/false/1/0 in any case', async () => {
    expect(await rows('b\ntrue\nFALSE\n1\n0\nTrue\nfalse\n', [B('b')])).toEqual(
      [true, false, true, false, true, false].map((b) => ({ b })),
    );
  });

  it('writes DateTime cells as RFC 3339 with the zone offset (date-only → midnight)', async () => {
    expect(await rows('d\n2024-07-01 08:30:00\n2024-01-15\n2024-03-10 02:30:00\n', [D('d')])).toEqual([
      { d: '2024-07-01T08:30:00-04:00' },
      { d: '2024-01-15T00:00:00-05:00' },
      { d: '2024-03-10T02:30:00-05:00' },
    ]);
    expect(await rows('d\n2024-07-01 08:30:00\n', [D('d')], { timezone: 'Asia/Kolkata' })).toEqual([
      { d: '2024-07-01T08:30:00+05:30' },
    ]);
  });

  it('keeps String text exact: quotes, backslashes, control characters, Unicode', async () => {
    const text = 'a\\b "c" \t\u0001 ☃ 𝄞 </script>';
    const out = await rows(`s\n"${text.replace(/"/g, '""')}"\n`, [S('s')]);
    expect(out).toEqual([{ s: text }]);
  });

  for (const [type, field, value] of [
    ['Integer', I('id'), '12a'],
    ['Integer', I('id'), '1.5'],
    ['Integer', I('id'), '-'],
    ['Boolean', B('b'), 'yes'],
    ['DateTime', D('d'), '2024-02-30 10:00:00'],
    ['DateTime', D('d'), '07/01/2024'],
  ] as const) {
    it(`raises CSV_BAD_VALUE with line and column for a bad ${type} value ${JSON.stringify(value)} (invalidValues 'fail')`, async () => {
      const csv = `id,s,b,d\n1,"multi\nline",true,2024-01-01 00:00:00\n${field.name === 'id' ? value : '2'},x,${field.name === 'b' ? value : 'false'},${field.name === 'd' ? value : ''}\n`;
      const e = await failure(rows(csv, fields, { invalidValues: 'fail' }));
      expect(e.code).toBe('CSV_BAD_VALUE');
      expect(e.context).toMatchObject({ ...SRC, line: 4, column: field.name, value });
      expect(e.message).toContain(field.name);
      expect(e.message).toContain('line 4');
      if (type === 'DateTime') expect(e.message).toMatch(/timezone/);
      else expect(e.message).toMatch(/report/);
    });
  }

  it('truncates the offending value to 100 characters in the error', async () => {
    const e = await failure(rows(`id\n${'9'.repeat(150)}x\n`, [I('id')], { invalidValues: 'fail' }));
    expect((e.context.value as string).length).toBeLessThanOrEqual(101);
    expect(e.message.length).toBeLessThan(700);
  });
});

describe('extractCsv: timezone setting', () => {
  it('raises CSV_BAD_TIMEZONE (a config error) for an unknown zone when DateTime fields are requested', async () => {
    const e = await failure(rows('id,d\n1,2024-01-01\n', [I('id'), D('d')], { timezone: 'Mars/Base' }));
    expect(e.code).toBe('CSV_BAD_TIMEZONE');
    expect(e.failureType).toBe('config_error');
    expect(e.message).toContain('Mars/Base');
    expect(() => compileRowEncoder([D('d')], ['d'], 'Mars/Base', SRC, { multiValue: MV })).toThrow(ConnectorError);
  });

  it('does not need a valid zone when no DateTime field is requested', async () => {
    expect(await rows('id,d\n1,2024-01-01\n', [I('id')], { timezone: 'Mars/Base' })).toEqual([{ id: 1 }]);
  });
});

describe('extractCsv: header', () => {
  it('raises CSV_HEADER_MISSING_FIELD naming the missing fields and the file', async () => {
    const e = await failure(rows('id,email\n1,a@b\n', [I('id'), S('email'), S('phone'), D('createdAt')]));
    expect(e.code).toBe('CSV_HEADER_MISSING_FIELD');
    expect(e.message).toContain('phone');
    expect(e.message).toContain('createdAt');
    expect(e.message).toContain('file-0');
    expect(e.context).toMatchObject({ ...SRC, line: 1, column: 'phone' });
  });

  it('raises CSV_HEADER_DUPLICATE for a column named twice', async () => {
    const e = await failure(rows('id,a,a\n1,x,y\n', [I('id'), S('a')]));
    expect(e.code).toBe('CSV_HEADER_DUPLICATE');
  });

  it('ignores header columns that were not requested and keeps header order for keys', async () => {
    const out = await collect(extractCsv(chunksOf('x,b,id,y,a\n1,true,5,"z,z",q\n'), opts([I('id'), S('a'), B('b')])));
    expect(out.flatMap((b) => b.lines)).toEqual(['{"b":true,"id":5,"a":"q"}']);
  });

  it('compileRowEncoder JSON-escapes field names once', () => {
    const enc = compileRowEncoder([S('we"ird')], ['we"ird'], 'UTC', SRC, { multiValue: MV });
    expect(JSON.parse(enc(['v'], 2, null))).toEqual({ 'we"ird': 'v' });
  });
});

describe('extractCsv: streaming', () => {
  function numbered(n: number): string {
    let s = 'id,a\n';
    for (let i = 1; i <= n; i++) s += `${i},"r${i}"\n`;
    return s;
  }

  it('skips skipRows data rows before emitting (resuming a cut download)', async () => {
    const out = await rows(numbered(10), [I('id'), S('a')], { skipRows: 7 }, 5);
    expect(out).toEqual([8, 9, 10].map((id) => ({ id, a: `r${id}` })));
    expect(await rows(numbered(3), [I('id')], { skipRows: 5 })).toEqual([]);
  });

  it('never emits a batch larger than batchSize, and loses no row', async () => {
    const batches = await collect(extractCsv(chunksOf(numbered(2_345), 1000), opts([I('id')], { batchSize: 100 })));
    expect(batches.every((b) => b.lines.length <= 100 && b.lines.length > 0)).toBe(true);
    expect(batches.flatMap((b) => b.lines)).toHaveLength(2_345);
    const one = await collect(extractCsv(chunksOf(numbered(5)), opts([I('id')], { batchSize: 1 })));
    expect(one.map((b) => b.lines.length)).toEqual([1, 1, 1, 1, 1]);
    const dflt = await collect(extractCsv(chunksOf(numbered(2_500)), opts([I('id')])));
    expect(dflt.map((b) => b.lines.length)).toEqual([1000, 1000, 500]);
  });

  it('propagates an error raised by the body unchanged (same object) after batches were yielded', async () => {
    const netErr = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    async function* body(): AsyncGenerator<Buffer> {
      yield Buffer.from(numbered(50));
      throw netErr;
    }
    const seen: number[] = [];
    let caught: unknown;
    try {
      for await (const b of extractCsv(body(), opts([I('id')], { batchSize: 10 }))) seen.push(b.lines.length);
    } catch (e) {
      caught = e;
    }
    expect(seen).toEqual([10, 10, 10, 10, 10]);
    expect(caught).toBe(netErr);
  });

  it('closes the body when the consumer stops early', async () => {
    let closed = false;
    async function* body(): AsyncGenerator<Buffer> {
      try {
        for (;;) yield Buffer.from('1\n2\n3\n');
      } finally {
        closed = true;
      }
    }
    async function* withHeader(): AsyncGenerator<Buffer> {
      yield Buffer.from('id\n');
      yield* body();
    }
    for await (const b of extractCsv(withHeader(), opts([I('id')], { batchSize: 2 }))) {
      expect(b.lines).toHaveLength(2);
      break;
    }
    expect(closed).toBe(true);
  });

  it('streams a lazily generated body of 20,000 rows, every row once and exact (its memory over 1M rows: bench/extract-memory.ts)', async () => {
    const fields = [I('id'), S('email'), S('notes'), B('optedOut'), D('updatedAt'), I('score')];
    async function* body(): AsyncGenerator<Buffer> {
      yield Buffer.from('id,email,notes,optedOut,updatedAt,score\n');
      const per = 2000;
      for (let start = 0; start < 20_000; start += per) {
        let s = '';
        for (let i = start; i < start + per; i++) {
          s += `${i},user${i}@example.com,"note, with ""quotes""\nand a line",${i % 2 ? 'true' : 'false'},2024-0${(i % 9) + 1}-1${i % 10} 1${i % 10}:00:00,${i % 100}\n`;
        }
        yield Buffer.from(s);
      }
    }
    const ids: number[] = [];
    let row12345: unknown;
    for await (const b of extractCsv(body(), opts(fields))) {
      for (const l of b.lines) {
        const r = JSON.parse(l) as { id: number };
        ids.push(r.id);
        if (r.id === 12345) row12345 = r;
      }
    }
    expect(ids).toHaveLength(20_000);
    expect(ids.every((id, k) => id === k)).toBe(true);
    // 12345: month 12345 % 9 + 1 = 7, day and hour 1 and 5 (12345 % 10), New York in summer.
    expect(row12345).toEqual({ id: 12345, email: 'user12345@example.com', notes: 'note, with "quotes"\nand a line', optedOut: true, updatedAt: '2024-07-15T15:00:00-04:00', score: 45 });
  });
});

describe('extractCsv: byte path agrees with the string reference path', () => {
  it('gives identical lines, notes and errors on random CSV (bad values, zero dates, fall-back hours, meta frame, window) in random chunk sizes', async () => {
    const { extractCsvStrings } = await import('../src/extract/csv.js');
    let seed = 7;
    const rnd = (n: number): number => {
      // mulberry32 (an LCG's low bits repeat with a short period: rnd(2) would alternate)
      seed = (seed + 0x6d2b79f5) >>> 0;
      let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) % n;
    };
    const pieces = ['a', 'Z', ' ', ',', '"', '\n', '\r', '\r\n', '\\', '\t', '\u0001', 'é', '日', '😀', '\u2028', '0', '1', '-'];
    const typed: Record<string, { good: string[]; bad: string[] }> = {
      Integer: { good: ['0', '42', '-7', '007', '99999999999999999999'], bad: ['1.5', 'x', '12abc', '-', '1"2'] },
      Boolean: { good: ['true', 'FALSE', '1', '0', 'True'], bad: ['yes', 'maybe', '\u0000'] },
      DateTime: {
        good: ['2024-03-10 02:30:00', '2024-11-03 01:30:00', '2024-11-03 01:59:59', '2024-01-01', '2024-06-01 12:00:00.5', '0000-00-00 00:00:00', '0000-00-00'],
        bad: ['2024-02-30', 'nope', '0000-00-00 12:00:00', '2023-02-29 10:00:00'],
      },
      Date: { good: ['2024-02-29', '2024-01-15 13:45:00', '2024-01-15T00:00:00', '0000-00-00', '0000-00-00 00:00:00.000'], bad: ['2024-02-30', '2023-02-29', '2024-13-01', '01/02/2024', '2024-01-15 1:00'] },
      Number: { good: ['1.5', '-0', '.5', '1e3'], bad: ['1,5', 'abc', '1.2.3'] },
    };
    const types = ['String', 'Integer', 'Boolean', 'DateTime', 'Date', 'Number'] as const;
    const windows = [
      { start: Date.UTC(2024, 10, 1), end: Date.UTC(2024, 10, 3, 6) }, // the earlier reading of 01:30 inside
      { start: Date.UTC(2024, 10, 3, 6), end: Date.UTC(2024, 10, 5) }, // the later one inside
      { start: Date.UTC(2024, 0, 1), end: Date.UTC(2025, 0, 1) }, // both inside
    ];
    let compared = 0;
    let clean = 0;
    let metaRows = 0;
    const errors = new Set<string>();
    const noted = { invalid: 0, zeroDates: 0, ambiguous: 0 };
    for (let file = 0; file < 600; file++) {
      const ncol = 1 + rnd(6);
      const fields: FieldDef[] = [];
      const header: string[] = [];
      for (let c = 0; c < ncol; c++) {
        const name = `f${c}`;
        header.push(name);
        if (rnd(5) > 0) fields.push({ name, type: types[rnd(types.length)]! });
      }
      const typeOf = new Map(fields.map((f) => [f.name, f.type]));
      const bad = rnd(3) === 0; // some files hold bad values
      let csv = (rnd(10) === 0 ? '\uFEFF' : '') + header.join(',') + (rnd(2) ? '\r\n' : '\n');
      const nrows = rnd(30);
      for (let r = 0; r < nrows; r++) {
        const cells = header.map((h) => {
          const t = typeOf.get(h) ?? 'String';
          if (rnd(5) === 0) return rnd(2) ? '' : '""';
          let v: string;
          if (t === 'String') {
            v = '';
            const k = rnd(8);
            for (let i = 0; i < k; i++) v += pieces[rnd(pieces.length)];
          } else {
            const { good, bad: wrong } = typed[t]!;
            v = bad && rnd(3) === 0 ? wrong[rnd(wrong.length)]! : good[rnd(good.length)]!;
          }
          return /[",\r\n]/.test(v) || rnd(4) === 0 ? `"${v.replace(/"/g, '""')}"` : v;
        });
        csv += cells.join(',') + (r === nrows - 1 && rnd(3) === 0 ? '' : rnd(2) ? '\r\n' : '\n');
      }
      if (rnd(6) === 0) csv = csv.slice(0, rnd(csv.length + 1)); // cut short: open quotes, short rows
      const size = 1 + rnd(40);
      const cursor = fields.find((f) => f.type === 'DateTime');
      const o: ExtractOptions = {
        ...SRC,
        fields,
        timezone: 'America/New_York',
        multiValue: MV,
        batchSize: 1 + rnd(5),
        ...(rnd(3) === 0 ? { invalidValues: 'fail' as const } : rnd(2) ? { invalidValues: 'null' as const } : {}),
        ...(rnd(2) ? { frame: { head: `{"n":${file},"data":`, tail: '}\n', ...(rnd(3) > 0 ? { meta: ',"meta":' } : {}) } } : {}),
        ...(cursor && rnd(2) ? { window: { ...windows[rnd(windows.length)]!, cursorField: cursor.name } } : {}),
        ...(rnd(5) === 0 ? { skipRows: rnd(4) } : {}),
      };
      type Run = { lines: string[]; notes: unknown[]; err?: { code: string; line: unknown; column: unknown; value: unknown } };
      const run = async (f: typeof extractCsv): Promise<Run> => {
        const lines: string[] = [];
        const notes: unknown[] = [];
        try {
          for await (const b of f(chunksOf(csv, size), o)) {
            lines.push(...b.lines);
            notes.push({ invalid: b.invalid, zeroDates: b.zeroDates, ambiguous: b.ambiguous });
          }
        } catch (e) {
          const ce = e as ConnectorError;
          return { lines, notes, err: { code: ce.code, line: ce.context.line, column: ce.context.column, value: ce.context.value } };
        }
        return { lines, notes };
      };
      const fast = await run(extractCsv);
      const ref = await run(extractCsvStrings);
      expect(fast, `file ${file}: ${JSON.stringify(csv)} ${JSON.stringify(o)}`).toEqual(ref);
      compared += ref.lines.length;
      metaRows += ref.lines.filter((l) => l.includes('"meta":{"changes":[')).length;
      for (const n of ref.notes as Array<Record<string, object | undefined>>) for (const k of ['invalid', 'zeroDates', 'ambiguous'] as const) if (n[k]) noted[k]++;
      if (ref.err) errors.add(ref.err.code);
      else clean++;
    }
    // The random files reach every case compared.
    expect(compared).toBeGreaterThan(1000);
    expect(clean).toBeGreaterThan(100);
    expect(metaRows).toBeGreaterThan(50);
    expect(noted.invalid).toBeGreaterThan(20);
    expect(noted.zeroDates).toBeGreaterThan(20);
    expect(noted.ambiguous).toBeGreaterThan(20);
    expect(errors.has('CSV_BAD_VALUE')).toBe(true);
    for (const code of errors) expect(['CSV_BAD_VALUE', 'CSV_UNTERMINATED_QUOTE', 'CSV_COLUMN_COUNT', 'CSV_HEADER_MISSING_FIELD']).toContain(code);
  });
});
