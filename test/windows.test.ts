import { describe, expect, it } from 'vitest';
import { DAY, describeWindow, maxWindowMs, planWindows, toCursor, toPardotArg, windowArgs } from '../src/sync/windows.js';
import { MAX_EXPORT_SPAN_MS } from '../src/pardot/wire.js';

const t = (s: string) => Date.parse(s);

describe('planWindows', () => {
  it('covers [from, to) with contiguous windows of at most windowDays', () => {
    const ws = planWindows(t('2024-01-01T00:00:00Z'), t('2024-03-15T12:00:00Z'), 30);
    expect(ws.map((w) => [toCursor(w.start), toCursor(w.end)])).toEqual([
      ['2024-01-01T00:00:00Z', '2024-01-31T00:00:00Z'],
      ['2024-01-31T00:00:00Z', '2024-03-01T00:00:00Z'],
      ['2024-03-01T00:00:00Z', '2024-03-15T12:00:00Z'],
    ]);
    for (let i = 1; i < ws.length; i++) expect(ws[i]!.start).toBe(ws[i - 1]!.end);
  });

  it('returns no window when from is at or after to (cursor in the future)', () => {
    expect(planWindows(t('2030-01-01T00:00:00Z'), t('2024-01-01T00:00:00Z'), 30)).toEqual([]);
    expect(planWindows(t('2024-01-01T00:00:00Z'), t('2024-01-01T00:00:00Z'), 30)).toEqual([]);
  });

  it('floors bounds to whole seconds, Pardot resolution', () => {
    const [w] = planWindows(t('2024-01-01T00:00:00.900Z'), t('2024-01-02T00:00:00.500Z'), 30);
    expect(w).toEqual({ start: t('2024-01-01T00:00:00Z'), end: t('2024-01-02T00:00:00Z') });
  });

  it('never lets the after..before span exceed 364 days (+1 s), even with window_days 365: a DST day cannot push it past a year', () => {
    const ws = planWindows(t('2020-01-01T00:00:00Z'), t('2024-01-01T00:00:00Z'), 365);
    for (const w of ws) {
      const { after, before } = windowArgs(w);
      expect(Date.parse(before) - Date.parse(after)).toBeLessThanOrEqual(MAX_EXPORT_SPAN_MS);
    }
    expect(maxWindowMs(365)).toBe(364 * DAY);
    expect(maxWindowMs(364)).toBe(364 * DAY);
    expect(maxWindowMs(30)).toBe(30 * DAY);
    expect(ws.length).toBe(5);
  });
});

describe('windowArgs', () => {
  it('sends after = start - 1 s and before = end, with an explicit offset', () => {
    expect(windowArgs({ start: t('2024-01-01T00:00:00Z'), end: t('2024-02-01T00:00:00Z') })).toEqual({
      after: '2023-12-31T23:59:59+00:00',
      before: '2024-02-01T00:00:00+00:00',
    });
  });

  it('gives every whole second to exactly one of two adjacent windows under strict after < t < before', () => {
    const [a, b] = planWindows(t('2024-01-01T00:00:00Z'), t('2024-01-03T00:00:00Z'), 1);
    const inWindow = (w: typeof a, ts: number) => {
      const { after, before } = windowArgs(w!);
      return Date.parse(after) < ts && ts < Date.parse(before);
    };
    for (const ts of [t('2024-01-01T00:00:00Z'), t('2024-01-01T23:59:59Z'), t('2024-01-02T00:00:00Z'), t('2024-01-02T00:00:01Z'), t('2024-01-02T23:59:59Z')]) {
      expect(Number(inWindow(a, ts)) + Number(inWindow(b, ts))).toBe(1);
    }
  });
});

describe('toCursor, toPardotArg and describeWindow', () => {
  it('write whole-second instants in UTC, with milliseconds only when there are some', () => {
    expect(toCursor(t('2024-05-06T07:08:09Z'))).toBe('2024-05-06T07:08:09Z');
    expect(toCursor(t('2024-05-06T07:08:09.250Z'))).toBe('2024-05-06T07:08:09.250Z');
    expect(toPardotArg(t('2024-05-06T07:08:09Z'))).toBe('2024-05-06T07:08:09+00:00');
    expect(describeWindow({ start: t('2024-01-01T00:00:00Z'), end: t('2024-02-01T12:00:00Z') })).toBe('2024-01-01T00:00:00Z..2024-02-01T12:00:00Z');
  });
});
