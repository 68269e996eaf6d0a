/**
 * The Pardot API user's timezone, by evidence. Export CSV files write dates as wall times in that
 * user's zone with no offset, so the zone must be right at every instant, in summer and in winter.
 * Pardot's v5 JSON date-times carry the user's UTC offset at their instant (e.g.
 * `2024-01-15T09:00:00-08:00`), so records created and updated in different seasons show which
 * zones fit: every IANA zone whose offset matches at every sampled instant.
 *
 * - timezone 'auto': the fitting zones, grouped by identical offsets over EQUIVALENCE_SPAN_MS (a WARN
 *   names those of the chosen group that differ back to start_date); one
 *   group -> its first name; several -> a config error naming them; none -> a config error.
 * - a configured zone: it must fit every sample (else TIMEZONE_MISMATCH); when the samples do not
 *   cover each of its offsets of the last year (both DST seasons), a WARN says what was not checked.
 * - no readable offset at all: a WARN for a configured zone; a config error for 'auto'.
 *
 * Cost: at most EVIDENCE_PROBES v5 query calls (`query` kind), fewer when the evidence is
 * conclusive early.
 */
import { configError, isConnectorError } from '../errors.js';
import { offsetMinutesAt } from '../extract/timezone.js';
import type { PardotApi } from '../pardot/types.js';
import { OBJECT_NAMES, type PardotObject } from '../pardot/wire.js';
import type { LogLevel } from './events.js';
import { AUTO_TIMEZONE } from '../config.js';

const DAY = 86_400_000;
const WEEK = 7 * DAY;
/** Probes look for the newest record created before now, now-91d, now-182d, now-273d: four seasons. */
export const EVIDENCE_PROBES = 4;
export const PROBE_STEP_MS = 91 * DAY;
/** Zones whose offsets agree at every week of this span (before now) are the same zone for us. */
/**
 * Zones alike at every week of this span count as one for the choice: the year the evidence probes
 * cover, since zones alike over it cannot be told apart by it (America/Chicago and America/Ojinaga
 * since 2022, America/Sao_Paulo and America/Asuncion since 2024: a 5-year span made 'auto' fail
 * for them). Those that differ further back, down to start_date, are named in a WARN.
 */
export const EQUIVALENCE_SPAN_MS = 366 * DAY;

export interface OffsetSample {
  /** epoch ms */
  at: number;
  offsetMinutes: number;
  /** Where it was read, for messages: e.g. "prospect 123 createdAt 2024-01-15T09:00:00-08:00". */
  source: string;
}

export function fmtOffset(min: number): string {
  const a = Math.abs(min);
  return `${min < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

/** An ISO 8601 date-time with an explicit offset (or Z) as a sample; null without one. */
export function parseOffsetSample(iso: unknown, source: string): OffsetSample | null {
  if (typeof iso !== 'string') return null;
  const m = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:([+-])(\d{2}):?(\d{2})|Z)$/.exec(iso.trim());
  if (!m) return null;
  const at = Date.parse(iso);
  if (!Number.isFinite(at)) return null;
  const offsetMinutes = m[1] ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
  return { at, offsetMinutes, source: `${source} ${iso}` };
}

let allZones: string[] | null = null;
/** Every IANA zone this runtime knows, plus UTC. */
export function candidateZones(): string[] {
  if (!allZones) {
    const list = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
    allZones = [...new Set(['UTC', ...list])];
  }
  return allZones;
}

/** The zones whose offset matches every sample. */
export function zonesFitting(samples: readonly OffsetSample[], zones: readonly string[] = candidateZones()): string[] {
  return zones.filter((z) => samples.every((s) => offsetMinutesAt(z, s.at) === s.offsetMinutes));
}

/** Zones grouped by identical offsets at every week of [now - span, now]; groups and names sorted. */
export function groupEquivalent(zones: readonly string[], now: number, span = EQUIVALENCE_SPAN_MS): string[][] {
  const groups = new Map<string, string[]>();
  for (const z of zones) {
    let sig = '';
    for (let t = now - span; t <= now; t += WEEK) sig += offsetMinutesAt(z, t) + ',';
    const g = groups.get(sig);
    if (g) g.push(z);
    else groups.set(sig, [z]);
  }
  return [...groups.values()].map((g) => g.sort(preferOrder)).sort((a, b) => preferOrder(a[0]!, b[0]!));
}

/** Names shown first within a group of equivalent zones (the most used zone of each offset pattern). */
const WELL_KNOWN = [
  'UTC', 'America/Los_Angeles', 'America/Denver', 'America/Phoenix', 'America/Chicago', 'America/New_York', 'America/Halifax',
  'America/Sao_Paulo', 'Europe/London', 'Europe/Paris', 'Europe/Berlin', 'Europe/Helsinki', 'Europe/Moscow', 'Asia/Dubai',
  'Asia/Kolkata', 'Asia/Singapore', 'Asia/Shanghai', 'Asia/Tokyo', 'Australia/Sydney', 'Pacific/Auckland',
];

/** Well-known names first, then Region/City names before aliases, then alphabetical. */
function preferOrder(a: string, b: string): number {
  const known = (z: string) => (WELL_KNOWN.includes(z) ? 0 : 1);
  const rank = (z: string) => known(z) * 2 + (z.includes('/') && !z.startsWith('Etc/') ? 0 : 1);
  return rank(a) - rank(b) || a.localeCompare(b);
}

/** The offsets a zone had over the last year (weekly), e.g. [-480, -420] for America/Los_Angeles. */
export function offsetsOverYear(zone: string, now: number): number[] {
  const out = new Set<number>();
  for (let t = now - 365 * DAY; t <= now; t += WEEK) out.add(offsetMinutesAt(zone, t));
  return [...out].sort((a, b) => a - b);
}

export interface ResolveOptions {
  api: PardotApi;
  /** config.timezone: an IANA zone or 'auto'. */
  configured: string;
  /** Objects to read evidence from, in order of preference (the first the user may view is used). */
  objects: readonly PardotObject[];
  now: number;
  /**
   * The oldest instant the run converts (config start_date): when zones alike over the last year
   * differ back to then (e.g. Europe/Istanbul and Europe/Moscow until 2016), a WARN names them.
   */
  since?: number;
  signal?: AbortSignal;
  log: (level: LogLevel, message: string) => void;
}

export interface ResolvedTimezone {
  zone: string;
  samples: OffsetSample[];
  /** Offsets of the zone over the last year that no sample showed (unchecked seasons). */
  unchecked: number[];
}

/**
 * Reads samples: for each probe instant, the newest record of the object created at or before it
 * (its createdAt and updatedAt). Stops early once the samples show two offsets (both seasons).
 * An object the user may not view (46/49) is skipped for the next one.
 */
export async function gatherSamples(o: ResolveOptions): Promise<OffsetSample[]> {
  const samples: OffsetSample[] = [];
  for (const object of o.objects) {
    try {
      for (let k = 0; k < EVIDENCE_PROBES; k++) {
        const before = new Date(o.now - k * PROBE_STEP_MS).toISOString().replace(/\.\d{3}Z$/, '+00:00');
        const page = await o.api.query(
          object,
          { fields: 'id,createdAt,updatedAt', limit: '1', orderBy: 'createdAt DESC', createdAtBeforeOrEqualTo: before },
          o.signal,
        );
        for (const r of page.values) {
          for (const f of ['createdAt', 'updatedAt']) {
            const s = parseOffsetSample(r[f], `${OBJECT_NAMES[object]} ${String(r['id'])} ${f}`);
            if (s) samples.push(s);
            else if (r[f] !== undefined && r[f] !== null) o.log('WARN', `Timezone evidence: ${OBJECT_NAMES[object]} ${String(r['id'])} ${f}=${JSON.stringify(r[f])} carries no UTC offset; not used.`);
          }
        }
        if (new Set(samples.map((s) => s.offsetMinutes)).size >= 2) break;
        if (page.values.length === 0) break; // nothing older
      }
      return samples;
    } catch (e) {
      if (isConnectorError(e) && e.code === 'PARDOT_PERMISSION') {
        o.log('INFO', `Timezone evidence: the API user may not read ${OBJECT_NAMES[object]} records; trying the next object.`);
        continue;
      }
      // A query Pardot refuses (an object or filter this account's API lacks) is no evidence, not a failed sync.
      if (isConnectorError(e) && (e.failureType === 'system_error' || e.code === 'PARDOT_INVALID_FIELD') && !o.signal?.aborted) {
        o.log('WARN', `Timezone evidence: querying ${OBJECT_NAMES[object]} records failed (${e.message}); trying the next object.`);
        continue;
      }
      throw e;
    }
  }
  return samples;
}

/** The zone to read CSV dates in: config.timezone checked against the evidence, or determined from it. */
export async function resolveTimezone(o: ResolveOptions): Promise<ResolvedTimezone> {
  const samples = await gatherSamples(o);
  return decideTimezone(o.configured, samples, o.now, o.log, o.since);
}

/** The pure half of resolveTimezone (tests drive it with samples). */
export function decideTimezone(configured: string, samples: OffsetSample[], now: number, log: ResolveOptions['log'], since?: number): ResolvedTimezone {
  const shown = samples.slice(0, 6).map((s) => `${s.source} (${fmtOffset(s.offsetMinutes)})`).join('; ');
  if (configured !== AUTO_TIMEZONE) {
    if (samples.length === 0) {
      log('WARN', `Could not check timezone ${configured}: Pardot gave no record date-time with a UTC offset to compare (no records, or none readable). CSV dates are read in ${configured} unchecked.`);
      return { zone: configured, samples, unchecked: offsetsOverYear(configured, now) };
    }
    const bad = samples.find((s) => offsetMinutesAt(configured, s.at) !== s.offsetMinutes);
    if (bad) {
      const fit = groupEquivalent(zonesFitting(samples), now).map((g) => g[0]!);
      throw configError(
        'TIMEZONE_MISMATCH',
        `The Pardot API user's timezone does not match config 'timezone' ${configured}: Pardot wrote ${bad.source} (UTC offset ${fmtOffset(bad.offsetMinutes)}), ` +
          `but ${configured} is at ${fmtOffset(offsetMinutesAt(configured, bad.at))} then. CSV dates are written in the user's timezone without an offset, so nothing was read. ` +
          `Set 'timezone' to 'auto' or to the API user's zone (Salesforce: the user's Personal Information > Time Zone)` +
          (fit.length > 0 ? `; zones that fit the evidence: ${fit.slice(0, 12).join(', ')}${fit.length > 12 ? ', ...' : ''}.` : '.'),
        { field: 'timezone' },
      );
    }
    const seen = new Set(samples.map((s) => s.offsetMinutes));
    const unchecked = offsetsOverYear(configured, now).filter((m) => !seen.has(m));
    if (unchecked.length > 0) {
      log(
        'WARN',
        `Timezone ${configured} matches Pardot's date-times at ${fmtOffset([...seen][0]!)}, but no sampled record shows its offset ${unchecked.map(fmtOffset).join(', ')} ` +
          `(the other DST season), so that season is unchecked.`,
      );
    } else log('INFO', `Timezone ${configured} matches Pardot's date-times in every season sampled (${[...seen].map(fmtOffset).join(', ')}).`);
    return { zone: configured, samples, unchecked };
  }

  if (samples.length === 0) {
    throw configError(
      'TIMEZONE_UNDETERMINED',
      `config 'timezone' is 'auto', but Pardot gave no record date-time with a UTC offset to determine the API user's timezone from ` +
        `(no readable records yet). Set 'timezone' to the IANA name of the API user's zone (Salesforce: Personal Information > Time Zone), e.g. America/New_York.`,
      { field: 'timezone' },
    );
  }
  const groups = groupEquivalent(zonesFitting(samples), now);
  if (groups.length === 0) {
    throw configError(
      'TIMEZONE_UNDETERMINED',
      `No IANA timezone has the UTC offsets Pardot wrote (${shown}). Set 'timezone' to the API user's zone.`,
      { field: 'timezone' },
    );
  }
  if (groups.length > 1) {
    const names = groups.map((g) => g[0]!);
    throw configError(
      'TIMEZONE_AMBIGUOUS',
      `config 'timezone' is 'auto', and the date-times Pardot wrote (${shown}) fit ${names.length} timezones with different DST rules: ` +
        `${names.slice(0, 15).join(', ')}${names.length > 15 ? ', ...' : ''}. Set 'timezone' to the API user's zone (Salesforce: Personal Information > Time Zone).`,
      { field: 'timezone' },
    );
  }
  const zone = groups[0]![0]!;
  const alike = groups[0]!.length > 1 ? ` (same offsets over the last year as ${groups[0]!.slice(1, 6).join(', ')}${groups[0]!.length > 6 ? ', ...' : ''})` : '';
  log('INFO', `Timezone determined from ${samples.length} Pardot date-time(s): ${zone}${alike}. Set 'timezone' to pin it.`);
  // Zones alike over the last year may still differ before (Istanbul and Moscow until 2016): rows
  // older than that would be converted with the chosen zone's old offsets. Not an error (nearly every
  // zone has such a twin since 2007), but said, so that a user with old data pins the zone.
  if (since !== undefined && now - since > EQUIVALENCE_SPAN_MS && groups[0]!.length > 1) {
    const differ = groupEquivalent(groups[0]!, now, now - since).filter((g) => !g.includes(zone)).map((g) => g[0]!);
    if (differ.length > 0) {
      log(
        'WARN',
        `Timezone ${zone} was chosen among zones with the same offsets over the last year; ${differ.slice(0, 8).join(', ')}${differ.length > 8 ? ', ...' : ''} ` +
          `had other offsets between start_date (${new Date(since).toISOString().slice(0, 10)}) and then. If the API user's zone is one of those, ` +
          `set 'timezone' to it, or older rows' date-times are converted with ${zone}'s offsets.`,
      );
    }
  }
  return { zone, samples, unchecked: [] };
}
