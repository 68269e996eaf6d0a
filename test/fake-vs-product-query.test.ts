// Compares the product's v5 query stream definitions (src/generated/query-objects.ts and the
// stream schemas) with the fake's own object table (test/fake-pardot/v5-objects.ts, written from
// Salesforce's pages). One test per stream; each disagreement names the stream, the object and the
// fact, and says whether the fake's side is the page's word or an inference (and from what).
// The lead reconciles the list: the page decides. This test is expected to fail while they differ.

import { describe, expect, it } from 'vitest';

import { QUERY_OBJECTS } from '../src/generated/query-objects.js';
import { STREAM_SCHEMAS } from '../src/generated/schemas.js';
import { V5_OBJECTS, type V5ObjectDef } from './fake-pardot/index.js';

type ProductStream = (typeof QUERY_OBJECTS)[keyof typeof QUERY_OBJECTS];
type Props = Record<string, { 'x-pardot-type'?: string }>;

/** Why the fake holds a fact, when it is not the page's own word. */
function why(def: V5ObjectDef, key: string, group?: string): string {
  const note = def.inferred?.[key] ?? (group ? def.inferred?.[group] : undefined);
  return note ? ` [fake's side inferred: ${note}]` : ` [fake's table, from ${def.doc}]`;
}

/** Why the fake refuses a field a query names, or null when it serves it. */
function refusal(def: V5ObjectDef, field: string): string | null {
  const dot = field.indexOf('.');
  if (dot > 0 && def.collections?.[field.slice(0, dot)]?.includes(field.slice(dot + 1))) return null;
  if (def.collections && field in def.collections) return 'a collection (refused whole in queries, code 51)';
  if (def.notQueryable?.includes(field)) return 'the page marks it not queryable / write-only';
  if (!(field in def.fields)) return 'not a field of the object (code 51)';
  return null;
}

/** Every disagreement between one product stream and the fake's table, as sentences. */
function disagreements(stream: string, q: ProductStream): string[] {
  const out: string[] = [];
  const def = V5_OBJECTS[q.object];
  const at = `${stream} (${q.object})`;
  if (!def) return [`${at}: the fake's table has no such object`];
  if (Boolean(q.singleton) !== Boolean(def.singleton)) out.push(`${at}: singleton: product ${q.singleton}, fake ${Boolean(def.singleton)}`);
  const props = (STREAM_SCHEMAS[stream as keyof typeof STREAM_SCHEMAS] as unknown as { properties: Props }).properties;
  for (const [name, p] of Object.entries(props)) {
    const r = refusal(def, name);
    if (r) {
      out.push(`${at}: field ${name}: the product requests it; the fake refuses it: ${r}${why(def, `field:${name}`)}`);
      continue;
    }
    const type = def.fields[name];
    const ptype = p['x-pardot-type'];
    if (type && ptype && ptype !== type) out.push(`${at}: field ${name}: type: product ${ptype}, fake ${type}${why(def, `field:${name}`)}`);
  }
  if (q.singleton) return out;
  if (q.deleted !== def.deleted) out.push(`${at}: deleted: product ${q.deleted}, fake ${def.deleted}${why(def, 'deleted')}`);
  for (const s of q.sortable)
    if (!def.sortable.includes(s)) out.push(`${at}: orderBy ${s}: the product may sort on it; the fake's sortable fields are [${def.sortable.join(', ')}]${why(def, 'sortable')}`);
  for (const f of q.filters)
    if (!def.filters.includes(f)) out.push(`${at}: filter ${f}: the product sends it; the fake does not take it${why(def, `filter:${f}`, 'filters')}`);
  const c = q.cursorField;
  if (c !== null) {
    if (!(c in def.fields)) out.push(`${at}: cursor ${c}: not a field of the object in the fake's table`);
    if (q.cursorSortable && !def.sortable.includes(c)) out.push(`${at}: cursor ${c}: the product sorts on it; the fake does not${why(def, 'sortable')}`);
  }
  // The page has an updatedAt filter: an incremental cursor on anything else misses updates.
  if (def.filters.includes('updatedAtAfterOrEqualTo') && c !== 'updatedAt')
    out.push(`${at}: cursor: product ${c ?? 'none'}; the fake's table has updatedAt filters, so updatedAt is the cursor that sees updates${why(def, 'filter:updatedAtAfterOrEqualTo', 'filters')}`);
  if (c === null && !q.singleton && def.filters.some((f) => /^(createdAt|sentAt)AfterOrEqualTo$/.test(f)) && !def.filters.includes('updatedAtAfterOrEqualTo'))
    out.push(`${at}: cursor: product none; the fake's table filters on ${def.filters.find((f) => f.endsWith('AfterOrEqualTo') && !f.startsWith('id'))!.replace('AfterOrEqualTo', '')}`);
  return out;
}

describe("the product's v5 query streams agree with the fake's table (written from Salesforce's pages)", () => {
  it.each(Object.keys(QUERY_OBJECTS))('%s', (stream) => {
    expect(disagreements(stream, QUERY_OBJECTS[stream as keyof typeof QUERY_OBJECTS])).toEqual([]);
  });

  it('the comparison sees a disagreement when there is one (a made-up field, filter, sort and deleted)', () => {
    const q = QUERY_OBJECTS.campaigns;
    const bent = { ...q, filters: [...q.filters, 'madeUpAfter'], sortable: [...q.sortable, 'cost'], deleted: !q.deleted } as unknown as ProductStream;
    const found = disagreements('campaigns', bent).join('\n');
    expect(found).toContain('campaigns (campaigns): filter madeUpAfter: the product sends it; the fake does not take it');
    expect(found).toContain('campaigns (campaigns): orderBy cost: the product may sort on it');
    expect(found).toContain('campaigns (campaigns): deleted: product false, fake true');
  });
});
