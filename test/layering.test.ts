// The layering rules of design.md, pinned: the sync core takes nothing from protocol/ (the catalog
// model, ConfiguredStream, lives in streams.ts below both), protocol/ takes nothing from pardot/
// (the 150-field rule is the stream table's maxFields), pardot/ takes nothing from sync/, and the
// CSV extraction takes nothing from pardot/, not even through another module (the wire facts it
// needs, such as MULTI_VALUE_CELL, are passed in by the sync core).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
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
    ['extract', '../pardot/'],
  ])('src/%s imports nothing from %s', (dir, banned) => {
    const bad = importsOf(dir).filter((i) => i.from.startsWith(banned));
    expect(bad).toEqual([]);
  });

  it('the scan sees imports (it would catch one)', () => {
    expect(importsOf('sync').some((i) => i.from === '../streams.js')).toBe(true);
  });

  it('src/extract reaches nothing in src/pardot at run time, through any chain of imports', () => {
    const reached = runtimeClosure(readdirSync(join(src, 'extract')).filter((f) => f.endsWith('.ts')).map((f) => join(src, 'extract', f)));
    expect(reached.filter((f) => f.startsWith('pardot/'))).toEqual([]);
    // The walk follows chains (it would catch one): sync/export-read.ts reaches pardot/wire.ts.
    expect(runtimeClosure([join(src, 'sync', 'export-read.ts')])).toContain('pardot/wire.ts');
  });
});

/** The first import circle among the files of one folder (imports of its siblings only), or null. */
function circleIn(edges: ReadonlyMap<string, readonly string[]>): string[] | null {
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (f: string): string[] | null => {
    const at = path.indexOf(f);
    if (at >= 0) return [...path.slice(at), f];
    if (done.has(f)) return null;
    path.push(f);
    for (const to of edges.get(f) ?? []) {
      const c = visit(to);
      if (c) return c;
    }
    path.pop();
    done.add(f);
    return null;
  };
  for (const f of edges.keys()) {
    const c = visit(f);
    if (c) return c;
  }
  return null;
}

function siblingEdges(dir: string): Map<string, string[]> {
  const edges = new Map<string, string[]>();
  for (const { file, from } of importsOf(dir)) {
    const name = file.slice(dir.length + 1);
    if (!edges.has(name)) edges.set(name, []);
    // `import type` counts too: a circle of types is still a circle a reader has to untangle.
    if (from.startsWith('./')) edges.get(name)!.push(from.slice(2).replace(/\.js$/, '.ts'));
  }
  return edges;
}

describe('no import circle', () => {
  it('src/pardot: its files import each other without a loop (http -> types -> query -> http was one)', () => {
    expect(circleIn(siblingEdges('pardot'))).toBeNull();
  });

  it('the circle finder finds a loop, the one it was written for among them', () => {
    const loop = new Map([
      ['http.ts', ['types.ts', 'wire.ts']],
      ['types.ts', ['query.ts']],
      ['query.ts', ['http.ts']],
      ['wire.ts', []],
    ]);
    expect(circleIn(loop)).toEqual(['http.ts', 'types.ts', 'query.ts', 'http.ts']);
    expect(circleIn(new Map([['a.ts', ['b.ts']], ['b.ts', []]]))).toBeNull();
    expect(siblingEdges('pardot').get('client.ts')).toContain('http.ts');
  });
});
/**
 * The src/ files (relative, e.g. 'extract/csv.ts') that the given files load at run time, directly
 * or not: every relative import and re-export except `import type` / `export type`.
 */
function runtimeClosure(start: string[]): string[] {
  const seen = new Set<string>();
  const todo = [...start];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const m of readFileSync(file, 'utf8').matchAll(/^\s*(import|export)\s+(type\s)?[^;]*?from\s+'(\.[^']+)'/gms)) {
      if (m[2] !== undefined) continue; // erased at compile time
      todo.push(resolve(dirname(file), m[3]!.replace(/\.js$/, '.ts')));
    }
  }
  return [...seen].map((f) => relative(src, f));
}
