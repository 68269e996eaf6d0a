import { describe, expect, it } from 'vitest';
import { createOffsetLookup, createWallTimeConverter, isValidTimeZone, offsetMinutesAt } from '../src/extract/timezone.js';

/** The wall time of an instant in `tz`, as Pardot writes it (`YYYY-MM-DD HH:mm:ss`). */
const fmts = new Map<string, Intl.DateTimeFormat>();
function wallOf(tz: string, epochMs: number): string {
  let f = fmts.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
    timeZone: tz,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    });
    fmts.set(tz, f);
  }
  const parts = f.formatToParts(epochMs);
  const g = (t: string): string => parts.find((p) => p.type === t)!.value;
  return `${g('year').padStart(4, '0')}-${g('month')}-${g('day')} ${g('hour')}:${g('minute')}:${g('second')}`;
}

/**
 * The oracle for offsets, independent of offsetMinutesAt (which compares a formatted wall time to
 * the instant): Intl's own `longOffset` name ("GMT-04:00", "GMT" for zero), parsed.
 */
const longOffsets = new Map<string, Intl.DateTimeFormat>();
function oracleOffsetMinutes(tz: string, epochMs: number): number {
  let f = longOffsets.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, timeZoneName: 'longOffset' });
    longOffsets.set(tz, f);
  }
  const name = f.formatToParts(epochMs).find((p) => p.type === 'timeZoneName')!.value;
  const m = /^GMT(?:([+-])(\d\d):(\d\d)(?::(\d\d))?)?$/.exec(name);
  if (!m) throw new Error(`unexpected offset name ${name}`);
  if (m[1] === undefined) return 0;
  const mins = Number(m[2]) * 60 + Number(m[3]) + Number(m[4] ?? 0) / 60;
  return Math.round(m[1] === '-' ? -mins : mins);
}

describe('isValidTimeZone', () => {
  it('accepts IANA names and UTC', () => {
    for (const tz of ['America/New_York', 'Europe/London', 'UTC', 'Asia/Kolkata', 'Pacific/Chatham']) {
      expect(isValidTimeZone(tz)).toBe(true);
    }
  });
  it('rejects unknown zone names and empty text', () => {
    expect(isValidTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(isValidTimeZone('')).toBe(false);
    expect(isValidTimeZone('EST5EDT6')).toBe(false);
  });
  it('answers as Intl.DateTimeFormat does: every zone ICU lists (its fast path), aliases and other spellings (Intl decides)', () => {
    const intlAccepts = (tz: string) => {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    };
    const listed = Intl.supportedValuesOf('timeZone');
    expect(listed.length).toBeGreaterThan(300);
    for (const tz of listed) expect(intlAccepts(tz), tz).toBe(true);
    for (const tz of [...listed, 'US/Eastern', 'Etc/GMT+5', 'utc', 'america/new_york', 'Asia/Calcutta', 'GMT', 'Mars/Base', 'America/', ' UTC']) {
      expect(isValidTimeZone(tz), tz).toBe(intlAccepts(tz));
    }
  });
  it('createWallTimeConverter throws for an invalid zone name', () => {
    expect(() => createWallTimeConverter('Not/AZone')).toThrow(RangeError);
  });
});

describe('offsetMinutesAt', () => {
  it('gives -420 for Los Angeles in summer and -480 in winter', () => {
    expect(offsetMinutesAt('America/Los_Angeles', Date.UTC(2024, 6, 1))).toBe(-420);
    expect(offsetMinutesAt('America/Los_Angeles', Date.UTC(2024, 0, 1))).toBe(-480);
  });
  it('gives half-hour and 45-minute offsets', () => {
    expect(offsetMinutesAt('Asia/Kolkata', Date.UTC(2024, 0, 1))).toBe(330);
    expect(offsetMinutesAt('Pacific/Chatham', Date.UTC(2024, 6, 1))).toBe(765);
    expect(offsetMinutesAt('Pacific/Chatham', Date.UTC(2024, 0, 1))).toBe(825);
    expect(offsetMinutesAt('UTC', Date.UTC(2024, 0, 1))).toBe(0);
  });

  // Hand-written: the last second before each 2024 change and the change itself (tz database).
  it.each([
    ['America/New_York', '2024-03-10T06:59:59Z', -300],
    ['America/New_York', '2024-03-10T07:00:00Z', -240],
    ['America/New_York', '2024-11-03T05:59:59Z', -240],
    ['America/New_York', '2024-11-03T06:00:00Z', -300],
    ['Europe/Berlin', '2024-03-31T00:59:59Z', 60],
    ['Europe/Berlin', '2024-03-31T01:00:00Z', 120],
    ['Europe/Berlin', '2024-10-27T00:59:59Z', 120],
    ['Europe/Berlin', '2024-10-27T01:00:00Z', 60],
    ['Asia/Kolkata', '2024-07-01T00:00:00Z', 330],
    ['Australia/Lord_Howe', '2024-04-06T14:59:59Z', 660],
    ['Australia/Lord_Howe', '2024-04-06T15:00:00Z', 630],
    ['Australia/Lord_Howe', '2024-10-05T15:29:59Z', 630],
    ['Australia/Lord_Howe', '2024-10-05T15:30:00Z', 660],
    ['Pacific/Chatham', '2024-04-06T13:59:59Z', 825],
    ['Pacific/Chatham', '2024-04-06T14:00:00Z', 765],
    ['America/Santiago', '2024-04-07T02:59:59Z', -180],
    ['America/Santiago', '2024-04-07T03:00:00Z', -240],
  ])('%s at %s is %i minutes', (tz, iso, want) => {
    expect(offsetMinutesAt(tz, Date.parse(iso))).toBe(want);
  });
});

describe('createOffsetLookup: a repeated wall time gets both offsets (earlier instant first)', () => {
  it.each([
    // America/New_York falls back at 02:00 EDT to 01:00 EST on 2024-11-03: 01:00-01:59:59 repeats.
    ['America/New_York', [2024, 11, 3, 0, 59, 59], '-04:00'],
    ['America/New_York', [2024, 11, 3, 1, 0, 0], '-04:00-05:00'],
    ['America/New_York', [2024, 11, 3, 1, 30, 0], '-04:00-05:00'],
    ['America/New_York', [2024, 11, 3, 1, 59, 59], '-04:00-05:00'],
    ['America/New_York', [2024, 11, 3, 2, 0, 0], '-05:00'],
    // A spring-forward gap names no instant twice: one offset.
    ['America/New_York', [2024, 3, 10, 2, 30, 0], '-05:00'],
    // Lord Howe falls back half an hour at 02:00 (+11:00) on 2024-04-07: 01:30-01:59:59 repeats.
    ['Australia/Lord_Howe', [2024, 4, 7, 1, 29, 59], '+11:00'],
    ['Australia/Lord_Howe', [2024, 4, 7, 1, 30, 0], '+11:00+10:30'],
    ['Australia/Lord_Howe', [2024, 4, 7, 1, 59, 59], '+11:00+10:30'],
    ['Australia/Lord_Howe', [2024, 4, 7, 2, 0, 0], '+10:30'],
    // Santiago falls back at midnight (24:00 -03:00 -> 23:00 -04:00): 23:00-23:59:59 of 2024-04-06 repeats.
    ['America/Santiago', [2024, 4, 6, 22, 59, 59], '-03:00'],
    ['America/Santiago', [2024, 4, 6, 23, 0, 0], '-03:00-04:00'],
    ['America/Santiago', [2024, 4, 6, 23, 59, 59], '-03:00-04:00'],
    ['America/Santiago', [2024, 4, 7, 0, 0, 0], '-04:00'],
    ['Europe/Berlin', [2024, 10, 27, 2, 30, 0], '+02:00+01:00'],
    ['Asia/Kolkata', [2024, 10, 27, 2, 30, 0], '+05:30'],
  ] as const)('%s %j -> %s', (tz, [y, mo, d, h, mi, s], want) => {
    expect(createOffsetLookup(tz)(y, mo, d, h, mi, s)).toBe(want);
  });

  it.each(['America/New_York', 'Australia/Lord_Howe', 'America/Santiago', 'Europe/Berlin', 'Africa/Casablanca', 'Pacific/Chatham'])(
    'in %s, around every change of 2023-2024, exactly the wall times that two instants show get two offsets',
    (tz) => {
      const lookup = createOffsetLookup(tz);
      const failures: string[] = [];
      let repeated = 0;
      for (let t = Date.UTC(2023, 0, 1); t < Date.UTC(2025, 0, 1); t += 3_600_000) {
        if (oracleOffsetMinutes(tz, t) === oracleOffsetMinutes(tz, t + 3_600_000)) continue;
        // A change within the hour after t: every 61 s from 3 hours before to 4 hours after.
        for (let u = t - 3 * 3_600_000; u < t + 4 * 3_600_000; u += 61_000) {
          const wall = wallOf(tz, u);
          // The oracle: another instant 30 or 60 minutes away (these zones' changes) shows the same wall time.
          const twice = [-60, -30, 30, 60].some((k) => wallOf(tz, u + k * 60_000) === wall);
          const [y, mo, d, h, mi, sec] = wall.split(/[- :]/).map(Number) as [number, number, number, number, number, number];
          const off = lookup(y, mo, d, h, mi, sec);
          if ((off?.length === 12) !== twice) failures.push(`${wall}: ${off} (${twice ? 'repeated' : 'once'})`);
          if (twice) repeated++;
        }
      }
      expect(failures).toEqual([]);
      expect(repeated).toBeGreaterThan(0);
    },
  );

  it("the converter keeps the rule's answer (the earlier instant) for those", () => {
    expect(createWallTimeConverter('America/Santiago')('2024-04-06 23:30:00')).toBe('2024-04-06T23:30:00-03:00');
    expect(createWallTimeConverter('Australia/Lord_Howe')('2024-04-07 01:45:00')).toBe('2024-04-07T01:45:00+11:00');
  });
});

describe('createWallTimeConverter', () => {
  it('writes the offset in force at ordinary times', () => {
    const ny = createWallTimeConverter('America/New_York');
    expect(ny('2024-03-10 01:30:00')).toBe('2024-03-10T01:30:00-05:00');
    expect(ny('2024-07-04 12:00:00')).toBe('2024-07-04T12:00:00-04:00');
  });

  it('writes UTC as +00:00', () => {
    expect(createWallTimeConverter('UTC')('2024-01-02 03:04:05')).toBe('2024-01-02T03:04:05+00:00');
  });

  it('reads date-only text as midnight and keeps a fractional part', () => {
    const ny = createWallTimeConverter('America/New_York');
    expect(ny('2024-02-29')).toBe('2024-02-29T00:00:00-05:00');
    expect(ny('2024-01-01 12:00:00.123')).toBe('2024-01-01T12:00:00.123-05:00');
    expect(ny('2024-01-01T12:00:00')).toBe('2024-01-01T12:00:00-05:00');
  });

  it('returns null for text that is not a valid date-time', () => {
    const ny = createWallTimeConverter('America/New_York');
    for (const bad of [
      '',
      'yesterday',
      '2024-13-01 00:00:00',
      '2024-00-01 00:00:00',
      '2024-02-30 00:00:00',
      '2023-02-29',
      '2024-04-31',
      '2024-01-01 24:00:00',
      '2024-01-01 23:60:00',
      '2024-01-01 23:59:60',
      '2024-01-01 1:00:00',
      '2024/01/01 10:00:00',
      '2024-01-01 10:00:00Z',
      '2024-01-01 10:00:00.',
      '2024-01-01 10:00:00.1x',
      '2024-01-01 10-00-00',
      '2024-1-01',
      ' 2024-01-01',
    ]) {
      expect(ny(bad), bad).toBeNull();
    }
    // A valid day seen first, then an invalid one in a cached hour of another month: still null.
    expect(ny('2024-04-30 10:00:00')).not.toBeNull();
    expect(ny('2024-04-31 10:00:00')).toBeNull();
  });

  it('reads a wall time in a spring-forward gap with the offset in force before the gap', () => {
    const ny = createWallTimeConverter('America/New_York');
    expect(ny('2024-03-10 01:59:59')).toBe('2024-03-10T01:59:59-05:00');
    expect(ny('2024-03-10 02:00:00')).toBe('2024-03-10T02:00:00-05:00');
    expect(ny('2024-03-10 02:30:00')).toBe('2024-03-10T02:30:00-05:00');
    expect(ny('2024-03-10 02:59:59')).toBe('2024-03-10T02:59:59-05:00');
    expect(ny('2024-03-10 03:00:00')).toBe('2024-03-10T03:00:00-04:00');
    // Same instant as Temporal's 'compatible': 02:30-05:00 is 03:30-04:00.
    expect(Date.parse('2024-03-10T02:30:00-05:00')).toBe(Date.parse('2024-03-10T03:30:00-04:00'));
    const london = createWallTimeConverter('Europe/London');
    expect(london('2024-03-31 01:30:00')).toBe('2024-03-31T01:30:00+00:00');
    expect(london('2024-03-31 02:00:00')).toBe('2024-03-31T02:00:00+01:00');
  });

  it('reads a repeated wall time in a fall-back overlap as the earlier instant', () => {
    const ny = createWallTimeConverter('America/New_York');
    expect(ny('2024-11-03 00:59:59')).toBe('2024-11-03T00:59:59-04:00');
    expect(ny('2024-11-03 01:00:00')).toBe('2024-11-03T01:00:00-04:00');
    expect(ny('2024-11-03 01:30:00')).toBe('2024-11-03T01:30:00-04:00');
    expect(ny('2024-11-03 01:59:59')).toBe('2024-11-03T01:59:59-04:00');
    expect(ny('2024-11-03 02:00:00')).toBe('2024-11-03T02:00:00-05:00');
    const london = createWallTimeConverter('Europe/London');
    expect(london('2024-10-27 01:30:00')).toBe('2024-10-27T01:30:00+01:00');
  });

  it('handles Lord Howe 30-minute DST inside the transition hour, to the second', () => {
    const lh = createWallTimeConverter('Australia/Lord_Howe');
    // Spring forward 2024-10-06 02:00 +10:30 -> 02:30 +11:00: gap 02:00-02:30.
    expect(lh('2024-10-06 01:59:59')).toBe('2024-10-06T01:59:59+10:30');
    expect(lh('2024-10-06 02:15:00')).toBe('2024-10-06T02:15:00+10:30');
    expect(lh('2024-10-06 02:29:59')).toBe('2024-10-06T02:29:59+10:30');
    expect(lh('2024-10-06 02:30:00')).toBe('2024-10-06T02:30:00+11:00');
    // Fall back 2024-04-07 02:00 +11:00 -> 01:30 +10:30: 01:30-02:00 repeats.
    expect(lh('2024-04-07 01:29:59')).toBe('2024-04-07T01:29:59+11:00');
    expect(lh('2024-04-07 01:45:00')).toBe('2024-04-07T01:45:00+11:00');
    expect(lh('2024-04-07 01:59:59')).toBe('2024-04-07T01:59:59+11:00');
    expect(lh('2024-04-07 02:00:00')).toBe('2024-04-07T02:00:00+10:30');
  });

  it('writes half-hour and 45-minute offsets', () => {
    expect(createWallTimeConverter('Asia/Kolkata')('2024-05-01 09:00:00')).toBe('2024-05-01T09:00:00+05:30');
    const chatham = createWallTimeConverter('Pacific/Chatham');
    expect(chatham('2024-07-01 09:00:00')).toBe('2024-07-01T09:00:00+12:45');
    expect(chatham('2024-01-01 09:00:00')).toBe('2024-01-01T09:00:00+13:45');
    expect(createWallTimeConverter('Asia/Kathmandu')('2024-01-01 00:00:00')).toBe('2024-01-01T00:00:00+05:45');
  });

  it('handles a zone whose gap starts at midnight (date-only text on that day)', () => {
    // America/Havana sprang forward at 00:00 -> 01:00 on 2024-03-10.
    const havana = createWallTimeConverter('America/Havana');
    expect(havana('2024-03-10')).toBe('2024-03-10T00:00:00-05:00');
    expect(havana('2024-03-10 01:00:00')).toBe('2024-03-10T01:00:00-04:00');
  });

  const ZONES = [
    'America/New_York',
    'America/Los_Angeles',
    'Europe/London',
    'Australia/Lord_Howe',
    'Asia/Kolkata',
    'Pacific/Chatham',
    'UTC',
    'America/Sao_Paulo',
    'Africa/Casablanca',
  ];
  for (const tz of ZONES) {
    it(`round-trips the wall time of every hour (and half hour) of 2023-2024 in ${tz}`, () => {
      const conv = createWallTimeConverter(tz);
      const start = Date.UTC(2023, 0, 1);
      const end = Date.UTC(2025, 0, 1);
      let checked = 0;
      const failures: string[] = [];
      for (let t = start; t < end; t += 1_800_000 + 17_000) {
        const wall = wallOf(tz, t);
        const rfc = conv(wall);
        checked++;
        if (rfc === null) {
          failures.push(`${wall} -> null`);
          continue;
        }
        const back = Date.parse(rfc);
        // The instant we give back has the same wall time (overlap: may be the other occurrence),
        // the text keeps the wall time and the offset written is the one in force at that instant.
        if (
          wallOf(tz, back) !== wall ||
          rfc.slice(0, 19) !== wall.replace(' ', 'T') ||
          Math.round((Date.parse(rfc.slice(0, 19) + 'Z') - back) / 60_000) !== oracleOffsetMinutes(tz, back)
        ) {
          failures.push(`${wall} -> ${rfc}`);
        }
      }
      expect(failures).toEqual([]);
      expect(checked).toBeGreaterThan(30_000);
    });
  }

  it('keeps converting correctly after the hour cache is cleared (many distinct hours)', () => {
    const conv = createWallTimeConverter('America/New_York');
    let n = 0;
    const failures: string[] = [];
    for (let t = Date.UTC(1990, 0, 1); t < Date.UTC(2003, 0, 1); t += 3_600_000) {
      const wall = wallOf('America/New_York', t);
      const rfc = conv(wall);
      if (rfc === null || wallOf('America/New_York', Date.parse(rfc)) !== wall) failures.push(`${wall} -> ${rfc}`);
      n++;
    }
    expect(failures).toEqual([]);
    expect(n).toBeGreaterThan(100_000);
  });
});
