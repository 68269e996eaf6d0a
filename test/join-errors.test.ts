/**
 * The split-window join's (src/extract/join.ts) refusals that no run of the fake provokes: a second
 * file of a part whose columns differ from its first file's, and a spill file found cut short when
 * an oversized partition is split again. Each fails with an error naming the file, and close()
 * still removes the temporary folder.
 */
import { existsSync, readdirSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConnectorError } from '../src/errors.js';
import { SpillJoin } from '../src/extract/join.js';

const src = (file: string) => ({ stream: 'prospects', exportId: '1001', file });
async function* once(text: string): AsyncGenerator<Buffer> {
  yield Buffer.from(text);
}
const rows = (keys: number[], cols: string[]) =>
  `id,updatedAt,${cols.join(',')}\n` + keys.map((k) => `${k},2024-03-01 10:00:00,${cols.map((c) => `${c}-${k}`).join(',')}`).join('\n') + '\n';

describe('SpillJoin refusals', () => {
  it("a part's second file with other columns than its first: CSV_HEADER_MISMATCH naming the file", async () => {
    const j = await SpillJoin.create({ parts: 2, key: 'id', cursor: 'updatedAt' });
    try {
      await j.addFile(0, once(rows([1, 2], ['email', 'city'])), src('results/1'));
      // Same part, another file: a column less. (Part 1 may have other columns: that is the split.)
      await j.addFile(1, once(rows([1, 2], ['score'])), src('results/3'));
      const e = await j.addFile(0, once(rows([3], ['email'])), src('results/2')).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ConnectorError);
      expect((e as ConnectorError).code).toBe('CSV_HEADER_MISMATCH');
      expect((e as ConnectorError).message).toBe(
        "Export file results/2 of stream prospects (export 1001) has other columns than the export's first file; its rows cannot be joined. Run again; if it repeats, report it with the export id.",
      );
      expect((e as ConnectorError).context).toMatchObject({ stream: 'prospects', exportId: '1001', file: 'results/2', line: 1 });
      // The same columns in another order are other columns too: cells are joined by position.
      const swapped = await j.addFile(0, once(rows([4], ['city', 'email'])), src('results/4')).catch((x: unknown) => x);
      expect((swapped as ConnectorError).code).toBe('CSV_HEADER_MISMATCH');
    } finally {
      await j.close();
    }
    expect(existsSync(j.dir)).toBe(false);
  });

  it('a spill file cut short before a partition is split again: the join fails naming it, and close() removes the folder', async () => {
    const keys = Array.from({ length: 400 }, (_, i) => i + 1);
    // One partition, whose files exceed the bound: joined() splits it again, reading its records.
    const j = await SpillJoin.create({ parts: 2, key: 'id', cursor: 'updatedAt', partitions: 1, maxPartitionBytes: 1000 });
    try {
      await j.addFile(0, once(rows(keys, ['email'])), src('results/1'));
      await j.addFile(1, once(rows(keys, ['city'])), src('results/2'));
      // Written out, as joined() does first; then the last record of part 0 loses its last 3 bytes.
      await (j as unknown as { writer: { flushAll(): Promise<void> } }).writer.flushAll();
      const spill = join(j.dir, 'p0-0.bin');
      truncateSync(spill, statSync(spill).size - 3);
      const out: Buffer[] = [];
      const e = await (async () => {
        for await (const c of j.joined()) out.push(c);
      })().catch((x: unknown) => x);
      expect(e).toBeInstanceOf(Error);
      expect((e as Error).message).toBe(`SpillJoin: truncated spill file ${spill}`);
      expect(out).toEqual([]);
      expect(readdirSync(j.dir).length).toBeGreaterThan(0);
    } finally {
      await j.close();
    }
    expect(existsSync(j.dir)).toBe(false);
  });
});
