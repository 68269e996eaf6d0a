import { describe, expect, it } from 'vitest';
import { nextDailyReset } from '../src/pardot/http.js';

const t = (s: string) => Date.parse(s);

describe('nextDailyReset (when the daily-limit message says the budget comes back)', () => {
  it('is the next midnight in the account timezone', () => {
    const r = nextDailyReset(t('2024-06-01T12:00:00Z'), 'America/Los_Angeles');
    expect(new Date(r.at).toISOString()).toBe('2024-06-02T07:00:00.000Z');
    expect(r.phrase).toBe('2024-06-02 00:00 America/Los_Angeles, 2024-06-02T07:00:00Z');
  });

  it('uses the offset in force at that midnight, not the current one, across a DST change', () => {
    // 23:00 EDT on 2024-11-02; the clocks fall back at 02:00 on 11-03, midnight is still EDT.
    expect(new Date(nextDailyReset(t('2024-11-03T03:00:00Z'), 'America/New_York').at).toISOString()).toBe('2024-11-03T04:00:00.000Z');
    // 23:00 EST on 2024-03-09: the next midnight (03-10 00:00) is EST, before the 02:00 change.
    expect(new Date(nextDailyReset(t('2024-03-10T04:00:00Z'), 'America/New_York').at).toISOString()).toBe('2024-03-10T05:00:00.000Z');
  });

  it('falls back to UTC, and says so, when the timezone is unknown', () => {
    const r = nextDailyReset(t('2024-06-01T12:00:00Z'));
    expect(new Date(r.at).toISOString()).toBe('2024-06-02T00:00:00.000Z');
    expect(r.phrase).toMatch(/UTC assumed/);
  });
});
