/**
 * The export reader's planning and straggler steps, alone, with hand-written inputs and expected
 * values: windows with saved exports resumed or replaced (planWithResume), the hold-back rule of
 * split windows (holdBackCursor), and which refusal may drop a field (droppableField).
 */
import { describe, expect, it } from 'vitest';
import { ConnectorError } from '../src/errors.js';
import { droppableField, planWithResume } from '../src/sync/export-plan.js';
import { holdBackCursor } from '../src/sync/export-read.js';

const T = (iso: string) => Date.parse(iso);

describe('planWithResume', () => {
  const o = { from: T('2024-01-01T00:00:00Z'), to: T('2024-01-21T00:00:00Z'), windowDays: 10, streamName: 'prospects' };
  const fp = (w: { start: number }) => [`fp-${w.start}`];

  it('without saved exports: windows of window_days from the cursor to the end, the last one short', () => {
    const p = planWithResume({ ...o, to: T('2024-01-25T00:00:00Z') }, [], fp);
    expect(p.windows.map((w) => [w.start, w.end])).toEqual([
      [T('2024-01-01T00:00:00Z'), T('2024-01-11T00:00:00Z')],
      [T('2024-01-11T00:00:00Z'), T('2024-01-21T00:00:00Z')],
      [T('2024-01-21T00:00:00Z'), T('2024-01-25T00:00:00Z')],
    ]);
    expect(p.superseded).toEqual([]);
    expect(p.warnings).toEqual([]);
  });

  it('a saved export of the window at the cursor, for the same request, is resumed; its window keeps its bounds', () => {
    const saved = [{ id: '77', start: '2024-01-01T00:00:00Z', end: '2024-01-05T00:00:00Z', createdAt: '', fingerprint: `fp-${T('2024-01-01T00:00:00Z')}` }];
    const p = planWithResume(o, saved, fp);
    expect(p.windows[0]).toEqual({ start: T('2024-01-01T00:00:00Z'), end: T('2024-01-05T00:00:00Z'), resumeIds: ['77'] });
    expect(p.windows[1]).toEqual({ start: T('2024-01-05T00:00:00Z'), end: T('2024-01-15T00:00:00Z') });
    expect(p.superseded).toEqual([]);
  });

  it('a saved export for another request, or without a fingerprint, keeps its window but is replaced (and named to cancel)', () => {
    const saved = [
      { id: '78', start: '2024-01-01T00:00:00Z', end: '2024-01-05T00:00:00Z', createdAt: '', fingerprint: 'other' },
      { id: '79', start: '2024-01-05T00:00:00Z', end: '2024-01-06T00:00:00Z', createdAt: '' },
    ];
    const p = planWithResume(o, saved, fp);
    expect(p.windows.slice(0, 2)).toEqual([
      { start: T('2024-01-01T00:00:00Z'), end: T('2024-01-05T00:00:00Z') },
      { start: T('2024-01-05T00:00:00Z'), end: T('2024-01-06T00:00:00Z') },
    ]);
    expect(p.superseded).toEqual(['78', '79']);
    expect(p.warnings.join('\n')).toMatch(/78 .*another request/);
    expect(p.warnings.join('\n')).toMatch(/79 .*cannot compare \(no fingerprint in state\)/);
  });

  it('saved exports that do not continue from the cursor, or reach past this run\'s end, are not reused (WARN) and are canceled', () => {
    const saved = [
      { id: '80', start: '2024-01-02T00:00:00Z', end: '2024-01-03T00:00:00Z', createdAt: '', fingerprint: 'x' },
    ];
    const p = planWithResume(o, saved, fp);
    expect(p.windows[0]).toEqual({ start: T('2024-01-01T00:00:00Z'), end: T('2024-01-11T00:00:00Z') });
    expect(p.warnings).toEqual(['1 export(s) in flight in the saved state of prospects do not continue from the cursor and are not reused; they are canceled.']);
    expect(p.superseded).toEqual(['80']);
    const late = [{ id: '81', start: '2024-01-01T00:00:00Z', end: '2024-01-30T00:00:00Z', createdAt: '', fingerprint: `fp-${T('2024-01-01T00:00:00Z')}` }];
    const pastEnd = planWithResume({ ...o, windowDays: 40 }, late, fp);
    expect(pastEnd.windows[0]).toEqual({ start: o.from, end: o.to });
    expect(pastEnd.superseded).toEqual(['81']);
  });

  it('a split window resumes part by part: the saved part is resumed, the missing one made', () => {
    const two = (w: { start: number }) => [`a-${w.start}`, `b-${w.start}`];
    const saved = [{ id: '90', start: '2024-01-01T00:00:00Z', end: '2024-01-11T00:00:00Z', createdAt: '', fingerprint: `b-${T('2024-01-01T00:00:00Z')}`, part: 1 }];
    expect(planWithResume(o, saved, two).windows[0]!.resumeIds).toEqual([undefined, '90']);
  });
});

describe('holdBackCursor (the straggler rule of split windows)', () => {
  const w = { start: T('2024-03-01T00:00:00Z'), end: T('2024-04-01T00:00:00Z') };
  const runEnd = T('2024-06-01T00:00:00Z');
  const asUtc = (wall: string) => Date.parse(wall.replace(' ', 'T') + 'Z');

  it('no straggler that a later part gained: nothing held', () => {
    expect(holdBackCursor(w, { holdBackCursor: null }, runEnd, asUtc)).toBeNull();
  });

  it('one whose newest cursor lies past the run\'s end: the next run reads it anyway, nothing held', () => {
    expect(holdBackCursor(w, { holdBackCursor: '2024-06-01 00:00:05' }, runEnd, asUtc)).toBeNull();
  });

  it('one before the run\'s end: held at its cursor, floored to the second and kept inside the window', () => {
    expect(holdBackCursor(w, { holdBackCursor: '2024-03-10 12:00:00' }, runEnd, asUtc)).toBe(T('2024-03-10T12:00:00Z'));
    expect(holdBackCursor(w, { holdBackCursor: '2024-05-10 12:00:00' }, runEnd, asUtc)).toBe(w.end);
    expect(holdBackCursor(w, { holdBackCursor: 'not a time' }, runEnd, () => NaN)).toBe(w.start);
  });
});

describe('droppableField', () => {
  const stream = { cursorField: 'updatedAt' as const };
  const refused = (field: string) => new ConnectorError('PARDOT_INVALID_FIELD', 'refused', { context: { field } });
  const fields = [{ name: 'id' }, { name: 'updatedAt' }, { name: 'email' }];
  it('a field the request named, not the key or the cursor, may be dropped', () => {
    expect(droppableField(refused('email'), stream, fields)).toBe('email');
    expect(droppableField(refused('id'), stream, fields)).toBeNull();
    expect(droppableField(refused('updatedAt'), stream, fields)).toBeNull();
    expect(droppableField(refused('phone'), stream, fields)).toBeNull();
    expect(droppableField(new ConnectorError('PARDOT_BAD_REQUEST', 'x', { context: { field: 'email' } }), stream, fields)).toBeNull();
    expect(droppableField(new Error('email'), stream, fields)).toBeNull();
  });
});

