/** The pure halves of issue 9's decisions: the zone from offset evidence, the window end, the call estimate. */
import { describe, expect, it } from 'vitest';
import { isConnectorError } from '../src/errors.js';
import { estimateCallsPerWindow } from '../src/sync/export-plan.js';
import { decideTimezone, parseOffsetSample, type OffsetSample } from '../src/sync/timezone-evidence.js';
import { syncEndMs } from '../src/sync/windows.js';

const NOW = Date.parse('2026-12-01T12:00:00Z');
const s = (iso: string): OffsetSample => parseOffsetSample(iso, 'prospect 1 createdAt')!;

function decide(configured: string, samples: OffsetSample[]) {
  const logs: string[] = [];
  try {
    const r = decideTimezone(configured, samples, NOW, (l, m) => logs.push(`${l} ${m}`));
    return { zone: r.zone, unchecked: r.unchecked, logs, error: null };
  } catch (e) {
    if (!isConnectorError(e)) throw e;
    return { zone: null, unchecked: [], logs, error: e };
  }
}

describe('decideTimezone', () => {
  it("auto: winter -08:00 and summer -07:00 fit Los Angeles' group only", () => {
    const r = decide('auto', [s('2026-01-10T09:00:00-08:00'), s('2026-07-10T09:00:00-07:00')]);
    expect(r.zone).toBe('America/Los_Angeles');
  });

  it('auto: one season is ambiguous (Phoenix vs Los Angeles in summer), naming the zones', () => {
    const r = decide('auto', [s('2026-07-10T09:00:00-07:00')]);
    expect(r.error?.code).toBe('TIMEZONE_AMBIGUOUS');
    expect(r.error?.message).toMatch(/America\/Los_Angeles/);
    expect(r.error?.message).toMatch(/America\/Phoenix/);
  });

  it('auto: a zone chosen among twins of the last year that differ back to start_date is named in a WARN, never an error (Chicago and Ojinaga since 2022)', () => {
    const samples = [s('2026-01-10T09:00:00-06:00'), s('2026-07-10T09:00:00-05:00')];
    const logs5y: string[] = [];
    const r5 = decideTimezone('auto', samples, NOW, (l, m) => logs5y.push(`${l} ${m}`));
    expect(r5.zone).toBe('America/Chicago');
    expect(logs5y.some((l) => l.startsWith('WARN'))).toBe(false);
    const logs: string[] = [];
    const r = decideTimezone('auto', samples, NOW, (l, m) => logs.push(`${l} ${m}`), Date.parse('2007-01-01T00:00:00Z'));
    expect(r.zone).toBe('America/Chicago');
    const warn = logs.find((l) => l.startsWith('WARN'));
    expect(warn).toMatch(/America\/Ojinaga/);
    expect(warn).toMatch(/had other offsets between start_date \(2007-01-01\) and then/);
    expect(warn).toMatch(/set 'timezone'/);
  });

  it('auto: no evidence at all is a config error asking for the zone', () => {
    const r = decide('auto', []);
    expect(r.error?.code).toBe('TIMEZONE_UNDETERMINED');
    expect(r.error?.failureType).toBe('config_error');
  });

  it('configured: a zone wrong in summer only is refused, naming the summer instant and the zones that fit', () => {
    const r = decide('UTC', [s('2026-01-10T09:00:00+00:00'), s('2026-07-10T09:00:00+01:00')]);
    expect(r.error?.code).toBe('TIMEZONE_MISMATCH');
    expect(r.error?.message).toMatch(/2026-07-10T09:00:00\+01:00.*Europe\/London/);
  });

  it('configured: evidence from one season passes with a WARN that the other season is unchecked', () => {
    const r = decide('Europe/London', [s('2026-01-10T09:00:00Z')]);
    expect(r.zone).toBe('Europe/London');
    expect(r.unchecked).toEqual([60]);
    expect(r.logs.join('\n')).toMatch(/WARN .*\+01:00 \(the other DST season\)/);
  });

  it('configured: no readable offset is a WARN, never a silent pass', () => {
    const r = decide('America/New_York', []);
    expect(r.zone).toBe('America/New_York');
    expect(r.logs.join('\n')).toMatch(/WARN Could not check timezone America\/New_York/);
  });

  it('reads offsets only from date-times that carry one', () => {
    expect(parseOffsetSample('2026-01-10 09:00:00', 'x')).toBeNull();
    expect(parseOffsetSample('2026-01-10T09:00:00+0530', 'x')!.offsetMinutes).toBe(330);
    expect(parseOffsetSample('2026-01-10T09:00:00Z', 'x')!.offsetMinutes).toBe(0);
  });
});

describe('syncEndMs and estimateCallsPerWindow', () => {
  it('ends windows at the earlier clock minus the lookback, in whole seconds', () => {
    expect(syncEndMs(NOW, -3600_000, 300_000)).toBe(NOW - 3600_000 - 300_000);
    expect(syncEndMs(NOW, 90_000, 300_000)).toBe(NOW - 300_000);
    expect(syncEndMs(NOW + 400, null, 0)).toBe(NOW);
  });

  it('counts create + the polls of the schedule up to the deadline + a download', () => {
    // Defaults: polls at 30, 90, 150 ... 21570 s and one at the 21600 s deadline: 1 + 361 + 1.
    expect(estimateCallsPerWindow({ pollInitialMs: 30_000, pollMaxMs: 60_000, exportDeadlineMs: 360 * 60_000 })).toBe(363);
    expect(estimateCallsPerWindow({ pollInitialMs: 1000, pollMaxMs: 2000, exportDeadlineMs: 6000 })).toBe(6);
  });
});
