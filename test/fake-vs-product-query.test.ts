// Compares what the product's v5 query streams ask of Pardot (src/generated/query-objects.ts and the
// stream schemas, as the reader uses them) with the fake's own object table
// (test/fake-pardot/v5-objects.ts, written from Salesforce's pages). Checked is what the reader
// *uses*: the fields it requests (collections by their sub-fields), orderBy on id and on its cursor,
// the filters it sends (idGreaterThan, the cursor's bounds, a parent's id), `deleted`, field types,
// and the cursor rule. A refused field the product marks third-party is not a failure (the reader
// drops it with a WARN and asks again): those are pinned in a list of their own. Each disagreement
// names the stream, the object and the fact, and whether the fake's side is the page's word or an
// inference (and from what).

import { describe, expect, it } from 'vitest';

import { QUERY_OBJECTS } from '../src/generated/query-objects.js';
import { STREAM_SCHEMAS } from '../src/generated/schemas.js';
import { V5_OBJECTS, type V5ObjectDef } from './fake-pardot/index.js';

type ProductStream = (typeof QUERY_OBJECTS)[keyof typeof QUERY_OBJECTS];
type Props = Record<string, { 'x-pardot-type'?: string; 'x-connector-value'?: unknown }>;
type Q = {
  object: string;
  singleton: boolean;
  deleted: boolean;
  sortable: readonly string[];
  filters: readonly string[];
  cursorField: string | null;
  cursorSortable: boolean;
  parent: { stream: string; filter: string } | null;
  subFields: Readonly<Record<string, readonly string[]>>;
  thirdPartyFields: readonly string[];
};

const propsOf = (stream: string): Props => (STREAM_SCHEMAS[stream as keyof typeof STREAM_SCHEMAS] as unknown as { properties: Props }).properties;

/** Why the fake holds a fact, when it is not the page's own word. */
function why(def: V5ObjectDef, key: string, group?: string): string {
  const note = def.inferred?.[key] ?? (group ? def.inferred?.[group] : undefined);
  return note ? ` [fake's side inferred: ${note}]` : ` [fake's table, from ${def.doc}]`;
}

/** Why the fake refuses a field a query names, or null when it serves it. */
function refusal(def: V5ObjectDef, field: string): string | null {
  const dot = field.indexOf('.');
  if (dot > 0) return def.collections?.[field.slice(0, dot)]?.includes(field.slice(dot + 1)) ? null : 'not a sub-field of a collection of the object (code 51)';
  if (def.collections && field in def.collections) return 'a collection (refused whole in queries, code 51)';
  if (def.notQueryable?.includes(field)) return 'the page marks it not queryable / write-only';
  if (!(field in def.fields)) return 'not a field of the object (code 51)';
  return null;
}

/** What the reader asks of the object: requested names per emitted field, sorts and filters sent. */
function asks(q: Q, props: Props) {
  const emitted = Object.keys(props).filter((n) => !('x-connector-value' in props[n]!));
  const c = q.cursorField;
  const bounds = c !== null && q.filters.includes(`${c}AfterOrEqualTo`) ? [`${c}AfterOrEqualTo`, `${c}BeforeOrEqualTo`] : [];
  return {
    requested: emitted.map((name) => ({ name, names: q.subFields[name] ?? [name] })),
    sorts: [...(q.sortable.includes('id') ? ['id'] : []), ...(q.cursorSortable && c !== null ? [c] : [])],
    filters: ['idGreaterThan', ...bounds, ...(q.parent ? [q.parent.filter] : [])],
  };
}

/** Every disagreement between one product stream and the fake's table (failures), and the refused third-party fields (dropped). */
function compare(stream: string, q: Q, props: Props): { failures: string[]; dropped: string[] } {
  const failures: string[] = [];
  const dropped: string[] = [];
  const def = V5_OBJECTS[q.object];
  const at = `${stream} (${q.object})`;
  if (!def) return { failures: [`${at}: the fake's table has no such object`], dropped };
  if (q.singleton !== Boolean(def.singleton)) failures.push(`${at}: singleton: product ${q.singleton}, fake ${Boolean(def.singleton)}`);
  const a = asks(q, props);
  for (const { name, names } of a.requested) {
    for (const asked of names) {
      const r = refusal(def, asked);
      if (r && q.thirdPartyFields.includes(name)) dropped.push(asked);
      else if (r) failures.push(`${at}: field ${asked}: the product requests it; the fake refuses it: ${r}${why(def, `field:${name}`)}`);
    }
    const type = def.fields[name];
    const ptype = props[name]!['x-pardot-type'];
    if (type && ptype && ptype !== type) failures.push(`${at}: field ${name}: type: product ${ptype}, fake ${type}${why(def, `field:${name}`)}`);
  }
  if (q.singleton) return { failures, dropped };
  if (q.deleted !== def.deleted) failures.push(`${at}: deleted: product ${q.deleted}, fake ${def.deleted}${why(def, 'deleted')}`);
  for (const s of a.sorts) if (!def.sortable.includes(s)) failures.push(`${at}: orderBy ${s}: the product sorts on it; the fake's sortable fields are [${def.sortable.join(', ')}]${why(def, 'sortable')}`);
  for (const f of a.filters) if (!def.filters.includes(f)) failures.push(`${at}: filter ${f}: the product sends it; the fake does not take it${why(def, `filter:${f}`, 'filters')}`);
  const c = q.cursorField;
  if (c !== null && !(c in def.fields)) failures.push(`${at}: cursor ${c}: not a field of the object in the fake's table`);
  // An object with updatedAt and an updatedAt filter: any other cursor (or none) misses edits or reads the table for nothing.
  if ('updatedAt' in def.fields && def.filters.includes('updatedAtAfterOrEqualTo') && c !== 'updatedAt')
    failures.push(`${at}: cursor: product ${c ?? 'none'}; the fake's table has updatedAt and its filters, so updatedAt is the cursor that sees edits${why(def, 'filter:updatedAtAfterOrEqualTo', 'filters')}`);
  // A cursor other than updatedAt (createdAt, sentAt) sees no edit: only for records that never change.
  if (c !== null && c !== 'updatedAt' && !def.immutable) failures.push(`${at}: cursor ${c}: misses edits, and the fake's table does not say the object's records never change`);
  return { failures, dropped };
}

const productQ = (stream: string): Q => QUERY_OBJECTS[stream as keyof typeof QUERY_OBJECTS] as unknown as Q;

describe("the product's v5 query streams ask only what the fake's table (written from Salesforce's pages) allows", () => {
  it.each(Object.keys(QUERY_OBJECTS))('%s', (stream) => {
    expect(compare(stream, productQ(stream), propsOf(stream)).failures).toEqual([]);
  });

  it('the fields the fake refuses are all third-party ones the reader drops with a WARN: the redirects\' Google Analytics parameters and the forms\' requiredCharacter', () => {
    const dropped = Object.fromEntries(
      Object.keys(QUERY_OBJECTS)
        .map((s) => [s, compare(s, productQ(s), propsOf(s)).dropped] as const)
        .filter(([, d]) => d.length > 0),
    );
    expect(dropped).toEqual({ custom_redirects: ['gaSource', 'gaMedium', 'gaTerm', 'gaContent', 'gaCampaign'], forms: ['requiredCharacter'] });
  });

  it('the comparison sees a disagreement when there is one (made-up field, sorts, filter, deleted, cursors)', () => {
    const bent = (stream: string, over: Partial<Q>, props: Props = propsOf(stream)) => compare(stream, { ...productQ(stream), ...over }, props).failures.join('\n');
    expect(bent('campaigns', {}, { ...propsOf('campaigns'), madeUp: { 'x-pardot-type': 'String' } })).toContain(
      'campaigns (campaigns): field madeUp: the product requests it; the fake refuses it: not a field of the object (code 51)',
    );
    expect(bent('campaigns', { deleted: false })).toContain('campaigns (campaigns): deleted: product false, fake true');
    expect(bent('forms', { sortable: ['id'] })).toContain("forms (forms): orderBy id: the product sorts on it; the fake's sortable fields are []");
    const esp = bent('engagement_studio_programs', { filters: ['updatedAtAfterOrEqualTo', 'updatedAtBeforeOrEqualTo'], cursorSortable: true });
    expect(esp).toContain('engagement_studio_programs (engagement-studio-programs): filter updatedAtAfterOrEqualTo: the product sends it; the fake does not take it');
    expect(esp).toContain('engagement_studio_programs (engagement-studio-programs): orderBy updatedAt: the product sorts on it');
    const byCreation = bent('campaigns', { cursorField: 'createdAt', cursorSortable: true, filters: ['createdAtAfterOrEqualTo', 'createdAtBeforeOrEqualTo'] });
    expect(byCreation).toContain('campaigns (campaigns): cursor: product createdAt; the fake\'s table has updatedAt and its filters');
    expect(byCreation).toContain('campaigns (campaigns): cursor createdAt: misses edits');
    expect(bent('form_handlers', { cursorField: 'createdAt', filters: ['createdAtAfterOrEqualTo', 'createdAtBeforeOrEqualTo'] })).toContain(
      "form_handlers (form-handlers): cursor createdAt: misses edits, and the fake's table does not say the object's records never change",
    );
    // A refused sub-field of a third-party collection is dropped (reported), not a failure.
    expect(compare('emails', { ...productQ('emails'), subFields: { ...productQ('emails').subFields, senderOptions: ['senderOptions.madeUp'] } }, propsOf('emails')).dropped).toEqual(['senderOptions.madeUp']);
  });
});
