/**
 * Pardot writes DateTime cells as wall-clock text (`YYYY-MM-DD HH:mm:ss`, sometimes date-only
 * `YYYY-MM-DD`) in the timezone of the user who created the export, with no offset. This module
 * turns such text into RFC 3339 with an explicit offset, e.g. `2024-03-10 01:30:00` read in
 * America/New_York → `2024-03-10T01:30:00-05:00`. The offset is always written `±HH:MM`, so UTC
 * is `+00:00` (never `Z`), for one shape everywhere.
 *
 * DST rule (quoted by the README):
 *   - A wall time inside a spring-forward GAP (a time that never happened on the wall clock) is
 *     read with the offset in force just BEFORE the gap. Example: 02:30 on 2024-03-10 in
 *     America/New_York → `2024-03-10T02:30:00-05:00`, the instant 03:30-04:00. This is the same
 *     instant that Temporal's `disambiguation: 'compatible'` gives.
 *   - A REPEATED wall time in a fall-back OVERLAP is read as the EARLIER instant (the first
 *     occurrence, with the pre-transition offset). Example: 01:30 on 2024-11-03 in
 *     America/New_York → `2024-11-03T01:30:00-04:00`. Temporal's 'compatible' does the same.
 *   In both cases the rule is: a wall time before `transition + max(old, new offset)` gets the
 *   old offset, from there on the new one.
 *   The byte-level lookup (createOffsetLookup) also tells a repeated wall time apart (both offsets),
 *   so the CSV extraction can read an export's cursor column by its window and count the rest.
 *
 * Offsets are taken from the runtime's ICU data (Intl). Offsets with seconds (local mean time
 * before ~1900) are written rounded to the minute, as RFC 3339 has no seconds in offsets.
 * The code assumes no two offset changes less than three days apart (true of every zone ICU lists,
 * 1970-2037, sampled every 6 hours: checked when the quiet-day shortcut in dayEntry was added).
 *
 * Performance: this is the per-row path (~10 DateTime cells per prospect row). Offsets are
 * cached per zone (shared by all converters of the zone) per wall-clock DAY, under a numeric key
 * built while the digits are checked: a day with one offset is one entry; a day in which the
 * offset changes holds 24 per-HOUR entries, and the hour in which it changes (the wall-clock hour
 * that holds `transition + max(old, new)`, and any hour holding a repeated wall time) is marked
 * "slow": each value in it is resolved exactly, to the second. The cache is cleared when it
 * reaches 100,000 days.
 */

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** True when the runtime knows `tz` as an IANA time zone name (or an alias such as `UTC`). */
let listedZones: Set<string> | undefined;

export function isValidTimeZone(tz: string): boolean {
  if (typeof tz !== 'string' || tz.length === 0) return false;
  // A zone ICU lists as supported is valid, and that list needs none of ICU's locale data, which
  // creating the first Intl.DateTimeFormat loads (~20 ms of the executable's start-up here: README
  // "Performance"). Anything else (UTC, aliases such as US/Eastern, other spellings, nonsense) is
  // decided by Intl.DateTimeFormat, as always. test/extract-timezone.test.ts checks the list holds
  // only zones Intl.DateTimeFormat accepts.
  listedZones ??= new Set(Intl.supportedValuesOf('timeZone'));
  if (listedZones.has(tz)) return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Offset of `tz` from UTC at the instant, in milliseconds (exact, may hold seconds). */
function offsetMsAt(f: Intl.DateTimeFormat, epochMs: number): number {
  // Floor to the second: Intl formats whole seconds only.
  const t = Math.floor(epochMs / 1000) * 1000;
  let year = 0;
  let month = 0;
  let day = 0;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let bc = false;
  for (const p of f.formatToParts(t)) {
    switch (p.type) {
      case 'year':
        year = Number(p.value);
        break;
      case 'month':
        month = Number(p.value);
        break;
      case 'day':
        day = Number(p.value);
        break;
      case 'hour':
        hour = Number(p.value);
        break;
      case 'minute':
        minute = Number(p.value);
        break;
      case 'second':
        second = Number(p.value);
        break;
      case 'era':
        bc = p.value.startsWith('B');
        break;
      default:
        break;
    }
  }
  if (bc) year = 1 - year;
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, 0);
  return d.getTime() - t;
}

/** Offset of `tz` from UTC at the instant, in whole minutes (e.g. -420 for PDT, 345 for Nepal). */
export function offsetMinutesAt(tz: string, epochMs: number): number {
  return Math.round(offsetMsAt(formatterFor(tz), epochMs) / 60_000);
}

/**
 * Offset (ms) that the DST rule above gives for a wall time, given as the milliseconds the wall
 * time would have if it were UTC.
 */
function resolveOffsetMs(f: Intl.DateTimeFormat, wallMs: number): number {
  const before = offsetMsAt(f, wallMs - DAY_MS);
  const after = offsetMsAt(f, wallMs + DAY_MS);
  if (before === after) return before;
  // One transition T in the window: wall times before T + max(before, after) keep `before`.
  // (t < T + m  <=>  the instant t - m is before T  <=>  offset there is still `before`.)
  const m = before > after ? before : after;
  return offsetMsAt(f, wallMs - m) === before ? before : after;
}

/**
 * The two readings of a wall time repeated by a fall-back (offset of the earlier instant, offset
 * of the later one), or null when the wall time names one instant (or none: a gap).
 */
function readingsOf(f: Intl.DateTimeFormat, wallMs: number): [number, number] | null {
  const before = offsetMsAt(f, wallMs - DAY_MS);
  const after = offsetMsAt(f, wallMs + DAY_MS);
  // Only a change to a smaller offset (the clocks go back) repeats wall times.
  if (before <= after) return null;
  // Both readings exist when each instant has the offset it was read with.
  if (offsetMsAt(f, wallMs - before) !== before || offsetMsAt(f, wallMs - after) !== after) return null;
  return [before, after];
}

function formatOffset(offsetMs: number): string {
  let mins = Math.round(offsetMs / 60_000);
  const sign = mins < 0 ? '-' : '+';
  if (mins < 0) mins = -mins;
  const h = Math.floor(mins / 60);
  const m = mins % 60;
  return `${sign}${h < 10 ? '0' : ''}${h}:${m < 10 ? '0' : ''}${m}`;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days in a month (1-12) of the proleptic Gregorian calendar. */
export function daysInMonth(year: number, month: number): number {
  if (month === 2 && (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0))) return 29;
  return DAYS_IN_MONTH[month - 1] as number;
}

/** Two ASCII digits at `i` as a number, or -1. */
function two(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  if (a < 0 || a > 9 || b < 0 || b > 9) return -1;
  return a * 10 + b;
}

const CACHE_LIMIT = 100_000;
/** Per-hour cache value for an hour whose offset changes inside it. */
const SLOW = '';

/**
 * Offset cache per zone, shared by all converters of the zone (a sync reads many files in the
 * same zone): day key -> offset text for the whole day ('-05:00'), or, on a day with a change,
 * 24 per-hour entries (offset text, or SLOW for an hour holding the change or a repeated wall time).
 */
const zoneCaches = new Map<string, Map<number, string | string[]>>();

function dayEntry(f: Intl.DateTimeFormat, y: number, mo: number, d: number): string | string[] {
  const day0 = wallToMs(y, mo, d, 0, 0, 0);
  // The day's wall times are instants less than a day from it (offsets lie within ±14 h): the same
  // offset a day before the day and a day after it means no change in between (no two changes are
  // that close, see above), so one offset all day. Two lookups for the common day instead of four.
  const quiet = offsetMsAt(f, day0 - DAY_MS);
  if (quiet === offsetMsAt(f, day0 + 2 * DAY_MS)) return formatOffset(quiet);
  const o0 = resolveOffsetMs(f, day0);
  const o1 = resolveOffsetMs(f, day0 + DAY_MS - 1);
  // The resolved offset is a step function of wall time, so equal ends = one offset all day,
  // unless the day ends in a repeated stretch (a fall-back at midnight, as in America/Santiago:
  // 24:00 -> 23:00), which the resolved offsets do not show.
  if (o0 === o1 && readingsOf(f, day0 + DAY_MS - 1000) === null) return formatOffset(o0);
  const hours: string[] = [];
  for (let h = 0; h < 24; h++) {
    const start = day0 + h * HOUR_MS;
    const a = resolveOffsetMs(f, start);
    const b = resolveOffsetMs(f, start + HOUR_MS - 1);
    // A repeated stretch (at most one per day) that touches this hour reaches its first or last
    // second, or it ends inside it, where the resolved offset changes (a !== b).
    const repeated = readingsOf(f, start) !== null || readingsOf(f, start + HOUR_MS - 1000) !== null;
    hours.push(a === b && !repeated ? formatOffset(a) : SLOW);
  }
  return hours;
}

/** Offset text of a wall time resolved exactly: 6 characters, or 12 for a repeated one (see createOffsetLookup). */
function exactOffset(f: Intl.DateTimeFormat, wallMs: number): string {
  const r = readingsOf(f, wallMs);
  return r === null ? formatOffset(resolveOffsetMs(f, wallMs)) : formatOffset(r[0]) + formatOffset(r[1]);
}

/**
 * The offset lookup behind the converters, for callers that have already checked the digits and
 * ranges of the wall time themselves (the byte-level CSV encoder): given year, month (1-12), day,
 * hour, minute and second, returns the offset text (`-05:00`) under the DST rule above, or null
 * when the day does not exist in that month. A wall time repeated by a fall-back gets 12
 * characters: the earlier instant's offset (the rule's answer) then the later one's
 * (`-04:00-05:00`), so a caller can choose and count. Throws a RangeError for an unknown zone.
 */
export function createOffsetLookup(tz: string): (y: number, mo: number, d: number, h: number, mi: number, s: number) => string | null {
  const f = formatterFor(tz); // throws RangeError for an unknown zone
  let days = zoneCaches.get(tz);
  if (days === undefined) {
    days = new Map();
    zoneCaches.set(tz, days);
  }
  const cache = days;
  return function offsetFor(y, mo, d, h, mi, s) {
    const key = (y * 12 + mo - 1) * 31 + d - 1;
    let entry = cache.get(key);
    if (entry === undefined) {
      // First sight of this day: check the day against the month, then compute.
      if (d > daysInMonth(y, mo)) return null;
      entry = dayEntry(f, y, mo, d);
      if (cache.size >= CACHE_LIMIT) cache.clear();
      cache.set(key, entry);
    }
    const off = typeof entry === 'string' ? entry : (entry[h] as string);
    // An hour holding an offset change or a repeated wall time: resolve this exact wall time.
    return off === SLOW ? exactOffset(f, wallToMs(y, mo, d, h, mi, s)) : off;
  };
}

/**
 * Returns a converter from Pardot wall time (`YYYY-MM-DD HH:mm:ss`, optionally with a fraction
 * `.f+`, or date-only `YYYY-MM-DD` meaning midnight; a `T` in place of the space is accepted too)
 * read in `tz` to RFC 3339 with offset. The converter returns null when the text is not a valid
 * date-time (bad shape, month 13, 31 April, 24:00, minute/second 60...); the caller raises the
 * error. Throws a RangeError at creation for an unknown zone (check with isValidTimeZone first).
 */
export function createWallTimeConverter(tz: string): (wall: string) => string | null {
  const read = createWallTimeReader(tz);
  return function convert(wall: string): string | null {
    const r = read(wall);
    // A repeated wall time: the rule's answer, the earlier instant (the first offset).
    return r !== null && r.length - headLength(wall) > 6 ? r.slice(0, headLength(wall) + 6) : r;
  };
}

/** Length of the RFC 3339 text a wall time converts to, offset excluded (date-only text gains `T00:00:00`). */
export function headLength(wall: string): number {
  return wall.length === 10 ? 19 : wall.length;
}

/**
 * createWallTimeConverter's reading with createOffsetLookup's offsets: a wall time repeated by a
 * fall-back ends in both offsets (12 characters after the headLength(wall) characters).
 */
export function createWallTimeReader(tz: string): (wall: string) => string | null {
  const offsetFor = createOffsetLookup(tz);

  return function convert(wall: string): string | null {
    const len = wall.length;
    if (len !== 19 && len !== 10 && len < 21) return null;
    // Year: 4 digits.
    const y0 = wall.charCodeAt(0) - 48;
    const y1 = wall.charCodeAt(1) - 48;
    const y2 = wall.charCodeAt(2) - 48;
    const y3 = wall.charCodeAt(3) - 48;
    if (y0 < 0 || y0 > 9 || y1 < 0 || y1 > 9 || y2 < 0 || y2 > 9 || y3 < 0 || y3 > 9) return null;
    if (wall.charCodeAt(4) !== 45 /* - */ || wall.charCodeAt(7) !== 45) return null;
    const y = y0 * 1000 + y1 * 100 + y2 * 10 + y3;
    const mo = two(wall, 5);
    const d = two(wall, 8);
    if (mo < 1 || mo > 12 || d < 1 || d > 31) return null;
    let h = 0;
    let mi = 0;
    let s = 0;
    let head: string; // "YYYY-MM-DDTHH:mm:ss[.fff]"
    if (len === 10) {
      head = `${wall}T00:00:00`;
    } else {
      const sep = wall.charCodeAt(10);
      if (sep !== 32 /* space */ && sep !== 84 /* T */) return null;
      h = two(wall, 11);
      mi = two(wall, 14);
      s = two(wall, 17);
      if (h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59) return null;
      if (wall.charCodeAt(13) !== 58 /* : */ || wall.charCodeAt(16) !== 58) return null;
      if (len > 19) {
        if (wall.charCodeAt(19) !== 46 /* . */) return null;
        for (let i = 20; i < len; i++) {
          const c = wall.charCodeAt(i);
          if (c < 48 || c > 57) return null;
        }
      }
      head = sep === 84 ? wall : `${wall.slice(0, 10)}T${wall.slice(11)}`;
    }
    const off = offsetFor(y, mo, d, h, mi, s);
    return off === null ? null : head + off;
  };
}

/** Milliseconds of an offset text `±HH:MM` (6 characters from `at`). */
export function offsetTextMs(text: string, at = 0): number {
  const ms = ((text.charCodeAt(at + 1) - 48) * 600 + (text.charCodeAt(at + 2) - 48) * 60 + (text.charCodeAt(at + 4) - 48) * 10 + (text.charCodeAt(at + 5) - 48)) * 60_000;
  return text.charCodeAt(at) === 45 /* - */ ? -ms : ms;
}

/** Milliseconds of the wall time taken as UTC (Date.UTC maps years 0-99 to 1900-1999: undone). */
export function wallToMs(y: number, mo: number, d: number, h: number, mi: number, s: number): number {
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  if (y >= 100) return ms;
  const dt = new Date(ms);
  dt.setUTCFullYear(y, mo - 1, d);
  return dt.getTime();
}
