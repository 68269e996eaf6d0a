// The product's export stream schemas (schemas/*.json: property names and x-pardot-type) against
// the fake's own field tables (test/fake-pardot/fields.ts, transcribed from the seed's sections).
// The two are written apart on purpose; this test names every disagreement, so one side is
// corrected on purpose rather than copied from the other.

import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { FIELDS, type ObjectName } from './fake-pardot/index.js';

/** Export streams and the Export API object each reads (written by hand, as the seed names them). */
const STREAMS: Readonly<Record<string, ObjectName>> = {
  prospects: 'prospect',
  visitors: 'visitor',
  visitor_activities: 'visitorActivity',
  list_memberships: 'listMembership',
  prospect_accounts: 'prospectAccount',
  external_activities: 'externalActivity',
};

interface Schema {
  properties: Record<string, { 'x-pardot-type'?: string }>;
}

/** Every disagreement between the product's schema of `stream` and the fake's exportable fields of `object`. */
function disagreements(stream: string, object: ObjectName): string[] {
  const schema = JSON.parse(readFileSync(new URL(`../schemas/${stream}.json`, import.meta.url), 'utf8')) as Schema;
  const product = new Map(Object.entries(schema.properties).map(([name, p]) => [name, p['x-pardot-type'] ?? '(none)']));
  const fake = new Map(FIELDS[object].filter((f) => f.exportable).map((f) => [f.name, f.type as string]));
  const out: string[] = [];
  for (const [name, type] of product) {
    const theirs = fake.get(name);
    if (theirs === undefined) out.push(`${stream}.${name}: in the product (${type}), not exportable in the fake`);
    else if (theirs !== type) out.push(`${stream}.${name}: product ${type}, fake ${theirs}`);
  }
  for (const [name, type] of fake) if (!product.has(name)) out.push(`${stream}.${name}: exportable in the fake (${type}), not in the product`);
  return out;
}

describe("the product's export stream schemas against the fake's field tables", () => {
  for (const [stream, object] of Object.entries(STREAMS)) {
    it(`${stream}: same field names and types as the fake's ${object} table`, () => {
      expect(disagreements(stream, object)).toEqual([]);
    });
  }
});
