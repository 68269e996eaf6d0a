// What the v5 query streams carry, through runRead and the fake: dimension tables are read whole
// (start_date bounds event streams only), editable objects without a moving cursor are full
// refresh and show edits and removals on the next run, an old createdAt state of theirs is
// accepted, and records carry users' lastName, sender options by sub-field and object values as
// objects. Expected values come from the fake's own rows.
import { describe, expect, it } from 'vitest';

import { STREAMS } from '../src/streams.js';
import { parseState } from '../src/sync/state.js';
import { V5_OBJECTS, type Row } from './fake-pardot/index.js';
import { configured, DAY, ids, queriesOf, queryHarness, recordsOf, runQuery, secondOf, sorted, type Rec } from './helpers/query-run.js';

const idsOfRows = (rows: Row[]) => sorted(rows.map((r) => r.id as number));

describe('dimension tables are read whole; start_date bounds events', () => {
  it('a campaign last updated before start_date is in a full refresh and in a first incremental read', async () => {
    const h = await queryHarness();
    const rows = h.objects['campaigns']!.rows as Row[];
    const old = new Date(h.start.getTime() - 400 * DAY);
    h.fake.v5.update('campaigns', rows[7]!.id as number, { name: 'Spring 2019', createdAt: old, updatedAt: old });
    for (const mode of ['full_refresh', 'incremental'] as const) {
      const { events, error } = await runQuery(h, [configured('campaigns', mode)]);
      expect(error).toBeNull();
      const got = recordsOf(events, 'campaigns');
      expect(sorted(ids(got))).toEqual(idsOfRows(rows));
      expect(got.find((r) => r.id === rows[7]!.id)).toMatchObject({ name: 'Spring 2019' });
    }
    // Never bounded below: no updatedAt lower bound was sent.
    expect(queriesOf(h.fake, 'campaigns').some((q) => q.has('updatedAtAfterOrEqualTo'))).toBe(false);
  });

  it('visits (events) before start_date are left out of a full refresh and of a first incremental read, which starts at start_date', async () => {
    const h = await queryHarness({ options: { queryTokenCap: 9 } });
    const rows = h.objects['visits']!.rows as Row[];
    const before = rows.slice(0, 6);
    for (const r of before) h.fake.v5.update('visits', r.id as number, { createdAt: new Date(h.start.getTime() - 30 * DAY), updatedAt: new Date(h.start.getTime() - 10 * DAY) });
    const inRange = idsOfRows(rows.filter((r) => secondOf(r, 'updatedAt')! >= h.start.getTime()));
    expect(inRange).toHaveLength(rows.length - before.length);
    for (const mode of ['full_refresh', 'incremental'] as const) {
      const { events, error } = await runQuery(h, [configured('visits', mode)]);
      expect(error).toBeNull();
      expect(sorted(ids(recordsOf(events, 'visits')))).toEqual(inRange);
    }
    const qs = queriesOf(h.fake, 'visits');
    // The incremental read starts at start_date, by (updatedAt, id).
    expect(qs.some((q) => q.get('orderBy') === 'updatedAt ASC,id ASC' && Date.parse(q.get('updatedAtAfterOrEqualTo')!) === Math.floor(h.start.getTime() / 1000) * 1000)).toBe(true);
  });
});

describe('editable objects without a moving cursor are full refresh: the next run shows edits and removals', () => {
  it('form handlers, form handler fields and tagged objects: an edited row shows its edit, a deleted one is marked (recycle bin) or gone', async () => {
    const h = await queryHarness();
    const streams = [configured('form_handlers', 'full_refresh'), configured('form_handler_fields', 'full_refresh'), configured('tagged_objects', 'full_refresh')];
    for (const s of streams) expect(s.stream.syncModes).toEqual(['full_refresh']);
    const first = await runQuery(h, streams);
    expect(first.error).toBeNull();
    const fh = h.objects['form-handlers']!.rows as Row[];
    const fhf = h.objects['form-handler-fields']!.rows as Row[];
    const tagged = h.objects['tagged-objects']!.rows as Row[];
    for (const [stream, rows] of [['form_handlers', fh], ['form_handler_fields', fhf], ['tagged_objects', tagged]] as const) {
      expect(sorted(ids(recordsOf(first.events, stream)))).toEqual(idsOfRows(rows));
    }
    const live = fh.find((r) => r.isDeleted !== true)!;
    const [editedFh, deletedFh] = [live.id as number, fh.find((r) => r.isDeleted !== true && r !== live)!.id as number];
    const [editedField, removedField] = [fhf[2]!.id as number, fhf[5]!.id as number];
    const untagged = tagged[4]!.id as number;
    // The live arrays: the fake's change API edits them in place (a removal takes the row out).
    const [nFh, nFhf, nTagged] = [fh.length, fhf.length, tagged.length];
    // Edits change no createdAt (these objects have no updatedAt): a createdAt cursor would never see them.
    h.fake.v5.update('form-handlers', editedFh, { name: 'Renamed handler' });
    h.fake.v5.delete('form-handlers', deletedFh);
    h.fake.v5.update('form-handler-fields', editedField, { errorMessage: 'Required, "really"' });
    h.fake.v5.delete('form-handler-fields', removedField);
    h.fake.v5.delete('tagged-objects', untagged);
    const renamedTag = tagged[6]!.id as number;
    h.fake.v5.update('tagged-objects', renamedTag, { objectName: 'Renamed asset' });
    const second = await runQuery(h, streams);
    expect(second.error).toBeNull();
    const by = (stream: string): Map<number, Rec> => new Map(recordsOf(second.events, stream).map((r) => [r.id as number, r]));
    const handlers = by('form_handlers');
    expect(handlers.get(editedFh)).toMatchObject({ name: 'Renamed handler' });
    expect(handlers.get(deletedFh)).toMatchObject({ isDeleted: true });
    expect(handlers.size).toBe(nFh);
    const fields = by('form_handler_fields');
    expect(fields.get(editedField)).toMatchObject({ errorMessage: 'Required, "really"' });
    expect(fields.has(removedField)).toBe(false);
    expect(fields.size).toBe(nFhf - 1);
    const tags = by('tagged_objects');
    expect(tags.has(untagged)).toBe(false);
    expect(tags.get(renamedTag)).toMatchObject({ objectName: 'Renamed asset' });
    expect(tags.size).toBe(nTagged - 1);
  });

  it('an old state with a createdAt cursor for them is accepted with a warning naming the stream, and the stream is read whole', async () => {
    const old = ['form_handlers', 'form_handler_fields', 'tagged_objects'].map((name) => ({
      type: 'STREAM',
      stream: { stream_descriptor: { name }, stream_state: { createdAt: '2024-03-01T00:00:00Z', state_version: 1 } },
    }));
    const parsed = parseState(old, STREAMS);
    expect(parsed.warnings).toHaveLength(3);
    for (const [i, name] of ['form_handlers', 'form_handler_fields', 'tagged_objects'].entries()) {
      expect(parsed.warnings[i]).toContain(`'${name}' holds a cursor (createdAt)`);
      expect(parsed.warnings[i]).toContain('full refresh only');
      expect(parsed.streams.get(name)).toEqual({ cursor: null, inFlight: [] });
    }
    const h = await queryHarness();
    const { events, error } = await runQuery(h, [configured('tagged_objects', 'full_refresh')], parsed.streams);
    expect(error).toBeNull();
    expect(sorted(ids(recordsOf(events, 'tagged_objects')))).toEqual(idsOfRows(h.objects['tagged-objects']!.rows as Row[]));
  });
});

describe('what the records carry', () => {
  it('users carry lastName (not on the User page, yet a field of the object)', async () => {
    const h = await queryHarness();
    const rows = h.objects['users']!.rows as Row[];
    const { events, error } = await runQuery(h, [configured('users', 'full_refresh')]);
    expect(error).toBeNull();
    expect(queriesOf(h.fake, 'users')[0]!.get('fields')!.split(',')).toContain('lastName');
    const got = new Map(recordsOf(events, 'users').map((r) => [r.id, r.lastName]));
    expect(got.size).toBe(rows.length);
    for (const r of rows) expect(got.get(r.id)).toBe(r.lastName ?? null);
    expect(rows.some((r) => typeof r.lastName === 'string')).toBe(true);
  });

  it("emails' sender and reply-to options are asked by sub-field (senderOptions.type ...) and come as arrays of objects", async () => {
    const h = await queryHarness({ data: { start: new Date(Date.now() - 20 * DAY) } });
    const rows = h.objects['emails']!.rows as Row[];
    const { events, error } = await runQuery(h, [configured('emails', 'full_refresh')]);
    expect(error).toBeNull();
    const fields = queriesOf(h.fake, 'emails')[0]!.get('fields')!.split(',');
    expect(fields).toEqual(expect.arrayContaining(['senderOptions.type', 'senderOptions.address', 'senderOptions.name', 'replyToOptions.type', 'replyToOptions.address']));
    expect(fields).not.toContain('senderOptions');
    const got = new Map(recordsOf(events, 'emails').map((r) => [r.id, r]));
    expect(got.size).toBe(rows.length);
    const withOptions = rows.filter((r) => Array.isArray(r.senderOptions) && (r.senderOptions as unknown[]).length > 0);
    expect(withOptions.length).toBeGreaterThan(0);
    for (const r of withOptions) {
      const opt = (r.senderOptions as Rec[])[0]!;
      expect((got.get(r.id)!.senderOptions as Rec[])[0]).toMatchObject({ type: opt.type, address: opt.address, name: opt.name });
    }
  });

  it("engagement studio programs' businessHours, schedule and prospectsMultipleEntry come as JSON objects", async () => {
    const h = await queryHarness();
    expect(V5_OBJECTS['engagement-studio-programs']!.fields.businessHours).toBe('Object');
    const rows = h.objects['engagement-studio-programs']!.rows as Row[];
    const { events, error } = await runQuery(h, [configured('engagement_studio_programs', 'full_refresh')]);
    expect(error).toBeNull();
    const got = new Map(recordsOf(events, 'engagement_studio_programs').map((r) => [r.id, r]));
    const objectRows = rows.filter((r) => r.businessHours !== null && typeof r.businessHours === 'object');
    expect(objectRows.length).toBeGreaterThan(0);
    for (const r of objectRows) {
      expect(got.get(r.id)!.businessHours).toEqual(r.businessHours);
      expect(got.get(r.id)!.schedule).toEqual(r.schedule ?? null);
    }
  });
});
