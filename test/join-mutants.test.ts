/**
 * The split-window join (src/extract/join.ts) checked against a second, in-memory implementation
 * of the same rule, and at the edges its own tests leave alone: the exact bytes of the joined CSV
 * (which cells get quoted), which keys each shard holds (the FNV-1a hash partitions), the hold-back
 * cursor, the bytes of odd CSV (BOMs, lone CRs, blank lines, rows cut by chunk boundaries, no line
 * end at the end), the refusals' exact messages, the chunking of the output, the re-split of an
 * oversized partition (its depth bound, records cut by its read slices), failed spill writes, and
 * the temporary folder. Expected values are written by hand or come from the model in this file.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectorError } from '../src/errors.js';
import { SpillJoin } from '../src/extract/join.js';

const src = (file: string) => ({ stream: 'prospects', exportId: '77', file });
const S = src('f');

/** CSV text of one cell, quoted only when it must be (the join's own rule, written again). */
const q = (v: string): string => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

async function* once(text: string): AsyncGenerator<Buffer> {
  yield Buffer.from(text);
}
async function* chunked(text: string, size: number): AsyncGenerator<Buffer> {
  const b = Buffer.from(text);
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}
/** The given pieces, one chunk each (to put a chunk boundary exactly where a test needs it). */
async function* pieces(...texts: Array<string | Buffer>): AsyncGenerator<Buffer> {
  for (const t of texts) yield typeof t === 'string' ? Buffer.from(t) : t;
}

async function chunksOf(j: SpillJoin, shard = 0, shards = 1): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const c of j.joined(shard, shards)) out.push(c);
  return out;
}
async function textOf(j: SpillJoin, shard = 0, shards = 1): Promise<string> {
  return Buffer.concat(await chunksOf(j, shard, shards)).toString('utf8');
}
/** Lines of a CSV text whose rows end in LF (LFs inside quotes kept): header first, then the rows sorted. */
function csvLines(text: string): { header: string; rows: string[] } {
  const lines: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '"') quoted = !quoted;
    else if (text[i] === '\n' && !quoted) {
      lines.push(text.slice(start, i));
      start = i + 1;
    }
  }
  expect(start).toBe(text.length); // every row ends in LF
  return { header: lines[0] ?? '', rows: lines.slice(1).sort() };
}

// Temporary roots some tests make (besides the join's own folder, which close() removes).
const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

/** A small deterministic generator (LCG), so the model test's input is the same every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('SpillJoin against an in-memory model of the join', () => {
  interface PartSpec {
    header: string[];
  }
  // Key and cursor at other positions in each part; part 2 has no column but them.
  const PARTS: PartSpec[] = [
    { header: ['id', 'updatedAt', 'a0', 'a1'] },
    { header: ['b0', 'updatedAt', 'id', 'b1', 'b2'] },
    { header: ['updatedAt', 'id'] },
    { header: ['c0', 'id', 'c1', 'updatedAt', 'c2'] },
  ];
  const TRICKY = ['plain', 'a, b', 'say "hi"', 'two\nlines', 'crlf\r\nend', '', 'ü 🚀 東京', '"', ','];

  /** The input rows (per part, in file order, duplicates included) and the model's expected result. */
  function scenario(seed: number) {
    const r = rng(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
    const date = () => `2024-0${1 + Math.floor(r() * 9)}-${String(10 + Math.floor(r() * 18))} ${String(10 + Math.floor(r() * 13))}:00:00`;
    const keys = [...Array.from({ length: 150 }, (_, i) => String(100 + i)), 'k,1', 'k"2', 'k\n3', 'ü4'];
    // Per part: rows as {key, cursor, cells by column name}.
    const rows: Array<Array<{ key: string; cursor: string; cells: Record<string, string> }>> = PARTS.map(() => []);
    for (const key of keys) {
      const base = date();
      for (let p = 0; p < PARTS.length; p++) {
        if (r() < 0.12) continue; // missing from this part
        const cursor = r() < 0.1 ? date() : base; // changed between the parts' exports
        const cells = () => Object.fromEntries(PARTS[p]!.header.map((c) => [c, `${pick(TRICKY)}${key}.${c}`]));
        rows[p]!.push({ key, cursor, cells: cells() });
        if (r() < 0.05) rows[p]!.push({ key, cursor: r() < 0.5 ? date() : cursor, cells: cells() }); // a duplicate: the first is kept
      }
    }
    for (const list of rows)
      for (let i = list.length - 1; i > 0; i--) {
        const k = Math.floor(r() * (i + 1));
        [list[i], list[k]] = [list[k]!, list[i]!];
      }

    // The model: a Map per part (first row of a key kept), then key by key.
    const firsts = rows.map((list) => {
      const m = new Map<string, (typeof list)[number]>();
      for (const row of list) if (!m.has(row.key)) m.set(row.key, row);
      return m;
    });
    const restCols = PARTS.map((p) => p.header.filter((c) => c !== 'id' && c !== 'updatedAt'));
    const expectedRows: string[] = [];
    let stragglers = 0;
    let stragglerCursor: string | null = null;
    let holdBackCursor: string | null = null;
    const allKeys = new Set(rows.flatMap((l) => l.map((x) => x.key)));
    for (const key of allKeys) {
      const have = firsts.map((m) => m.get(key));
      const cursors = have.filter((x) => x !== undefined).map((x) => x.cursor);
      const sameCursor = cursors.every((c) => c === cursors[0]);
      if (have.every((x) => x !== undefined) && sameCursor) {
        const cells = [q(key), q(cursors[0]!), ...have.flatMap((x, p) => restCols[p]!.map((c) => q(x!.cells[c]!)))];
        expectedRows.push(cells.join(','));
        continue;
      }
      stragglers++;
      const newest = [...cursors].sort().at(-1)!;
      if (stragglerCursor === null || newest < stragglerCursor) stragglerCursor = newest;
      // Present in a part after one it is missing from (or cursors differ): it may have changed into the window.
      const gap = have.some((x, p) => x !== undefined && have.slice(0, p).some((y) => y === undefined));
      if ((!sameCursor || gap) && (holdBackCursor === null || newest < holdBackCursor)) holdBackCursor = newest;
    }
    const files = rows.map((list, p) => {
      const h = PARTS[p]!.header;
      const text = (part: typeof list, eol: string) => [h.map(q).join(','), ...part.map((x) => h.map((c) => q(c === 'id' ? x.key : c === 'updatedAt' ? x.cursor : x.cells[c]!)).join(','))].join(eol) + eol;
      const half = Math.floor(list.length / 2);
      // Two files per part (the same header), one with CRLF and blank lines.
      return [text(list.slice(0, half), '\n'), text(list.slice(half), '\r\n').replace(/\r\n(?=[^\r\n]*\r\n$)/, '\r\n\r\n\n')];
    });
    return {
      files,
      header: ['id', 'updatedAt', ...restCols.flat()].join(','),
      expectedRows: expectedRows.sort(),
      stats: { joined: expectedRows.length, stragglers, rowsPerPart: firsts.map((m) => m.size), stragglerCursor, holdBackCursor },
    };
  }

  for (const [name, opts] of [
    ['partitions joined in memory', { partitions: 8 }],
    ['oversized partitions split again first', { partitions: 2, maxPartitionBytes: 6000 }],
  ] as const) {
    it(`joins exactly the keys every part has with one cursor, byte for byte, with the model's stragglers and hold-back cursor (${name})`, async () => {
      const sc = scenario(name.length * 7919);
      // The scenario covers what it is meant to: joined rows, stragglers of each kind, duplicates.
      expect(sc.stats.joined).toBeGreaterThan(30);
      expect(sc.stats.stragglers).toBeGreaterThan(30);
      expect(sc.stats.holdBackCursor).not.toBeNull();
      const j = await SpillJoin.create({ parts: 4, key: 'id', cursor: 'updatedAt', ...opts });
      try {
        for (let p = 0; p < 4; p++) for (const [i, f] of sc.files[p]!.entries()) await j.addFile(p, chunked(f, 97 + 13 * i + p), S);
        const out = csvLines(await textOf(j));
        expect(out.header).toBe(sc.header);
        expect(out.rows).toEqual(sc.expectedRows);
        expect(j.stats).toEqual({ ...sc.stats, spilledBytes: expect.any(Number) });
        // The join frees the disk as it goes: once read, no spill file is left.
        expect(readdirSync(j.dir)).toEqual([]);
      } finally {
        await j.close();
      }
    });
  }

  it('the hold-back cursor counts a key missing from an earlier part or with differing cursors, never one only missing from later parts', async () => {
    const j = await SpillJoin.create({ parts: 3, key: 'id', cursor: 'updatedAt', partitions: 4 });
    const file = (rows: Array<[string, string]>) => once('id,updatedAt\n' + rows.map(([k, c]) => `${k},${c}`).join('\n') + '\n');
    try {
      // 1: joined. 2: parts 0 and 1 only (left the window): a straggler, not held back.
      // 3: part 2 only, 4: parts 0 and 2 (a gap): held back. 5: cursors differ (newest 09).
      await j.addFile(0, file([['1', '05'], ['2', '01'], ['4', '07'], ['5', '03']]), S);
      await j.addFile(1, file([['1', '05'], ['2', '01'], ['5', '09']]), S);
      await j.addFile(2, file([['1', '05'], ['3', '08'], ['4', '07'], ['5', '03']]), S);
      expect(await textOf(j)).toBe('id,updatedAt\n1,05\n');
      expect(j.stats).toEqual({ joined: 1, stragglers: 4, rowsPerPart: [4, 3, 4], stragglerCursor: '01', holdBackCursor: '07', spilledBytes: expect.any(Number) });
    } finally {
      await j.close();
    }
  });

  it('a key present in parts 1 and 2 only (missing from the first) is held back at its newest cursor', async () => {
    const j = await SpillJoin.create({ parts: 3, key: 'id', cursor: 'updatedAt', partitions: 1 });
    try {
      await j.addFile(0, once('id,updatedAt\n1,02\n'), S);
      await j.addFile(1, once('id,updatedAt\n1,02\n9,06\n'), S);
      await j.addFile(2, once('id,updatedAt\n1,02\n9,06\n'), S);
      expect(await textOf(j)).toBe('id,updatedAt\n1,02\n');
      expect(j.stats).toMatchObject({ stragglers: 1, stragglerCursor: '06', holdBackCursor: '06' });
    } finally {
      await j.close();
    }
  });

  it('a key only missing from the last parts is a straggler but not held back; a duplicate row of a part counts once and the first is kept', async () => {
    const j = await SpillJoin.create({ parts: 3, key: 'id', cursor: 'updatedAt', partitions: 1 });
    try {
      await j.addFile(0, once('id,updatedAt,v\n1,02,first\n7,04,x\n1,02,second\n8,05,y\n'), S);
      await j.addFile(1, once('id,updatedAt\n1,02\n8,05\n'), S);
      await j.addFile(2, once('id,updatedAt\n1,02\n'), S);
      expect(await textOf(j)).toBe('id,updatedAt,v\n1,02,first\n');
      expect(j.stats).toMatchObject({ joined: 1, stragglers: 2, rowsPerPart: [3, 2, 1], stragglerCursor: '04', holdBackCursor: null });
    } finally {
      await j.close();
    }
  });

  it('a straggler whose later part has the older cursor reports the newer one, and the earliest straggler wins whatever its order', async () => {
    const j = await SpillJoin.create({ parts: 2, key: 'id', cursor: 'updatedAt', partitions: 1 });
    try {
      await j.addFile(0, once('id,updatedAt\n1,09\n2,07\n3,08\n'), S);
      await j.addFile(1, once('id,updatedAt\n1,03\n2,05\n3,06\n'), S);
      expect(await chunksOf(j)).toEqual([]);
      // Newest per key: 09, 07, 08; the earliest of them: 07 (the second key of the partition).
      expect(j.stats).toMatchObject({ joined: 0, stragglers: 3, stragglerCursor: '07', holdBackCursor: '07' });
    } finally {
      await j.close();
    }
  });
});

/** FNV-1a (32 bits) of a string's UTF-16 code units, written again with BigInt arithmetic. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5n;
  for (let i = 0; i < s.length; i++) h = ((h ^ BigInt(s.charCodeAt(i))) * 0x01000193n) & 0xffffffffn;
  return Number(h);
}

describe('SpillJoin output', () => {
  it('each shard holds exactly the keys of its hash partitions (FNV-1a of the key, modulo the partitions), each with its header', async () => {
    const keys = [...Array.from({ length: 60 }, (_, i) => `key-${i * 37}`), 'ü', '東京', ''];
    const j = await SpillJoin.create({ parts: 2, key: 'id', cursor: 'updatedAt', partitions: 6 });
    try {
      await j.addFile(0, once('id,updatedAt,a\n' + keys.map((k) => `${k},T,a${k}`).join('\n') + '\n'), S);
      await j.addFile(1, once('id,updatedAt,b\n' + keys.map((k) => `${k},T,b${k}`).join('\n') + '\n'), S);
      for (let shard = 0; shard < 3; shard++) {
        const want = keys.filter((k) => (fnv1a(k) % 6) % 3 === shard).map((k) => `${k},T,a${k},b${k}`);
        expect(want.length).toBeGreaterThan(0);
        const out = csvLines(await textOf(j, shard, 3));
        expect(out.header).toBe('id,updatedAt,a,b');
        expect(out.rows).toEqual(want.sort());
      }
    } finally {
      await j.close();
    }
  });

  it('quotes a key, cursor or column name in the output only when CSV needs it, and decodes quoted ones first', async () => {
    const j = await SpillJoin.create({ parts: 2, key: 'the "id"', cursor: 'at, when', partitions: 1 });
    try {
      await j.addFile(0, once('"the ""id""","at, when","x,y"\nplain,"2024, 1","a,b"\n"k""2","t""q","c"\n"line\nbreak",t3,d\n'), S);
      await j.addFile(1, once('"at, when","the ""id""",z\n"2024, 1",plain,1\n"t""q","k""2",2\nt3,"line\nbreak",3\n'), S);
      const out = csvLines(await textOf(j));
      expect(out.header).toBe('"the ""id""","at, when","x,y",z');
      expect(out.rows).toEqual(['"k""2","t""q","c",2', '"line\nbreak",t3,d,3', 'plain,"2024, 1","a,b",1']);
    } finally {
      await j.close();
    }
  });

  it('a part of only the key and the cursor adds no column and no comma', async () => {
    const j = await SpillJoin.create({ parts: 3, key: 'id', cursor: 'updatedAt', partitions: 1 });
    try {
      await j.addFile(0, once('id,updatedAt\n1,T\n2,T\n'), S);
      await j.addFile(1, once('updatedAt,id,v\nT,1,one\nT,2,two\n'), S);
      await j.addFile(2, once('id,updatedAt\n2,T\n1,T\n'), S);
      const out = csvLines(await textOf(j));
      expect(out).toEqual({ header: 'id,updatedAt,v', rows: ['1,T,one', '2,T,two'] });
    } finally {
      await j.close();
    }
  });

  it('yields no chunk at all when no key joins, though every part has rows', async () => {
    const j = await SpillJoin.create({ parts: 2, key: 'id', cursor: 'updatedAt', partitions: 4 });
    try {
      await j.addFile(0, once('id,updatedAt,a\n1,T,x\n2,T,y\n'), S);
      await j.addFile(1, once('id,updatedAt,b\n3,T,x\n4,T,y\n'), S);
      expect(await chunksOf(j)).toEqual([]);
      expect(j.stats).toMatchObject({ joined: 0, stragglers: 4 });
    } finally {
      await j.close();
    }
  });

  it('hands the joined CSV over in chunks cut once they reach 256 KiB, the header counted in the first', async () => {
    const CHUNK = 256 * 1024;
    // Keys one per hash partition (so a partition gives one row at a time), rows of 8011 bytes,
    // and long column names: a header of 21814 bytes, so that the header and 30 rows make 256 KiB.
    const partitions = 64;
    const used = new Set<number>();
    const keys: string[] = [];
    for (let i = 0; keys.length < 40; i++) {
      const k = String(100000 + i);
      if (used.has(fnv1a(k) % partitions)) continue;
      used.add(fnv1a(k) % partitions);
      keys.push(k);
    }
    const ca = 'a'.repeat(10_000);
    const cb = 'b'.repeat(11_799);
    const va = 'x'.repeat(4000);
    const vb = 'y'.repeat(4000);
    const j = await SpillJoin.create({ parts: 2, key: 'id', cursor: 'updatedAt', partitions });
    try {
      await j.addFile(0, once(`id,updatedAt,${ca}\n` + keys.map((k) => `${k},T,${va}`).join('\n') + '\n'), S);
      await j.addFile(1, once(`id,updatedAt,${cb}\n` + keys.map((k) => `${k},T,${vb}`).join('\n') + '\n'), S);
      const chunks = await chunksOf(j);
      const rowBytes = `100000,T,${va},${vb}\n`.length;
      const header = `id,updatedAt,${ca},${cb}\n`.length;
      expect(chunks.reduce((a, c) => a + c.length, 0)).toBe(header + keys.length * rowBytes);
      expect(rowBytes).toBe(8011);
      expect(header + 30 * rowBytes).toBe(CHUNK);
      expect(chunks.map((c) => c.length)).toEqual([CHUNK, 10 * rowBytes]);
      // Every chunk but the last reached 256 KiB with its last row, and not before.
      for (const c of chunks.slice(0, -1)) {
        expect(c.length).toBeGreaterThanOrEqual(CHUNK);
        expect(c.length).toBeLessThan(CHUNK + rowBytes);
      }
    } finally {
      await j.close();
    }
  });
});

describe('SpillJoin reading CSV bytes', () => {
  async function joinTwo(part0: AsyncIterable<Buffer | string>, part1: AsyncIterable<Buffer | string>) {
    const j = await SpillJoin.create({ parts: 2, key: 'id', cursor: 'updatedAt', partitions: 1 });
    try {
      await j.addFile(0, part0, S);
      await j.addFile(1, part1, S);
      return { out: csvLines(await textOf(j)), stats: j.stats };
    } finally {
      await j.close();
    }
  }

  it('strips a BOM cut over one-byte chunks, and only a BOM: first cells whose bytes look like one are kept', async () => {
    // U+0EFF is E0 BB BF, 'a¿' is 61 C2 BF, U+F03F is EF 80 BF, U+FEC0 is EF BB 80: each shares bytes with EF BB BF.
    const j = await SpillJoin.create({ parts: 5, key: 'id', cursor: 'updatedAt', partitions: 1 });
    try {
      await j.addFile(0, chunked('\uFEFFid,updatedAt,bom\n1,T,x\n\uFEFF2,T,y\n', 1), S);
      await j.addFile(1, chunked('\u0EFFc,id,updatedAt\nv1,1,T\nv2,\uFEFF2,T\n', 2), S);
      await j.addFile(2, once('a¿,id,updatedAt\nw1,1,T\nw2,\uFEFF2,T\n'), S);
      await j.addFile(3, chunked('\uF03F,id,updatedAt\nx1,1,T\nx2,\uFEFF2,T\n', 1), S);
      await j.addFile(4, once('\uFEC0,id,updatedAt\ny1,1,T\ny2,\uFEFF2,T\n'), S);
      const out = csvLines(await textOf(j));
      expect(out.header).toBe('id,updatedAt,bom,\u0EFFc,a¿,\uF03F,\uFEC0');
      // A data row starting with the BOM's bytes keeps them: its key is another key.
      expect(out.rows).toEqual(['1,T,x,v1,w1,x1,y1', '\uFEFF2,T,y,v2,w2,x2,y2']);
    } finally {
      await j.close();
    }
  });

  it('skips blank lines (LF and CRLF) without eating the next row, and keeps a CR that starts a cell', async () => {
    const { out, stats } = await joinTwo(
      pieces('id,updatedAt,a\n\n', '1,T,one\n\n2,T,two\r\n\r\n\n3,T,three\n'),
      // A row at the start of a chunk whose first cell is empty.
      pieces('b,id,updatedAt\n', '\rb1,1,T\n', ',2,T\n\n\nb3,3,T\n'),
    );
    expect(out.rows).toEqual(['1,T,one,\rb1', '2,T,two,', '3,T,three,b3']);
    expect(stats.rowsPerPart).toEqual([3, 3]);
  });

  it('ends a row at a lone CR after a quoted cell, at a CR or at the last byte of the file, and at LF or CRLF after a quoted cell', async () => {
    const { out } = await joinTwo(
      // Key last: the row ends right after it. The last row has no line end.
      pieces('a,updatedAt,id\nq1,T,"1"\rq2,T,"2"\r', '\nq3,T,"3"\r\nq6,T,"6"\n', 'q4,T,', '4\nq5,T,5'),
      // A CR at the very end of the file ends the row too.
      once('id,updatedAt,b\n1,T,b1\n2,T,b2\n3,T,b3\n4,T,b4\n6,T,b6\n5,T,b5\r'),
    );
    expect(out.rows).toEqual(['1,T,q1,b1', '2,T,q2,b2', '3,T,q3,b3', '4,T,q4,b4', '5,T,q5,b5', '6,T,q6,b6']);
  });

  it('a last row without a line end keeps its last cell whole, in the cells read or in the rest of the row', async () => {
    const { out } = await joinTwo(chunked('a,updatedAt,id\nx,T,41\ny,T,42', 2), chunked('id,updatedAt,b\n41,T,p\n42,T,"q,r"', 3));
    expect(out.rows).toEqual(['41,T,x,p', '42,T,y,"q,r"']);
    const cr = await joinTwo(once('a,updatedAt,id\nz,T,43\r'), once('id,updatedAt,b,c\n43,T,r,s\r'));
    expect(cr.out.rows).toEqual(['43,T,z,r,s']);
  });

  it('reads string chunks as UTF-8', async () => {
    async function* strings(): AsyncGenerator<string> {
      yield 'id,updatedAt,a\nü,T,東';
      yield '京\n';
    }
    const { out } = await joinTwo(strings(), once('id,updatedAt,b\nü,T,🚀\n'));
    expect(out.rows).toEqual(['ü,T,東京,🚀']);
  });

  it('reads a header of more than 16 columns, with the key and cursor among the last', async () => {
    const cols = Array.from({ length: 20 }, (_, i) => `c${i}`);
    const head = [...cols, 'updatedAt', 'id', 'z'];
    const row = (k: string) => [...cols.map((c) => `${c}-${k}`), 'T', k, `z${k}`].join(',');
    const { out } = await joinTwo(once(`${head.join(',')}\n${row('1')}\n${row('2')}\n`), once('id,updatedAt\n1,T\n2,T\n'));
    expect(out.header).toBe(['id', 'updatedAt', ...cols, 'z'].join(','));
    expect(out.rows).toEqual([['1', 'T', ...cols.map((c) => `${c}-1`), 'z1'].join(','), ['2', 'T', ...cols.map((c) => `${c}-2`), 'z2'].join(',')]);
  });

  it('takes rows while the file streams in: the complete rows of a chunk are spilled before the next chunk is read', async () => {
    const j = await SpillJoin.create({ parts: 1, key: 'id', cursor: 'updatedAt', partitions: 1 });
    let taken = 0;
    const seen: number[] = [];
    async function* body(): AsyncGenerator<Buffer> {
      yield Buffer.from('id,updatedAt,a,b\n"1","T","x","y"\n2,"T",x,"y"\n"3",T,"x",y\n"4","T');
      seen.push(taken);
      yield Buffer.from('",x,y\n');
      seen.push(taken);
    }
    try {
      await j.addFile(0, body(), S, 0, () => taken++);
      expect(seen).toEqual([3, 4]);
      expect(await textOf(j)).toBe('id,updatedAt,a,b\n1,T,"x","y"\n2,T,x,"y"\n3,T,"x",y\n4,T,x,y\n');
    } finally {
      await j.close();
    }
  });

  it('a re-fetched file skips the rows already taken: onRow counts only the rows spilled now', async () => {
    const j = await SpillJoin.create({ parts: 1, key: 'id', cursor: 'updatedAt', partitions: 1 });
    let taken = 0;
    try {
      const file = 'id,updatedAt\n\n1,T\n2,T\n\n3,T\n4,T\n';
      // The cut download gave two rows; the re-fetch skips them (blank lines are no rows).
      await j.addFile(0, once('id,updatedAt\n1,T\n2,T\n'), S, 0, () => taken++);
      await j.addFile(0, chunked(file, 5), S, 2, () => taken++);
      expect(taken).toBe(4);
      expect(await textOf(j)).toBe('id,updatedAt\n1,T\n2,T\n3,T\n4,T\n');
      // Written to the spill once each: 4 records of 12 + 1 + 1 bytes.
      expect(j.stats.spilledBytes).toBe(4 * 14);
    } finally {
      await j.close();
    }
  });
});

describe('SpillJoin refusals, with exact messages', () => {
  const refusal = async (text: string | AsyncIterable<Buffer>, file = 'results/9') => {
    const j = await SpillJoin.create({ parts: 2, key: 'id', cursor: 'updatedAt', partitions: 1 });
    try {
      return (await j.addFile(0, typeof text === 'string' ? once(text) : text, src(file)).then(
        () => null,
        (e: unknown) => e,
      )) as ConnectorError;
    } finally {
      await j.close();
    }
  };

  it('text after the closing quote of a cell read: CSV_INVALID_CLOSING_QUOTE quoting up to 20 bytes of it', async () => {
    const e = await refusal('id,updatedAt\n"1"abcdefghijklmnopqrstuvwxyz,T\n');
    expect(e).toBeInstanceOf(ConnectorError);
    expect(e.code).toBe('CSV_INVALID_CLOSING_QUOTE');
    expect(e.message).toBe(
      'Export file results/9 of stream prospects (export 77): text follows the closing quote of a cell ("abcdefghijklmnopqrst"); the file is not valid CSV. Report it to Pardot support with the export id.',
    );
    expect(e.context).toEqual({ stream: 'prospects', exportId: '77', file: 'results/9' });
  });

  it('a quote never closed, in a cell read or in the rest of the last row: CSV_UNTERMINATED_QUOTE', async () => {
    const message =
      'Export file results/9 of stream prospects (export 77) ends inside a quoted cell: a quote is never closed. The file is cut short or malformed: run again; if it repeats, report it to Pardot support with the export id.';
    for (const text of ['id,updatedAt\n1,"T\n', 'id,updatedAt,a\n1,T,"x', 'id,updatedAt,a\n1,T,"x\n']) {
      const e = await refusal(chunked(text, 4));
      expect(e).toBeInstanceOf(ConnectorError);
      expect({ code: e.code, message: e.message, context: e.context }).toEqual({ code: 'CSV_UNTERMINATED_QUOTE', message, context: { stream: 'prospects', exportId: '77', file: 'results/9' } });
    }
  });

  it('a header without the cursor column, or without the key column: CSV_HEADER_MISSING_FIELD naming it', async () => {
    const noCursor = await refusal('id,email\n1,x\n');
    expect(noCursor.code).toBe('CSV_HEADER_MISSING_FIELD');
    expect(noCursor.message).toBe(
      "Export file results/9 of stream prospects (export 77) has no 'updatedAt' column, which every part of a split export needs to join its rows. Report it with the export id.",
    );
    expect(noCursor.context).toEqual({ stream: 'prospects', exportId: '77', file: 'results/9', line: 1 });
    const noKey = await refusal('email,updatedAt\nx,T\n');
    expect(noKey.message).toBe(
      "Export file results/9 of stream prospects (export 77) has no 'id' column, which every part of a split export needs to join its rows. Report it with the export id.",
    );
    const neither = await refusal('email\nx\n');
    expect(neither.message).toMatch(/has no 'id' column/);
  });

  it('a row with fewer cells than the key and cursor need (even one of one character): CSV_COLUMN_COUNT with the counts', async () => {
    const e = await refusal('a,updatedAt,id\nx,T,1\n7\n');
    expect(e.code).toBe('CSV_COLUMN_COUNT');
    expect(e.message).toBe(
      'Export file results/9 of stream prospects (export 77), data row 2: expected 3 cells (as in the header), got 1. The file is malformed: run again; if it repeats, report it to Pardot support with the export id.',
    );
    expect(e.context).toEqual({ stream: 'prospects', exportId: '77', file: 'results/9', expected: 3, got: 1 });
  });
});

describe('SpillJoin temporary files', () => {
  it('makes its folder under tmpRoot, named pardot-join-*, and close() may be called again once it is gone', async () => {
    const root = mkdtempSync(join(tmpdir(), 'join-mutants-'));
    roots.push(root);
    const j = await SpillJoin.create({ parts: 1, key: 'id', cursor: 'updatedAt', tmpRoot: root });
    expect(dirname(j.dir)).toBe(root);
    expect(basename(j.dir)).toMatch(/^pardot-join-.+/);
    await j.close();
    await j.close();
    expect(existsSync(j.dir)).toBe(false);
  });

  it('a row larger than the partition bound is joined after at most a few re-splits, and an oversized partition a part has no row of is skipped', async () => {
    const j = await SpillJoin.create({ parts: 3, key: 'id', cursor: 'updatedAt', partitions: 1, maxPartitionBytes: 100 });
    try {
      const big = 'x'.repeat(5000);
      await j.addFile(0, once(`id,updatedAt,a\n1,T,${big}\n2,T,a2\n`), S);
      await j.addFile(1, once(`id,updatedAt,b\n1,T,b1\n2,T,b2\n`), S);
      await j.addFile(2, once(`id,updatedAt,c\n1,T,c1\n`), S);
      expect(csvLines(await textOf(j))).toEqual({ header: 'id,updatedAt,a,b,c', rows: [`1,T,${big},b1,c1`] });
      expect(j.stats).toMatchObject({ joined: 1, stragglers: 1, stragglerCursor: 'T', holdBackCursor: null });
      expect(readdirSync(j.dir)).toEqual([]);
    } finally {
      await j.close();
    }
  });

  it('an oversized partition with no row of one part is split again without that part: every key a straggler', async () => {
    const j = await SpillJoin.create({ parts: 2, key: 'id', cursor: 'updatedAt', partitions: 1, maxPartitionBytes: 200 });
    try {
      await j.addFile(0, once('id,updatedAt,a\n' + Array.from({ length: 40 }, (_, i) => `${i},T${i},a`).join('\n') + '\n'), S);
      await j.addFile(1, once('id,updatedAt,b\n'), S);
      expect(await chunksOf(j)).toEqual([]);
      expect(j.stats).toMatchObject({ joined: 0, stragglers: 40, rowsPerPart: [40, 0], stragglerCursor: 'T0', holdBackCursor: null });
      expect(readdirSync(j.dir)).toEqual([]);
    } finally {
      await j.close();
    }
  });

  it('a partition over 4 MiB is re-split in slices: records cut by a slice end (in a length field) are carried into the next slice', async () => {
    // A spill record is u32 key bytes, key, u32 cursor bytes, cursor, u32 rest bytes, rest; the
    // re-split reads 4 MiB at a time. Part 0's file puts a slice end inside a record's cursor length,
    // part 1's inside a rest length.
    const SLICE = 4 * 1024 * 1024;
    const cursor = '2024-03-01 10:00:00';
    const file = (cut: number, letter: string): Buffer => {
      const size = 40_000;
      const recBytes = (restLen: number) => 12 + 5 + cursor.length + restLen;
      const m = Math.floor((SLICE - cut) / size);
      const first = SLICE - cut - (m - 1) * size; // bytes of the first record: record m starts `cut` bytes before the slice end
      const lens = [first, ...Array.from({ length: m + 3 }, () => size)].map((b) => b - recBytes(0));
      const lines = lens.flatMap((l, i) => [Buffer.from(`k${String(i).padStart(4, '0')},${cursor},`), Buffer.alloc(l, letter), Buffer.from('\n')]);
      return Buffer.concat([Buffer.from('id,updatedAt,v\n'), ...lines]);
    };
    const j = await SpillJoin.create({ parts: 2, key: 'id', cursor: 'updatedAt', partitions: 1, maxPartitionBytes: 6 * 1024 * 1024 });
    try {
      const f0 = file(4 + 5 + 2, 'a');
      const f1 = file(4 + 5 + 4 + cursor.length + 2, 'b');
      await j.addFile(0, pieces(f0), S);
      await j.addFile(1, pieces(f1), S);
      let rows = 0;
      let bytes = 0;
      for await (const c of j.joined()) {
        bytes += c.length;
        for (const b of c) if (b === 0x0a) rows++;
      }
      const n = Math.floor((SLICE - 11) / 40_000) + 4;
      expect(rows).toBe(1 + n);
      expect(bytes).toBe(f0.length + f1.length - 2 * 'id,updatedAt,v\n'.length + 'id,updatedAt,v,v\n'.length - n * (6 + cursor.length + 1));
      expect(j.stats.joined).toBe(n);
      expect(readdirSync(j.dir)).toEqual([]);
    } finally {
      await j.close();
    }
  });

  it("a spill write that fails fails addFile (a partition's buffer written during the file) or joined() (the last buffers)", async () => {
    const rows = 'id,updatedAt,v\n' + Array.from({ length: 800 }, (_, i) => `${i},T,${'v'.repeat(100)}`).join('\n') + '\n';
    const j = await SpillJoin.create({ parts: 2, key: 'id', cursor: 'updatedAt', partitions: 1 });
    try {
      // The spill file of part 0 cannot be opened for appending: a folder is in its place.
      mkdirSync(join(j.dir, 'p0-0.bin'));
      await expect(j.addFile(0, once(rows), S)).rejects.toMatchObject({ code: 'EISDIR' });
    } finally {
      await j.close();
    }
    const k = await SpillJoin.create({ parts: 2, key: 'id', cursor: 'updatedAt', partitions: 1 });
    try {
      // Neither part's file can be written: the first failure is the one reported (part 0's, written first).
      mkdirSync(join(k.dir, 'p0-0.bin'));
      mkdirSync(join(k.dir, 'p1-0.bin'));
      await k.addFile(0, once('id,updatedAt\n1,T\n'), S);
      await k.addFile(1, once('id,updatedAt\n1,T\n'), S);
      await expect(chunksOf(k)).rejects.toMatchObject({ code: 'EISDIR', path: join(k.dir, 'p0-0.bin') });
    } finally {
      await k.close();
    }
  });
});
