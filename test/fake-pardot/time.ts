// Time-zone helpers for the fake Pardot server: render instants as wall time in
// an IANA zone (fast enough for millions of CSV cells), write ISO 8601 with the
// zone's offset, and read the date arguments of an export procedure.

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();
/** zone -> (15-minute UTC bucket -> offset in minutes). Tz transitions fall on quarter hours. */
const offsetCache = new Map<string, Map<number, number>>();
const BUCKET_MS = 15 * 60_000;

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let fmt = offsetFormatters.get(timeZone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    offsetFormatters.set(timeZone, fmt);
  }
  return fmt;
}

/** Throws RangeError for a zone name the runtime does not know. */
export function assertTimeZone(timeZone: string): void {
  formatterFor(timeZone);
}

function computeOffsetMinutes(timeZone: string, ms: number): number {
  const parts = formatterFor(timeZone).formatToParts(new Date(ms));
  const get = (type: Intl.DateTimeFormatPartTypes): number => {
    const p = parts.find((x) => x.type === type);
    return p ? Number(p.value) : 0;
  };
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  const whole = Math.floor(ms / 1000) * 1000;
  return Math.round((wall - whole) / 60_000);
}

/** UTC offset of `timeZone` at instant `ms`, in minutes (e.g. -420 for PDT). */
export function offsetMinutes(timeZone: string, ms: number): number {
  let cache = offsetCache.get(timeZone);
  if (!cache) {
    cache = new Map();
    offsetCache.set(timeZone, cache);
  }
  const bucket = Math.floor(ms / BUCKET_MS) | 0; // small integer: fast Map key
  let off = cache.get(bucket);
  if (off === undefined) {
    off = computeOffsetMinutes(timeZone, bucket * BUCKET_MS);
    if (cache.size > 200_000) cache.clear();
    cache.set(bucket, off);
  }
  return off;
}

const pad2 = (n: number): string => (n < 10 ? '0' + n : String(n));

function wallParts(ms: number, timeZone: string): Date {
  return new Date(Math.floor(ms / 1000) * 1000 + offsetMinutes(timeZone, ms) * 60_000);
}

const PAD2: readonly string[] = Array.from({ length: 60 }, (_, n) => pad2(n));
/** zone -> (15-minute UTC bucket -> 'YYYY-MM-DD HH:' and the local minute at the bucket start). */
const wallCache = new Map<string, Map<number, { prefix: string; minute: number }>>();

/** `YYYY-MM-DD HH:mm:ss` wall time in `timeZone` (the Pardot CSV DateTime format, no offset). */
export function formatWallTime(ms: number, timeZone: string): string {
  // Offsets are whole quarter hours, so a 15-minute UTC bucket never crosses a local hour:
  // cache the bucket's date-and-hour prefix and add minutes and seconds arithmetically.
  let cache = wallCache.get(timeZone);
  if (!cache) {
    cache = new Map();
    wallCache.set(timeZone, cache);
  }
  const bucket = Math.floor(ms / BUCKET_MS) | 0; // small integer: fast Map key
  let entry = cache.get(bucket);
  if (!entry) {
    const d = wallParts(bucket * BUCKET_MS, timeZone);
    entry = {
      prefix: d.getUTCFullYear() + '-' + pad2(d.getUTCMonth() + 1) + '-' + pad2(d.getUTCDate()) + ' ' + pad2(d.getUTCHours()) + ':',
      minute: d.getUTCMinutes(),
    };
    if (cache.size > 200_000) cache.clear();
    cache.set(bucket, entry);
  }
  // `| 0` keeps the indexes small integers (fast element loads).
  const secs = ((ms - bucket * BUCKET_MS) / 1000) | 0;
  const minute = (entry.minute + secs / 60) | 0;
  if (minute > 59) return formatWallTimeSlow(ms, timeZone); // odd historical (LMT) offsets only
  return entry.prefix + PAD2[minute] + ':' + PAD2[secs % 60];
}

function formatWallTimeSlow(ms: number, timeZone: string): string {
  const d = wallParts(ms, timeZone);
  return (
    d.getUTCFullYear() + '-' + pad2(d.getUTCMonth() + 1) + '-' + pad2(d.getUTCDate()) + ' ' +
    pad2(d.getUTCHours()) + ':' + pad2(d.getUTCMinutes()) + ':' + pad2(d.getUTCSeconds())
  );
}

/** ISO 8601 in `timeZone` with that zone's offset at the instant, e.g. `2024-05-04T13:45:10-07:00`. */
export function formatIsoWithOffset(ms: number, timeZone: string): string {
  const off = offsetMinutes(timeZone, ms);
  const sign = off < 0 ? '-' : '+';
  const abs = Math.abs(off);
  return formatWallTime(ms, timeZone).replace(' ', 'T') + sign + pad2(Math.floor(abs / 60)) + ':' + pad2(abs % 60);
}

/** Instant of a wall time in `timeZone` (earlier instant when ambiguous; shifted forward in a gap). */
export function wallToInstant(
  timeZone: string,
  y: number,
  mo: number,
  d: number,
  h = 0,
  mi = 0,
  s = 0,
  msec = 0,
): number {
  const asUtc = Date.UTC(y, mo - 1, d, h, mi, s, msec);
  // Try the offsets in force a day either side; keep the earliest instant that maps back exactly.
  const candidates = new Set([offsetMinutes(timeZone, asUtc - 86_400_000), offsetMinutes(timeZone, asUtc + 86_400_000)]);
  let best: number | undefined;
  for (const off of candidates) {
    const inst = asUtc - off * 60_000;
    if (offsetMinutes(timeZone, inst) === off && (best === undefined || inst < best)) best = inst;
  }
  if (best !== undefined) return best;
  // In a DST gap: use the offset before the gap, which lands after it (like GNU date would).
  return asUtc - offsetMinutes(timeZone, asUtc - 86_400_000) * 60_000;
}

function startOfLocalDay(timeZone: string, ms: number): { y: number; m: number; d: number } {
  const w = wallParts(ms, timeZone);
  return { y: w.getUTCFullYear(), m: w.getUTCMonth() + 1, d: w.getUTCDate() };
}

const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|z|UTC|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * Reads a procedure date argument the way Pardot does (subset of GNU date input syntax):
 * ISO 8601 date or date-time, with `Z` or `±HH:MM` offset (without offset: wall time in the
 * user's zone), and the keywords today, yesterday, last_7_days, this_month, last_month
 * (midnight in the user's zone). Returns epoch ms, or undefined when unparseable.
 */
export function parseDateArgument(value: unknown, timeZone: string, nowMs: number): number | undefined {
  if (typeof value !== 'string') return undefined;
  const v = value.trim();
  const today = startOfLocalDay(timeZone, nowMs);
  switch (v.toLowerCase()) {
    case 'now':
      return nowMs;
    case 'today':
      return wallToInstant(timeZone, today.y, today.m, today.d);
    case 'yesterday':
      return wallToInstant(timeZone, today.y, today.m, today.d - 1);
    case 'last_7_days':
      return wallToInstant(timeZone, today.y, today.m, today.d - 7);
    case 'this_month':
      return wallToInstant(timeZone, today.y, today.m, 1);
    case 'last_month':
      return wallToInstant(timeZone, today.y, today.m - 1, 1);
    default:
      break;
  }
  const m = ISO_RE.exec(v);
  if (!m) return undefined;
  const [, ys, mos, ds, hs, mis, ss, frac, zone] = m;
  const y = Number(ys);
  const mo = Number(mos);
  const d = Number(ds);
  const h = hs === undefined ? 0 : Number(hs);
  const mi = mis === undefined ? 0 : Number(mis);
  const s = ss === undefined ? 0 : Number(ss);
  const msec = frac === undefined ? 0 : Math.floor(Number('0.' + frac) * 1000);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return undefined;
  // Reject dates like 2024-02-31 rather than rolling them over.
  const check = new Date(Date.UTC(y, mo - 1, d));
  if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return undefined;
  if (zone === undefined) return wallToInstant(timeZone, y, mo, d, h, mi, s, msec);
  let offMin = 0;
  if (zone !== 'Z' && zone !== 'z' && zone !== 'UTC') {
    const zm = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone);
    if (!zm) return undefined;
    offMin = (Number(zm[2]) * 60 + Number(zm[3] ?? '0')) * (zm[1] === '-' ? -1 : 1);
    if (Math.abs(offMin) > 18 * 60) return undefined;
  }
  return Date.UTC(y, mo - 1, d, h, mi, s, msec) - offMin * 60_000;
}
