/**
 * The input checks and small helpers of src/extract/timezone.ts, pinned one position and one
 * boundary at a time (test/extract-timezone.test.ts covers the DST rule over whole years).
 *
 * The module caches offsets per zone and wall-clock day, and vitest gives each test file a fresh
 * copy of the module. A day's entry is computed once, by the first test that reads the day, so the
 * tests below that pin the day-entry computation (DST hours, BC years, rounded old offsets) each
 * read days that no earlier test of this file reads. Every expected value is a literal taken from
 * the tz database's rules, or an independent Date/ISO computation.
 */
import { describe, expect, it } from 'vitest';
import {
  createOffsetLookup,
  createWallTimeConverter,
  createWallTimeReader,
  daysInMonth,
  isValidTimeZone,
  offsetMinutesAt,
  offsetTextMs,
  wallToMs,
} from '../src/extract/timezone.js';

describe('isValidTimeZone: input that is not a non-empty string', () => {
  it('is false for empty text (Intl would reject it too)', () => {
    expect(isValidTimeZone('')).toBe(false);
  });
  it('is false, without throwing, for undefined, null and a number (Intl would take undefined as the local zone)', () => {
    for (const v of [undefined, null, 42]) {
      expect(isValidTimeZone(v as unknown as string), String(v)).toBe(false);
    }
  });
});

describe('daysInMonth: Gregorian leap years', () => {
  it('gives February 28 days in 1900 and 2100 (divisible by 100, not by 400) and 2023', () => {
    expect(daysInMonth(1900, 2)).toBe(28);
    expect(daysInMonth(2100, 2)).toBe(28);
    expect(daysInMonth(2023, 2)).toBe(28);
  });
  it('gives February 29 days in 2000 (divisible by 400) and 2024', () => {
    expect(daysInMonth(2000, 2)).toBe(29);
    expect(daysInMonth(2024, 2)).toBe(29);
  });
  it('gives the fixed lengths of the other months', () => {
    expect(daysInMonth(1900, 1)).toBe(31);
    expect(daysInMonth(2000, 4)).toBe(30);
    expect(daysInMonth(2024, 12)).toBe(31);
  });
  it('the converter rejects 29 February 1900 and accepts 29 February 2000', () => {
    const utc = createWallTimeConverter('UTC');
    expect(utc('1900-02-29')).toBeNull();
    expect(utc('1900-02-29 12:00:00')).toBeNull();
    expect(utc('2000-02-29 12:00:00')).toBe('2000-02-29T12:00:00+00:00');
  });
});

describe('offsetTextMs: reads ±HH:MM', () => {
  it.each([
    ['+05:30', 0, 19_800_000], // 330 min
    ['+12:45', 0, 45_900_000], // 765 min: each digit position weighs differently
    ['+10:59', 0, 39_540_000], // 659 min
    ['-03:00', 0, -10_800_000],
    ['-09:30', 0, -34_200_000],
    ['+00:00', 0, 0],
    ['+05:45', 0, 20_700_000],
    ['-04:00-05:00', 6, -18_000_000], // the later offset of a repeated wall time
    ['-04:00+10:30', 6, 37_800_000],
  ] as const)('%s from %i is %i ms', (text, at, want) => {
    expect(offsetTextMs(text, at)).toBe(want);
  });
});

describe('wallToMs: the wall time taken as UTC, years 0-99 included', () => {
  it('gives the epoch milliseconds of an ordinary date', () => {
    expect(wallToMs(2024, 1, 1, 0, 0, 0)).toBe(1_704_067_200_000);
    expect(wallToMs(2024, 3, 10, 2, 30, 15)).toBe(Date.parse('2024-03-10T02:30:15Z'));
  });
  it('keeps years below 100 as themselves (Date.UTC alone would read 50 as 1950)', () => {
    expect(wallToMs(50, 3, 15, 6, 7, 8)).toBe(Date.parse('0050-03-15T06:07:08Z'));
    expect(wallToMs(99, 12, 31, 23, 59, 59)).toBe(Date.parse('0099-12-31T23:59:59Z'));
    expect(wallToMs(0, 6, 15, 12, 0, 0)).toBe(Date.parse('0000-06-15T12:00:00Z'));
  });
  it('year 100 is the first year Date.UTC takes as is', () => {
    expect(wallToMs(100, 1, 1, 0, 0, 0)).toBe(Date.parse('0100-01-01T00:00:00Z'));
    expect(wallToMs(100, 7, 4, 8, 9, 10)).toBe(Date.parse('0100-07-04T08:09:10Z'));
  });
});

describe('createWallTimeConverter: each character of the text is checked', () => {
  const utc = createWallTimeConverter('UTC');

  it('rejects a non-digit in each of the four year positions, below "0" and above "9"', () => {
    for (let i = 0; i < 4; i++) {
      for (const c of ['/', ' ', ':', 'a']) {
        const wall = `${'2024'.slice(0, i)}${c}${'2024'.slice(i + 1)}-06-15 12:00:00`;
        expect(utc(wall), wall).toBeNull();
        const dateOnly = wall.slice(0, 10);
        expect(utc(dateOnly), dateOnly).toBeNull();
      }
    }
  });

  it('accepts the digits 0 and 9 in the first year position', () => {
    expect(utc('0999-06-15 12:00:00')).toBe('0999-06-15T12:00:00+00:00');
    expect(utc('9999-12-31 23:59:59')).toBe('9999-12-31T23:59:59+00:00');
    expect(utc('1999-01-01')).toBe('1999-01-01T00:00:00+00:00');
  });

  it('rejects a wrong date separator at position 4 or position 7 alone', () => {
    for (const wall of ['2024x06-15', '2024-06x15', '2024/06-15 12:00:00', '2024-06/15 12:00:00', '2024 06-15', '2024-06 15']) {
      expect(utc(wall), wall).toBeNull();
    }
  });

  it('rejects a separator other than a space or T between date and time', () => {
    for (const wall of ['2024-06-15x12:00:00', '2024-06-15_12:00:00', '2024-06-15t12:00:00', '2024-06-15-12:00:00']) {
      expect(utc(wall), wall).toBeNull();
    }
    expect(utc('2024-06-15 12:00:00')).toBe('2024-06-15T12:00:00+00:00');
    expect(utc('2024-06-15T12:00:00')).toBe('2024-06-15T12:00:00+00:00');
  });

  it('rejects a wrong time separator at position 13 or position 16 alone', () => {
    for (const wall of ['2024-06-15 12x00:00', '2024-06-15 12:00x00', '2024-06-15 12.00:00', '2024-06-15 12:00.00']) {
      expect(utc(wall), wall).toBeNull();
    }
  });

  it('rejects a non-digit in either digit of month, day, hour, minute or second', () => {
    const good = '2024-06-15 12:34:56';
    // Digit positions of MM, DD, HH, mm, ss. '/' is just below '0', ':' just above '9'; with a
    // valid other digit these would read as an in-range number (e.g. '1/' as 9, '0:' as 10, '0a' as 49).
    for (const i of [5, 6, 8, 9, 11, 12, 14, 15, 17, 18]) {
      for (const c of ['/', ':', 'a', ' ']) {
        const wall = good.slice(0, i) + c + good.slice(i + 1);
        expect(utc(wall), wall).toBeNull();
      }
    }
    for (const wall of ['2024-1/-15', '2024-0:-15', '2024-06-1/', '2024-06-1:', '2024-06-15 1/:00:00', '2024-06-15 0a:00:00',
      '2024-06-15 10:0a:00', '2024-06-15 10:1/:00', '2024-06-15 10:00:0a', '2024-06-15 10:00:1/', '2024-06-15 10:00:0:']) {
      expect(utc(wall), wall).toBeNull();
    }
  });

  it('rejects out-of-range fields: month 0 and 13, day 0 and 32, hour 24, minute and second 60', () => {
    for (const wall of ['2024-00-15', '2024-13-15', '2024-06-00', '2024-06-00 12:00:00', '2024-01-32', '2024-06-15 24:00:00',
      '2024-06-15 12:60:00', '2024-06-15 12:00:60', '2024-06-15 -1:00:00']) {
      expect(utc(wall), wall).toBeNull();
    }
    expect(utc('2024-12-31 23:59:59')).toBe('2024-12-31T23:59:59+00:00');
    expect(utc('2024-01-01 00:00:00')).toBe('2024-01-01T00:00:00+00:00');
  });

  it('rejects day 32 even when the next month\'s first day is already cached (their day keys meet)', () => {
    const ny = createWallTimeConverter('America/New_York');
    expect(ny('2024-02-01 10:00:00')).toBe('2024-02-01T10:00:00-05:00');
    expect(ny('2024-01-32 10:00:00')).toBeNull();
    expect(ny('2024-07-01 10:00:00')).toBe('2024-07-01T10:00:00-04:00');
    expect(ny('2024-06-32 10:00:00')).toBeNull();
  });

  it('rejects a fraction not introduced by "." or holding a non-digit', () => {
    for (const wall of ['2024-06-15 12:00:00,5', '2024-06-15 12:00:00:50', '2024-06-15 12:00:00 123', '2024-06-15 12:00:00.1/',
      '2024-06-15 12:00:00./', '2024-06-15 12:00:00.:', '2024-06-15 12:00:00.12a', '2024-06-15 12:00:00.-1']) {
      expect(utc(wall), wall).toBeNull();
    }
  });

  it('keeps a fraction of any digits, 0 and 9 included', () => {
    expect(utc('2024-06-15 12:00:00.0')).toBe('2024-06-15T12:00:00.0+00:00');
    expect(utc('2024-06-15 12:00:00.9')).toBe('2024-06-15T12:00:00.9+00:00');
    expect(utc('2024-06-15 12:00:00.0123456789')).toBe('2024-06-15T12:00:00.0123456789+00:00');
    expect(utc('2024-06-15T12:00:00.50')).toBe('2024-06-15T12:00:00.50+00:00');
  });
});

describe('offsets as text: minutes and hours below and at 10, negative offsets', () => {
  it('writes Khartoum local mean time (+2:10:08 until 1931) as +02:10', () => {
    expect(createWallTimeConverter('Africa/Khartoum')('1920-06-15 12:00:00')).toBe('1920-06-15T12:00:00+02:10');
  });
  it('writes Noronha local mean time (-2:09:40 until 1914) as -02:10', () => {
    expect(createWallTimeConverter('America/Noronha')('1900-06-15 12:00:00')).toBe('1900-06-15T12:00:00-02:10');
  });
  it('writes Paris mean time (+0:09:21 until 1911) as +00:09', () => {
    expect(createWallTimeConverter('Europe/Paris')('1900-06-15 12:00:00')).toBe('1900-06-15T12:00:00+00:09');
  });
  it('writes St Johns standard time -03:30, Kathmandu +05:45 and Honolulu -10:00', () => {
    expect(createWallTimeConverter('America/St_Johns')('2024-01-15 12:00:00')).toBe('2024-01-15T12:00:00-03:30');
    expect(createWallTimeConverter('America/St_Johns')('2024-07-15 12:00:00')).toBe('2024-07-15T12:00:00-02:30');
    expect(createWallTimeConverter('Asia/Kathmandu')('2024-07-15 12:00:00')).toBe('2024-07-15T12:00:00+05:45');
    expect(createWallTimeConverter('Pacific/Honolulu')('2024-07-15 12:00:00')).toBe('2024-07-15T12:00:00-10:00');
    expect(createWallTimeConverter('Pacific/Kiritimati')('2024-07-15 12:00:00')).toBe('2024-07-15T12:00:00+14:00');
  });
});

describe('year 0 (1 BC) and years below 100', () => {
  it('reads year 0000 in UTC with offset +00:00 (Intl names it 1 BC)', () => {
    const utc = createWallTimeConverter('UTC');
    expect(utc('0000-06-15 12:00:00')).toBe('0000-06-15T12:00:00+00:00');
    expect(utc('0000-01-01')).toBe('0000-01-01T00:00:00+00:00');
    expect(utc('0001-01-01')).toBe('0001-01-01T00:00:00+00:00');
  });
  it('gives offset 0 minutes for UTC at an instant of 1 BC', () => {
    expect(offsetMinutesAt('UTC', Date.parse('0000-03-01T00:00:00Z'))).toBe(0);
  });
  it('reads year 0000 and year 0050 in New York with its local mean time (-4:56:02), not with a modern offset', () => {
    const ny = createWallTimeConverter('America/New_York');
    expect(ny('0000-07-04 12:00:00')).toBe('0000-07-04T12:00:00-04:56');
    expect(ny('0050-07-04 12:00:00')).toBe('0050-07-04T12:00:00-04:56');
    expect(ny('0099-07-04')).toBe('0099-07-04T00:00:00-04:56');
  });
});

describe('days with an offset change: the per-hour entries', () => {
  it('Lord Howe, 2024-10-06 (02:00 +10:30 -> 02:30 +11:00): the hour holding the change is read to the second', () => {
    const lh = createWallTimeConverter('Australia/Lord_Howe');
    expect(lh('2024-10-06 02:45:00')).toBe('2024-10-06T02:45:00+11:00');
    expect(lh('2024-10-06 02:10:00')).toBe('2024-10-06T02:10:00+10:30');
    expect(lh('2024-10-06 01:45:00')).toBe('2024-10-06T01:45:00+10:30');
    expect(lh('2024-10-06 03:15:00')).toBe('2024-10-06T03:15:00+11:00');
  });

  it('Chatham, 2024-09-29 (02:45 +12:45 -> 03:45 +13:45): 03:50 has the new offset, 03:10 (in the gap) the old', () => {
    const ch = createWallTimeConverter('Pacific/Chatham');
    expect(ch('2024-09-29 03:50:00')).toBe('2024-09-29T03:50:00+13:45');
    expect(ch('2024-09-29 03:10:00')).toBe('2024-09-29T03:10:00+12:45');
    expect(ch('2024-09-29 02:30:00')).toBe('2024-09-29T02:30:00+12:45');
    expect(ch('2024-09-29 04:00:00')).toBe('2024-09-29T04:00:00+13:45');
  });

  it('Havana, 2024-11-03 (01:00 -04:00 -> 00:00 -05:00): the day starts with repeated wall times', () => {
    const lookup = createOffsetLookup('America/Havana');
    expect(lookup(2024, 11, 3, 0, 0, 0)).toBe('-04:00-05:00');
    expect(lookup(2024, 11, 3, 0, 30, 0)).toBe('-04:00-05:00');
    expect(lookup(2024, 11, 3, 1, 0, 0)).toBe('-05:00');
    expect(lookup(2024, 11, 3, 12, 0, 0)).toBe('-05:00');
    expect(createWallTimeConverter('America/Havana')('2024-11-03 00:30:00')).toBe('2024-11-03T00:30:00-04:00');
    expect(lookup(2024, 11, 2, 23, 59, 59)).toBe('-04:00');
  });

  it('New York, the day after the spring-forward (2024-03-11): one offset, never two', () => {
    const lookup = createOffsetLookup('America/New_York');
    expect(lookup(2024, 3, 11, 12, 0, 0)).toBe('-04:00');
    expect(lookup(2024, 3, 11, 0, 0, 0)).toBe('-04:00');
    expect(lookup(2024, 3, 11, 23, 59, 59)).toBe('-04:00');
    const read = createWallTimeReader('America/New_York');
    expect(read('2024-11-04 12:00:00')).toBe('2024-11-04T12:00:00-05:00');
    expect(read('2024-11-04 23:30:00')).toBe('2024-11-04T23:30:00-05:00');
  });
});
