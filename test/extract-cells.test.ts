/**
 * A cell costs a cell: values that do not fit their field's type are emitted as null, listed in
 * the record's meta.changes (Airbyte) and counted per batch, on both CSV paths; zero dates are
 * "no date" in both modes; Date fields reject impossible days and drop a time; the fall-back hour
 * of the export's cursor column is read by the window. Expected values are written by hand.
 */
import { describe, expect, it } from 'vitest';
import { ConnectorError } from '../src/errors.js';
import type { ExtractOptions, RowBatch } from '../src/extract/index.js';
import { InvalidTally, printable } from '../src/extract/notes.js';
import { AirbyteWriter } from '../src/protocol/airbyte.js';
import { memorySink } from '../src/protocol/output.js';
import { ProgressReporter } from '../src/protocol/progress.js';
import { SingerWriter } from '../src/protocol/singer.js';
import { Redactor } from '../src/redact.js';
import type { FieldDef } from '../src/streams.js';
import { loadProtocolValidator } from './helpers/airbyte-schema.js';
import { chunksOf, CSV_PATHS, extractVia, type CsvPath } from './helpers/encoded.js';

const MV = { separator: ';', jsonArray: true };
const BASE = { stream: 'prospects', exportId: 'exp-9', file: 'file-3', timezone: 'America/New_York', multiValue: MV };
const F = (name: string, type: FieldDef['type']): FieldDef => ({ name, type });

/** Bodies come in 7-byte chunks: cells and rows are cut everywhere. */
const body = (csv: string): AsyncGenerator<Buffer> => chunksOf(csv, 7);

type Got = { lines: string[]; notes: Array<Pick<RowBatch, 'invalid' | 'zeroDates' | 'ambiguous'>> };
const PATHS = CSV_PATHS;

/** One path's output: its lines and each batch's notes. */
async function through(path: CsvPath, csv: string, o: ExtractOptions): Promise<Got> {
  const notes: Got['notes'] = [];
  const lines = await extractVia(path, body(csv), o, (b) => {
    notes.push({ ...(b.invalid ? { invalid: b.invalid } : {}), ...(b.zeroDates ? { zeroDates: b.zeroDates } : {}), ...(b.ambiguous ? { ambiguous: b.ambiguous } : {}) });
  });
  return { lines, notes };
}

const FIELDS = [F('id', 'Integer'), F('score', 'Integer'), F('optedOut', 'Boolean'), F('createdAt', 'DateTime'), F('lastActivityAt', 'DateTime'), F('note', 'String')];
const CSV =
  'id,score,optedOut,createdAt,lastActivityAt,note\n' +
  '1,12abc,maybe,0000-00-00 00:00:00,2024-07-01 08:30:00,ok\n' +
  '2,7,true,2024-02-30 10:00:00,,"x, y"\n' +
  '3,8,false,2024-07-01,0000-00-00,y\n' +
  '4,-,yes,2024-07-01 08:30:00,2024-07-01 08:30:00,z\n';
const DATA = [
  { id: 1, score: null, optedOut: null, createdAt: null, lastActivityAt: '2024-07-01T08:30:00-04:00', note: 'ok' },
  { id: 2, score: 7, optedOut: true, createdAt: null, lastActivityAt: null, note: 'x, y' },
  { id: 3, score: 8, optedOut: false, createdAt: '2024-07-01T00:00:00-04:00', lastActivityAt: null, note: 'y' },
  { id: 4, score: null, optedOut: null, createdAt: '2024-07-01T08:30:00-04:00', lastActivityAt: '2024-07-01T08:30:00-04:00', note: 'z' },
];
const nulled = (...fields: string[]) => ({ changes: fields.map((field) => ({ field, change: 'NULLED', reason: 'SOURCE_SERIALIZATION_ERROR' })) });
const CHANGES = [nulled('score', 'optedOut', 'createdAt'), nulled('createdAt'), nulled('lastActivityAt'), nulled('score', 'optedOut')];
const NOTES = {
  invalid: {
    score: { type: 'Integer', count: 2, example: '12abc' },
    optedOut: { type: 'Boolean', count: 2, example: 'maybe' },
    createdAt: { type: 'DateTime', count: 1, example: '2024-02-30 10:00:00' },
  },
  zeroDates: { createdAt: 1, lastActivityAt: 1 },
};

describe('a cell that does not convert costs that cell (invalidValues null, the default)', () => {
  const airbyte = new AirbyteWriter(memorySink(), new Redactor(), () => 0);
  const frame = airbyte.recordFrame('prospects', 1_700_000_000_000);

  it.each(PATHS)('%s path: every row out, each bad cell null, meta.changes naming each nulled field once, one note per field', async (path) => {
    const got = await through(path, CSV, { ...BASE, fields: FIELDS, frame });
    expect(got.lines).toHaveLength(4);
    const msgs = got.lines.map((l) => JSON.parse(l) as { type: string; record: { stream: string; emitted_at: number; data: unknown; meta?: unknown } });
    expect(msgs.map((m) => m.record.data)).toEqual(DATA);
    expect(msgs.map((m) => m.record.meta)).toEqual(CHANGES);
    expect(msgs.every((m) => m.type === 'RECORD' && m.record.stream === 'prospects' && m.record.emitted_at === 1_700_000_000_000)).toBe(true);
    expect(got.notes).toEqual([NOTES]);
  });

  it('the records with meta are valid AirbyteMessages (official protocol schema, when present)', async () => {
    const v = loadProtocolValidator();
    const got = await through('bytes', CSV, { ...BASE, fields: FIELDS, frame });
    if (!v.available) return; // the schema lives outside the repository
    for (const l of got.lines) expect(v.validate(JSON.parse(l)), l).toBeNull();
  });

  it('a row without changes has no meta; without a meta in the frame (Singer) changes are only counted', async () => {
    const csv = 'id,score\n1,2\n2,x\n';
    const clean = await through('bytes', csv, { ...BASE, fields: [F('id', 'Integer'), F('score', 'Integer')], frame });
    expect(clean.lines[0]).toBe(`${frame.head}{"id":1,"score":2}${frame.tail}`);
    const singer = new SingerWriter(memorySink(), new Redactor(), new ProgressReporter({ write: () => undefined } as never, new Redactor(), () => 0), []);
    const sf = singer.recordFrame('prospects', 1_700_000_000_000);
    expect(sf.meta).toBeUndefined();
    for (const path of PATHS) {
      const got = await through(path, csv, { ...BASE, fields: [F('id', 'Integer'), F('score', 'Integer')], frame: sf });
      expect(got.lines.map((l) => JSON.parse(l).record)).toEqual([{ id: 1, score: 2 }, { id: 2, score: null }]);
      expect(got.lines[1]).not.toContain('changes');
      expect(got.notes).toEqual([{ invalid: { score: { type: 'Integer', count: 1, example: 'x' } } }]);
    }
  });

  it('notes are per batch: each batch counts its own rows, with its own first example', async () => {
    const csv = 'n\nx1\n1\nx2\nx3\n';
    for (const path of PATHS) {
      const got = await through(path, csv, { ...BASE, fields: [F('n', 'Integer')], batchSize: 2 });
      expect(got.notes, path).toEqual([{ invalid: { n: { type: 'Integer', count: 1, example: 'x1' } } }, { invalid: { n: { type: 'Integer', count: 2, example: 'x2' } } }]);
    }
  });

  it('rows skipped on a resumed download are not counted again', async () => {
    const csv = 'n,d\nx1,0000-00-00\nx2,2024-01-01\n3,0000-00-00\n';
    for (const path of PATHS) {
      const got = await through(path, csv, { ...BASE, fields: [F('n', 'Integer'), F('d', 'DateTime')], skipRows: 1 });
      expect(got.lines.map((l) => JSON.parse(l)), path).toEqual([{ n: null, d: '2024-01-01T00:00:00-05:00' }, { n: 3, d: null }]);
      expect(got.notes, path).toEqual([{ invalid: { n: { type: 'Integer', count: 1, example: 'x2' } }, zeroDates: { d: 1 } }]);
    }
  });

  it('the example escapes control and non-printable characters, then keeps at most 60 characters', async () => {
    const csv = `n\n"1\u0000\n2\t\u200b"\n"${'7'.repeat(100)}x"\n`;
    for (const path of PATHS) {
      const got = await through(path, csv, { ...BASE, fields: [F('n', 'Integer')], batchSize: 1 });
      expect(got.notes.map((n) => n.invalid?.n?.example), path).toEqual(['1\\u0000\\n2\\t\\u200b', `${'7'.repeat(59)}…`]);
    }
  });

  it("the example is the cell's text (escaped as printed): a quoted cell's doubled quotes undone, an unquoted cell's quotes kept", async () => {
    const csv = 'n,m\n"1""2",x""y\n';
    for (const path of PATHS) {
      const got = await through(path, csv, { ...BASE, fields: [F('n', 'Integer'), F('m', 'Integer')] });
      expect(got.lines.map((l) => JSON.parse(l)), path).toEqual([{ n: null, m: null }]);
      expect(got.notes, path).toEqual([{ invalid: { n: { type: 'Integer', count: 1, example: '1\\"2' }, m: { type: 'Integer', count: 1, example: 'x\\"\\"y' } } }]);
    }
  });

  it('the CSV structure still fails: a short row, a broken quote', async () => {
    for (const path of PATHS) {
      await expect(through(path, 'a,b\nx,1\ny\n', { ...BASE, fields: [F('a', 'Integer'), F('b', 'Integer')] }), path).rejects.toMatchObject({ code: 'CSV_COLUMN_COUNT' });
      await expect(through(path, 'a\n"x\n', { ...BASE, fields: [F('a', 'Integer')] }), path).rejects.toMatchObject({ code: 'CSV_UNTERMINATED_QUOTE' });
    }
  });
});

describe("invalidValues 'fail'", () => {
  it.each(PATHS)('%s path: a bad value is CSV_BAD_VALUE naming line and field; a zero date is still null', async (path) => {
    const o: ExtractOptions = { ...BASE, fields: FIELDS, invalidValues: 'fail' };
    const err = await through(path, CSV, o).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConnectorError);
    expect((err as ConnectorError).code).toBe('CSV_BAD_VALUE');
    expect((err as ConnectorError).context).toMatchObject({ line: 2, column: 'score', value: '12abc' });
    const zero = await through(path, 'id,d,day\n1,0000-00-00 00:00:00,0000-00-00\n', { ...o, fields: [F('id', 'Integer'), F('d', 'DateTime'), F('day', 'Date')] });
    expect(zero.lines.map((l) => JSON.parse(l))).toEqual([{ id: 1, d: null, day: null }]);
    expect(zero.notes).toEqual([{ zeroDates: { d: 1, day: 1 } }]);
  });
});

describe('DateTime and Date cells', () => {
  it.each(PATHS)('%s path: DateTime takes a date-time or a date (midnight in the zone); zero dates are null and noted', async (path) => {
    const csv = 'd\n2024-01-15 13:45:00\n2024-01-15\n2024-07-04T23:59:59\n0000-00-00\n0000-00-00 00:00:00\n0000-00-00T00:00:00.000\n0000-00-00 12:00:00\n';
    const got = await through(path, csv, { ...BASE, fields: [F('d', 'DateTime')] });
    expect(got.lines.map((l) => JSON.parse(l).d)).toEqual(['2024-01-15T13:45:00-05:00', '2024-01-15T00:00:00-05:00', '2024-07-04T23:59:59-04:00', null, null, null, null]);
    // A zero date with a time that is not zero is no zero date: a bad value.
    expect(got.notes).toEqual([{ zeroDates: { d: 3 }, invalid: { d: { type: 'DateTime', count: 1, example: '0000-00-00 12:00:00' } } }]);
  });

  it.each(PATHS)('%s path: Date rejects impossible days, and reads a date with any time as its date', async (path) => {
    const csv = 'day\n2024-02-29\n2024-02-30\n2023-02-29\n2024-04-31\n2024-01-15 13:45:00\n2024-01-15T23:59:59.5\n2024-01-15 00:00:00\n2024-01-15 1:00\n0000-00-00\n';
    const got = await through(path, csv, { ...BASE, fields: [F('day', 'Date')] });
    expect(got.lines.map((l) => JSON.parse(l).day)).toEqual(['2024-02-29', null, null, null, '2024-01-15', '2024-01-15', '2024-01-15', null, null]);
    expect(got.notes).toEqual([{ invalid: { day: { type: 'Date', count: 4, example: '2024-02-30' } }, zeroDates: { day: 1 } }]);
  });
});

describe('the fall-back hour: 01:30 on 2024-11-03 in America/New_York is 05:30Z (EDT) and 06:30Z (EST)', () => {
  const fields = [F('id', 'Integer'), F('updatedAt', 'DateTime'), F('createdAt', 'DateTime')];
  const csv = 'id,updatedAt,createdAt\n1,2024-11-03 01:30:00,2024-11-03 01:30:00\n2,2024-11-03 02:30:00,2024-11-03 00:30:00\n';
  const EDT = '2024-11-03T01:30:00-04:00';
  const EST = '2024-11-03T01:30:00-05:00';
  const row2 = { id: 2, updatedAt: '2024-11-03T02:30:00-05:00', createdAt: '2024-11-03T00:30:00-04:00' };
  const ambiguous = (n: number, field: string) => ({ ambiguous: { count: n, field, example: '2024-11-03 01:30:00' } });

  it.each(PATHS)('%s path: the cursor takes the reading inside the window; the other column keeps the earlier one, noted', async (path) => {
    const cases = [
      // Window ends between the readings: the earlier one (EDT) is inside.
      { window: { start: Date.UTC(2024, 10, 1), end: Date.UTC(2024, 10, 3, 6), cursorField: 'updatedAt' }, cursor: EDT },
      // Window starts between them: the later one (EST) is inside.
      { window: { start: Date.UTC(2024, 10, 3, 6), end: Date.UTC(2024, 10, 10), cursorField: 'updatedAt' }, cursor: EST },
    ];
    for (const c of cases) {
      const got = await through(path, csv, { ...BASE, fields, window: c.window });
      expect(got.lines.map((l) => JSON.parse(l))).toEqual([{ id: 1, updatedAt: c.cursor, createdAt: EDT }, row2]);
      expect(got.notes).toEqual([ambiguous(1, 'createdAt')]);
    }
  });

  it.each(PATHS)('%s path: when the window holds both readings (or neither), or there is none, the earlier one, noted', async (path) => {
    for (const window of [
      { start: Date.UTC(2024, 10, 1), end: Date.UTC(2024, 10, 10), cursorField: 'updatedAt' },
      { start: Date.UTC(2024, 10, 4), end: Date.UTC(2024, 10, 10), cursorField: 'updatedAt' },
      undefined,
    ]) {
      const got = await through(path, csv, { ...BASE, fields, ...(window ? { window } : {}) });
      expect(got.lines.map((l) => JSON.parse(l))).toEqual([{ id: 1, updatedAt: EDT, createdAt: EDT }, row2]);
      expect(got.notes).toEqual([ambiguous(2, 'updatedAt')]);
    }
  });

  it.each(PATHS)('%s path: the window holds its start and not its end, to the second, when a reading falls on either', async (path) => {
    const A = Date.UTC(2024, 10, 3, 5, 30); // the EDT reading
    const B = Date.UTC(2024, 10, 3, 6, 30); // the EST reading
    const cases = [
      // [A, B): A in, B (the end) out.
      { window: { start: A, end: B, cursorField: 'updatedAt' }, cursor: EDT, notes: [ambiguous(1, 'createdAt')] },
      // [B, ...): B (the start) in, A before it.
      { window: { start: B, end: Date.UTC(2024, 10, 10), cursorField: 'updatedAt' }, cursor: EST, notes: [ambiguous(1, 'createdAt')] },
      // [..., A): both out (A is the end), so the earlier one, noted.
      { window: { start: Date.UTC(2024, 10, 1), end: A, cursorField: 'updatedAt' }, cursor: EDT, notes: [ambiguous(2, 'updatedAt')] },
    ];
    for (const c of cases) {
      const got = await through(path, csv, { ...BASE, fields, window: c.window });
      expect(got.lines.map((l) => JSON.parse(l))).toEqual([{ id: 1, updatedAt: c.cursor, createdAt: EDT }, row2]);
      expect(got.notes).toEqual(c.notes);
    }
  });

  it('the earlier reading is the documented rule: to the second at both ends of the repeated hour', async () => {
    const edge = 'd\n2024-11-03 00:59:59\n2024-11-03 01:00:00\n2024-11-03 01:59:59\n2024-11-03 02:00:00\n';
    for (const path of PATHS) {
      const got = await through(path, edge, { ...BASE, fields: [F('d', 'DateTime')] });
      expect(got.lines.map((l) => JSON.parse(l).d)).toEqual(['2024-11-03T00:59:59-04:00', '2024-11-03T01:00:00-04:00', '2024-11-03T01:59:59-04:00', '2024-11-03T02:00:00-05:00']);
      expect(got.notes).toEqual([{ ambiguous: { count: 2, field: 'd', example: '2024-11-03 01:00:00' } }]);
    }
  });
});

describe('InvalidTally: one WARN per field and stream', () => {
  it('sums batches and files, keeps the first example, and words one message per field', () => {
    const t = new InvalidTally();
    t.add({ invalid: { score: { type: 'Integer', count: 2, example: '12abc' } }, zeroDates: { createdAt: 1 } });
    t.add(undefined);
    t.add({});
    t.add({ invalid: { score: { type: 'Integer', count: 1, example: 'x' }, optedOut: { type: 'Boolean', count: 1, example: 'maybe' } } });
    const other = new InvalidTally();
    other.add({ zeroDates: { createdAt: 2 }, ambiguous: { count: 3, field: 'updatedAt', example: '2024-11-03 01:30:00' } });
    other.add({ ambiguous: { count: 1, field: 'createdAt', example: '2024-11-03 01:00:00' } });
    t.merge(other);
    expect(t.warnings('prospects')).toEqual([
      `prospects: 3 value(s) of field 'score' (Integer) could not be read and were emitted as null, e.g. "12abc".`,
      `prospects: 1 value(s) of field 'optedOut' (Boolean) could not be read and were emitted as null, e.g. "maybe".`,
      `prospects: 3 value(s) of field 'createdAt' were the zero date 0000-00-00 (Pardot's "no date") and were emitted as null.`,
      `prospects: 4 date-time value(s) fell in the hour repeated when daylight saving time ended, which names two instants (e.g. field 'updatedAt' "2024-11-03 01:30:00"); each was read as the earlier instant (the offset in force before the clocks went back).`,
    ]);
    expect(new InvalidTally().warnings('prospects')).toEqual([]);
    expect(new InvalidTally().empty).toBe(true);
    expect(t.empty).toBe(false);
  });

  it('does not share the objects it was given (a later batch cannot change its sums)', () => {
    const t = new InvalidTally();
    const batch = { invalid: { n: { type: 'Integer' as const, count: 1, example: 'a' } } };
    t.add(batch);
    t.add(batch);
    batch.invalid.n.count = 100;
    expect(t.notes()).toEqual({ invalid: { n: { type: 'Integer', count: 2, example: 'a' } } });
  });
});

describe('printable: an example value fit for a log line', () => {
  it.each([
    ['12abc', '12abc'],
    ['a"b\\c', 'a\\"b\\\\c'],
    ['\u0000\u0007\u001f\u007f', '\\u0000\\u0007\\u001f\\u007f'],
    ['line\r\nnext\ttab', 'line\\r\\nnext\\ttab'],
    ['nbsp\u00a0zw\u200bsep\u2028', 'nbsp\\u00a0zw\\u200bsep\\u2028'],
    ['lone \ud800 surrogate', 'lone \\ud800 surrogate'],
    ['ü 東京 🚀', 'ü 東京 🚀'],
  ])('%j → %j', (raw, want) => {
    expect(printable(raw)).toBe(want);
  });

  it('cuts to 60 characters with a final ellipsis, never inside an escape', () => {
    expect(printable('x'.repeat(60))).toBe('x'.repeat(60));
    expect(printable('x'.repeat(61))).toBe(`${'x'.repeat(59)}…`);
    expect(printable(`${'x'.repeat(57)}\u0000`)).toBe(`${'x'.repeat(57)}…`);
    expect(printable(`${'x'.repeat(54)}\u0000`)).toBe(`${'x'.repeat(54)}\\u0000`);
    // 🚀 is two UTF-16 units: 58 + 2 fit exactly, a second one does not, and the ellipsis takes its place.
    expect(printable(`${'x'.repeat(58)}🚀`)).toBe(`${'x'.repeat(58)}🚀`);
    expect(printable(`${'x'.repeat(58)}🚀🚀`)).toBe(`${'x'.repeat(58)}…`);
  });
});
