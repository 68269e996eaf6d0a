/**
 * The hash join of a split window's exports (src/extract/join.ts): rows of several parts joined by
 * key through temporary files, exact cells whatever CSV quoting they need, stragglers (a key missing
 * from a part, or cursors that differ) left out and reported, a partition over its byte bound split
 * again, and the temporary folder gone afterwards, on success and on failure.
 */
import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { ConnectorError } from '../src/errors.js';
import { extractCsvBytes } from '../src/extract/csv.js';
import { SpillJoin } from '../src/extract/join.js';
import { InvalidTally } from '../src/extract/notes.js';

const src = { stream: 'prospects', exportId: '1', file: 'f' };
const q = (v: string): string => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
const TRICKY = ['plain', 'a, b', 'say "hi"', 'two\nlines', 'crlf\r\nend', '', 'ü 🚀 東京', '"', ','];

async function* chunked(text: string, size: number): AsyncGenerator<Buffer> {
  const b = Buffer.from(text);
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

/** Rows of n keys, each with `cols` columns per part; part p's header: id, updatedAt, p{p}c{j}. */
function partCsv(keys: number[], part: number, cols: number, cursor: (k: number) => string, order = 1): string {
  const header = ['id', ...(part === 1 ? ['x_first'] : []), 'updatedAt', ...Array.from({ length: cols }, (_, j) => `p${part}c${j}`)];
  const lines = [header.join(',')];
  const ks = order < 0 ? [...keys].reverse() : keys;
  for (const k of ks) {
    const cells = [String(k), ...(part === 1 ? [`first ${k}`] : []), cursor(k), ...Array.from({ length: cols }, (_, j) => value(k, part, j))];
    lines.push(cells.map(q).join(','));
  }
  return lines.join(part === 2 ? '\r\n' : '\n') + '\n';
}
const value = (k: number, part: number, j: number): string => (k * 7 + part * 3 + j) % 5 === 0 ? '' : `${TRICKY[(k + part + j) % TRICKY.length]}#${k}.${part}.${j}`;
const at = (k: number): string => `2024-03-${String(1 + (k % 28)).padStart(2, '0')} 10:00:00`;

async function joinedRows(j: SpillJoin): Promise<Record<string, string>[]> {
  const parts: Buffer[] = [];
  for await (const c of j.joined()) parts.push(c);
  const text = Buffer.concat(parts).toString('utf8');
  return text === '' ? [] : (parse(text, { columns: true }) as Record<string, string>[]);
}

describe('SpillJoin', () => {
  it('joins three parts by key: one row per key, every cell exact, columns of every part', async () => {
    const keys = Array.from({ length: 500 }, (_, i) => 1000 + i * 3);
    const j = await SpillJoin.create({ parts: 3, key: 'id', cursor: 'updatedAt', partitions: 8 });
    try {
      // Files in any order and chunking; part 0 comes in two files.
      await j.addFile(0, chunked(partCsv(keys.slice(0, 200), 0, 4, at), 7), src);
      await j.addFile(2, chunked(partCsv(keys, 2, 3, at, -1), 1000), src);
      await j.addFile(1, chunked(partCsv(keys, 1, 5, at), 64), src);
      await j.addFile(0, chunked(partCsv(keys.slice(200), 0, 4, at, -1), 33), src);
      const rows = await joinedRows(j);
      expect(rows.length).toBe(keys.length);
      expect(j.stats).toMatchObject({ joined: 500, stragglers: 0, rowsPerPart: [500, 500, 500] });
      const byId = new Map(rows.map((r) => [Number(r.id), r]));
      for (const k of keys) {
        const r = byId.get(k)!;
        expect(r.updatedAt).toBe(at(k));
        expect(r.x_first).toBe(`first ${k}`);
        for (const [part, cols] of [[0, 4], [1, 5], [2, 3]] as const) for (let c = 0; c < cols; c++) expect(r[`p${part}c${c}`]).toBe(value(k, part, c));
      }
      expect(Object.keys(rows[0]!)).toEqual(['id', 'updatedAt', 'p0c0', 'p0c1', 'p0c2', 'p0c3', 'x_first', 'p1c0', 'p1c1', 'p1c2', 'p1c3', 'p1c4', 'p2c0', 'p2c1', 'p2c2']);
    } finally {
      await j.close();
    }
    expect(existsSync(j.dir)).toBe(false);
  });

  it('a key missing from a part, or with another cursor in a part, is a straggler: not joined, its newest cursor reported', async () => {
    const keys = [1, 2, 3, 4, 5];
    const j = await SpillJoin.create({ parts: 2, key: 'id', cursor: 'updatedAt', partitions: 4 });
    try {
      await j.addFile(0, chunked(partCsv(keys, 0, 2, at), 50), src);
      // Key 2 left out of part 1 (updated past the window, or deleted); key 4 changed in between.
      await j.addFile(1, chunked(partCsv([1, 3, 4, 5], 1, 2, (k) => (k === 4 ? '2024-03-29 11:00:00' : at(k))), 50), src);
      const rows = await joinedRows(j);
      expect(rows.map((r) => Number(r.id)).sort()).toEqual([1, 3, 5]);
      expect(j.stats.stragglers).toBe(2);
      // The earliest of the stragglers' newest cursors: where the next run must start to read them all.
      expect(j.stats.stragglerCursor).toBe([at(2), '2024-03-29 11:00:00'].sort()[0]);
    } finally {
      await j.close();
    }
  });

  it('a partition over its byte bound is split again (recursively) and the join is unchanged', async () => {
    const keys = Array.from({ length: 3000 }, (_, i) => i + 1);
    const j = await SpillJoin.create({ parts: 2, key: 'id', cursor: 'updatedAt', partitions: 2, maxPartitionBytes: 20_000 });
    try {
      await j.addFile(0, chunked(partCsv(keys, 0, 3, at), 4096), src);
      await j.addFile(1, chunked(partCsv(keys, 1, 3, at, -1), 4096), src);
      const rows = await joinedRows(j);
      expect(rows.length).toBe(3000);
      expect(new Set(rows.map((r) => r.id)).size).toBe(3000);
      expect(rows.find((r) => r.id === '2999')!.p1c2).toBe(value(2999, 1, 2));
      expect(j.stats.spilledBytes).toBeGreaterThan(2 * 20_000);
    } finally {
      await j.close();
    }
  });

  it('a part without any file makes every row a straggler and yields no CSV at all', async () => {
    const j = await SpillJoin.create({ parts: 2, key: 'id', cursor: 'updatedAt' });
    try {
      await j.addFile(0, chunked(partCsv([1, 2], 0, 1, at), 100), src);
      expect(await joinedRows(j)).toEqual([]);
      expect(j.stats).toMatchObject({ joined: 0, stragglers: 2 });
    } finally {
      await j.close();
    }
  });

  it('a malformed file fails with a CSV error naming the file, and close() still removes every spill file', async () => {
    const j = await SpillJoin.create({ parts: 2, key: 'id', cursor: 'updatedAt', partitions: 4 });
    try {
      await j.addFile(0, chunked(partCsv(Array.from({ length: 3000 }, (_, i) => i + 1), 0, 4, at), 4096), src);
      // A row cut short before its key (here the last column): the row cannot be joined.
      const err = await j.addFile(1, chunked('updatedAt,a,id\n2024-03-02 10:00:00,x\n', 100), { ...src, file: 'part-2.csv' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConnectorError);
      expect((err as ConnectorError).message).toMatch(/part-2\.csv.*data row 1: expected 3 cells/);
      const noKey = await j.addFile(1, chunked('email,updatedAt\nx,y\n', 100), src).catch((e: unknown) => e);
      expect((noKey as ConnectorError).code).toBe('CSV_HEADER_MISSING_FIELD');
      expect(readdirSync(j.dir).length).toBeGreaterThan(0);
    } finally {
      await j.close();
    }
    expect(existsSync(j.dir)).toBe(false);
  });

  it('skips the rows a cut-off download already gave (a re-fetch) without joining them twice', async () => {
    const keys = [1, 2, 3, 4];
    const j = await SpillJoin.create({ parts: 2, key: 'id', cursor: 'updatedAt', partitions: 2 });
    try {
      await j.addFile(0, chunked(partCsv(keys.slice(0, 2), 0, 1, at), 100), src);
      await j.addFile(0, chunked(partCsv(keys, 0, 1, at), 100), src, 2);
      await j.addFile(1, chunked(partCsv(keys, 1, 1, at), 100), src);
      const rows = await joinedRows(j);
      expect(rows.map((r) => Number(r.id)).sort()).toEqual(keys);
      expect(j.stats.rowsPerPart).toEqual([4, 4]);
    } finally {
      await j.close();
    }
  });

  it('reads a BOM, quoted keys and cursors, blank lines, a last row without a line end, and columns in any order', async () => {
    const j = await SpillJoin.create({ parts: 2, key: 'id', cursor: 'updatedAt', partitions: 2 });
    try {
      await j.addFile(0, chunked('\uFEFFa,"id",updatedAt\r\n"x, ""1""","1",2024-01-01 00:00:00\r\n\r\n"multi\nline",2,"2024-01-02 00:00:00"', 3), src);
      await j.addFile(1, chunked('updatedAt,b,id\n2024-01-02 00:00:00,,2\n2024-01-01 00:00:00,"b ""q""",1\n', 5), src);
      const rows = await joinedRows(j);
      const byId = Object.fromEntries(rows.map((r) => [r.id, r]));
      expect(byId['1']).toEqual({ id: '1', updatedAt: '2024-01-01 00:00:00', a: 'x, "1"', b: 'b "q"' });
      expect(byId['2']).toEqual({ id: '2', updatedAt: '2024-01-02 00:00:00', a: 'multi\nline', b: '' });
      expect(j.stats.stragglers).toBe(0);
    } finally {
      await j.close();
    }
  });

  it("joined rows keep their bad cells for the extraction: nulled, in the record's meta and in the batch notes", async () => {
    const j = await SpillJoin.create({ parts: 2, key: 'id', cursor: 'updatedAt', partitions: 2 });
    try {
      await j.addFile(0, chunked('id,updatedAt,score\n1,2024-11-03 01:30:00,12abc\n2,2024-01-02 00:00:00,5\n3,2024-01-03 00:00:00,x\n', 4), src);
      await j.addFile(1, chunked('id,updatedAt,lastActivityAt\n3,2024-01-03 00:00:00,0000-00-00 00:00:00\n2,2024-01-02 00:00:00,2024-01-05\n1,2024-11-03 01:30:00,\n', 6), src);
      const fields = [
        { name: 'id', type: 'Integer' as const },
        { name: 'updatedAt', type: 'DateTime' as const },
        { name: 'score', type: 'Integer' as const },
        { name: 'lastActivityAt', type: 'DateTime' as const },
      ];
      const frame = { head: '{"data":', tail: '}\n', meta: ',"meta":' };
      const records: Array<{ data: Record<string, unknown>; meta?: unknown }> = [];
      const tally = new InvalidTally();
      const o = { ...src, fields, timezone: 'America/New_York', multiValue: { separator: ';', jsonArray: true }, frame };
      // The window of the export holds the later reading of the repeated 01:30 only.
      for await (const b of extractCsvBytes(j.joined(), { ...o, window: { start: Date.UTC(2024, 10, 3, 6), end: Date.UTC(2024, 10, 4), cursorField: 'updatedAt' } })) {
        let at = 0;
        for (const e of b.ends) {
          records.push(JSON.parse(b.data.toString('utf8', at, e)));
          at = e;
        }
        tally.add(b);
      }
      records.sort((a, b) => (a.data.id as number) - (b.data.id as number));
      const nulled = (field: string) => ({ field, change: 'NULLED', reason: 'SOURCE_SERIALIZATION_ERROR' });
      expect(records).toEqual([
        { data: { id: 1, updatedAt: '2024-11-03T01:30:00-05:00', score: null, lastActivityAt: null }, meta: { changes: [nulled('score')] } },
        { data: { id: 2, updatedAt: '2024-01-02T00:00:00-05:00', score: 5, lastActivityAt: '2024-01-05T00:00:00-05:00' } },
        { data: { id: 3, updatedAt: '2024-01-03T00:00:00-05:00', score: null, lastActivityAt: null }, meta: { changes: [nulled('score'), nulled('lastActivityAt')] } },
      ]);
      expect(tally.notes()).toEqual({ invalid: { score: { type: 'Integer', count: 2, example: expect.stringMatching(/^(12abc|x)$/) } }, zeroDates: { lastActivityAt: 1 } });
    } finally {
      await j.close();
    }
  });
});
