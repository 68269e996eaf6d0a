// The layering rules of design.md, pinned: the sync core takes nothing from protocol/ (the catalog
// model, ConfiguredStream, lives in streams.ts below both), protocol/ takes nothing from pardot/
// (the 150-field rule is the stream table's maxFields), pardot/ takes nothing from sync/.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const src = join(import.meta.dirname, '..', 'src');
const importsOf = (dir: string): Array<{ file: string; from: string }> =>
  readdirSync(join(src, dir))
    .filter((f) => f.endsWith('.ts'))
    .flatMap((file) =>
      [...readFileSync(join(src, dir, file), 'utf8').matchAll(/^\s*(?:import|export)[^;]*?from\s+'([^']+)'/gms)].map((m) => ({ file: `${dir}/${file}`, from: m[1]! })),
    );

describe('layering', () => {
  it.each([
    ['sync', '../protocol/'],
    ['protocol', '../pardot/'],
    ['pardot', '../sync/'],
    ['jobs', '../pardot/'],
  ])('src/%s imports nothing from %s', (dir, banned) => {
    const bad = importsOf(dir).filter((i) => i.from.startsWith(banned));
    expect(bad).toEqual([]);
  });

  it('the scan sees imports (it would catch one)', () => {
    expect(importsOf('sync').some((i) => i.from === '../streams.js')).toBe(true);
  });
});
