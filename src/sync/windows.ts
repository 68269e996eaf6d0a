/**
 * Window planning: pure functions.
 *
 * Pardot's date filters are strict (`after < t < before`) and its timestamps have one-second
 * resolution. A window is the half-open interval [start, end) of whole seconds, sent as
 * `after = start - 1 s` and `before = end`: a row at exactly `end` belongs to the next window
 * (whose `after` is `end - 1 s`), so consecutive windows neither lose nor repeat a row at
 * their edges.
 */
import { MAX_WINDOW_DAYS } from '../pardot/wire.js';

export const SECOND = 1000;
export const DAY = 24 * 3600 * SECOND;

/** A clock skew to Pardot above this is logged (WARN). */
export const CLOCK_SKEW_WARN_MS = 30 * SECOND;

/**
 * Where this sync's windows end, the newest cursor it may reach: min(local now, Pardot's now)
 * minus config lookback_seconds (default 300, config.ts), in whole seconds, so rows written while
 * the sync starts (and not yet visible to an export) are read by the next sync, not skipped.
 * skewMs is Pardot's clock minus the local one (null: unknown, the local clock is used).
 */
export function syncEndMs(localNow: number, skewMs: number | null, lookbackMs: number): number {
  const pardotNow = skewMs === null ? localNow : localNow + skewMs;
  return floorToSecond(Math.min(localNow, pardotNow) - lookbackMs);
}

export interface Window {
  /** epoch ms, whole seconds; rows with start <= t < end */
  start: number;
  end: number;
}

export function floorToSecond(ms: number): number {
  return Math.floor(ms / SECOND) * SECOND;
}

/**
 * The longest window: window_days, at most MAX_WINDOW_DAYS (364), so that the (after, before)
 * span stays within Pardot's 1-year limit however it counts a year (a 25-hour DST day, a leap year).
 */
export function maxWindowMs(windowDays: number): number {
  return Math.min(windowDays, MAX_WINDOW_DAYS) * DAY;
}

/** Windows covering [from, to), each at most windowDays (and never over MAX_WINDOW_DAYS). */
export function planWindows(from: number, to: number, windowDays: number): Window[] {
  const len = maxWindowMs(windowDays);
  const out: Window[] = [];
  let start = floorToSecond(from);
  const stop = floorToSecond(to);
  while (start < stop) {
    const end = Math.min(start + len, stop);
    out.push({ start, end });
    start = end;
  }
  return out;
}

/** RFC 3339 in UTC with an explicit offset: GNU date (Pardot's parser) reads it exactly. */
export function toPardotArg(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

/** The procedure's after/before arguments for a window. */
export function windowArgs(w: Window): { after: string; before: string } {
  return { after: toPardotArg(w.start - SECOND), before: toPardotArg(w.end) };
}

/** RFC 3339 UTC without milliseconds: how cursors are written in state. */
export function toCursor(ms: number): string {
  return new Date(ms).toISOString().replace(/\.000Z$/, 'Z');
}

export function describeWindow(w: Window): string {
  return `${toCursor(w.start)}..${toCursor(w.end)}`;
}
