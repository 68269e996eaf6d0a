/**
 * Issue 9, through the BUILT executable against the fake: what a real business unit does that a
 * default fake did not show. A non-admin export user, Pardot's clock behind ours, the user's
 * timezone by evidence, deletions, visitor activity filters, resumed exports whose request or
 * user changed, fields Pardot refuses, 364-day windows, the poll-schedule call estimate, and an
 * expired export answering a download with a plain 4xx.
 */
import type { ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { generateData, type FakePardot, type Row } from './fake-pardot/index.js';
import { runCli, tempDir, writeJson } from './helpers/cli.js';
import {
  DAY,
  catalog,
  config,
  errorTrace,
  expectedIds,
  lastStates,
  logs,
  parseLines,
  read,
  recordIds,
  smallData,
  startFake,
  tally,
  type Msg,
} from './helpers/scenario.js';

const records = (msgs: Msg[], stream: string) => msgs.filter((m) => m.type === 'RECORD' && m.record.stream === stream).map((m) => m.record.data);
const statusOf = (msgs: Msg[], stream: string) =>
  msgs.filter((m) => m.type === 'TRACE' && m.trace.type === 'STREAM_STATUS' && m.trace.stream_status.stream_descriptor.name === stream).map((m) => m.trace.stream_status.status as string);
const cursorOf = (msgs: Msg[], stream: string, field = 'updatedAt') => {
  const s = lastStates(msgs).find((x) => x.stream.stream_descriptor.name === stream);
  return s ? Date.parse(s.stream.stream_state[field]) : NaN;
};

async function check(cfg: unknown) {
  const dir = tempDir();
  const r = await runCli(['check', '--config', writeJson(dir, 'config.json', cfg)]);
  const status = r.messages.find((m) => m.type === 'CONNECTION_STATUS')!.connectionStatus as { status: string; message: string };
  return { r, status };
}

async function withFake<T>(data: Record<string, Row[]>, opts: Parameters<typeof startFake>[1], fn: (fake: FakePardot) => Promise<T>): Promise<T> {
  const fake = await startFake(data, opts);
  try {
    return await fn(fake);
  } finally {
    await fake.close();
  }
}

/** All six objects, a year and a half of them (both DST seasons), few rows. */
function mixedData(seed = 21) {
  const now = Date.now();
  const start = new Date(now - 540 * DAY);
  const data = generateData({
    seed,
    start,
    end: new Date(now - 20 * 60_000),
    counts: { prospect: 60, visitor: 60, visitorActivity: 80, listMembership: 40, prospectAccount: 10, externalActivity: 10 },
  });
  return { start, data };
}

describe('1. an export user without admin abilities', () => {
  it('read: the budget read is best effort (WARN, max_api_calls still applies); a stream whose View ability is missing fails alone, naming the ability', async () => {
    const { start, data } = mixedData();
    await withFake(data, { accountDenied: true, queryNoAbility: ['visitors'] }, async (fake) => {
      const r = await read(config(fake, start, { window_days: 364, max_api_calls: 5000 }), catalog(['prospects', 'visitors']));
      expect(r.code).toBe(1);
      const warns = logs(r.messages, 'WARN').join('\n');
      expect(warns).toMatch(/Could not read today's Pardot API budget .*Admin > Account > Edit Settings.*max_api_calls=5000 still applies/);
      expect(tally(expectedIds(data, Math.floor(start.getTime() / 1000) * 1000), recordIds(r.messages))).toMatchObject({ lost: 0, duplicated: 0, unexpected: 0 });
      expect(statusOf(r.messages, 'prospects').at(-1)).toBe('COMPLETE');
      expect(statusOf(r.messages, 'visitors').at(-1)).toBe('INCOMPLETE');
      const trace = errorTrace(r.messages)!;
      expect(trace.message).toMatch(/Prospects > Visitors > View/);
      expect(trace.failure_type).toBe('config_error');
    });
  });

  it('check: proves token, business unit and each object View ability with one query each, and names every missing ability by stream', async () => {
    const { start, data } = mixedData();
    await withFake(data, { accountDenied: true, queryNoAbility: ['visitors', 'visitor-activities'] }, async (fake) => {
      const { status } = await check(config(fake, start));
      expect(status.status).toBe('FAILED');
      for (const s of ['visitors', 'visitor_activities', 'deleted_visitors']) expect(status.message).toMatch(new RegExp(`${s} needs "Prospects > Visitors > View"`));
      expect(status.message).not.toMatch(/prospects needs/);
      expect(status.message).toMatch(/not readable by this user/);
      // One fields=id&limit=1 probe per exported object.
      const probes = fake.log.filter((e) => e.route === 'objects' && /fields=id&limit=1$/.test(e.path));
      expect(probes.map((e) => e.path.split('?')[0]).sort()).toEqual(
        ['external-activities', 'list-memberships', 'prospect-accounts', 'prospects', 'visitor-activities', 'visitors'].map((o) => `/api/v5/objects/${o}`),
      );
    });
    // The sixth probe (external-activities, a path not confirmed) answers a plain 404: named, not a failure.
    await withFake(data, { accountDenied: true, faults: [{ on: 'objects', nth: 6, kind: 'status', status: 404, code: 404 }] }, async (fake) => {
      const { status } = await check(config(fake, start));
      expect(status.status, status.message).toBe('SUCCEEDED');
      expect(status.message).toMatch(/may view the other exported objects\..*could not be verified for: externalActivity \(/);
    });
  });
});

describe("2. Pardot's clock, not ours", () => {
  it('windows end at min(local, Pardot) minus lookback_seconds, and a skew over 30 s is logged', async () => {
    const { start, data } = smallData({ days: 100 });
    const pardotNow = Date.now() - 3600_000; // this machine runs an hour ahead of Pardot
    await withFake(data, { now: new Date(pardotNow) }, async (fake) => {
      const r = await read(config(fake, start, { lookback_seconds: 120 }), catalog(['prospects']));
      expect(r.code, JSON.stringify(errorTrace(r.messages))).toBe(0);
      expect(logs(r.messages, 'WARN').join('\n')).toMatch(/clock is 3[56]\d\d s ahead of Pardot's/);
      const cursor = cursorOf(r.messages, 'prospects');
      expect(cursor).toBeLessThanOrEqual(pardotNow - 119_000);
      expect(cursor).toBeGreaterThan(pardotNow - 130_000);
    });
  });
});

describe("2b. Pardot's clock a little behind", () => {
  it('a skew under 30 s is not logged (the fake clock stands 10 s behind when the run starts)', async () => {
    const { start, data } = smallData({ days: 100 });
    await withFake(data, { now: new Date(Date.now() - 10_000) }, async (fake) => {
      const r = await read(config(fake, start), catalog(['prospects']));
      expect(r.code, JSON.stringify(errorTrace(r.messages))).toBe(0);
      expect(logs(r.messages).join('\n')).not.toMatch(/clock is \d+ s (ahead of|behind) Pardot's/);
    });
  });
});

describe('3. the timezone by evidence', () => {
  const summerRow = (rows: Row[]) =>
    rows.find((r) => {
      const m = (r['updatedAt'] as Date).getUTCMonth();
      return m >= 5 && m <= 7;
    })!;

  it("timezone 'auto' (the default) determines the user's zone from date-times of both seasons: summer rows come out at their true instant", async () => {
    const { start, data } = mixedData(22);
    await withFake(data, { userTimezone: 'Europe/London' }, async (fake) => {
      const { timezone: _tz, ...cfg } = config(fake, start, { window_days: 364 });
      const r = await read(cfg, catalog(['prospects']));
      expect(r.code, JSON.stringify(errorTrace(r.messages))).toBe(0);
      expect(logs(r.messages, 'INFO').join('\n')).toMatch(/Timezone determined from \d+ Pardot date-time\(s\): Europe\/London/);
      const row = summerRow(data.prospect!);
      const out = records(r.messages, 'prospects').find((x) => x.id === row['id'])!;
      expect(out.updatedAt).toMatch(/\+01:00$/);
      expect(Date.parse(out.updatedAt)).toBe(Math.floor((row['updatedAt'] as Date).getTime() / 1000) * 1000);
    });
  });

  it('a configured zone that fits in winter only is refused in check and read, naming a summer date-time', async () => {
    const { start, data } = mixedData(23);
    await withFake(data, { userTimezone: 'Europe/London' }, async (fake) => {
      const cfg = config(fake, start, { timezone: 'UTC' });
      const { status } = await check(cfg);
      expect(status.status).toBe('FAILED');
      expect(status.message).toMatch(/does not match config 'timezone' UTC: .*\+01:00.*Europe\/London/);
      const r = await read(cfg, catalog(['prospects']));
      expect(r.code).toBe(1);
      expect(errorTrace(r.messages)!.failure_type).toBe('config_error');
      expect(errorTrace(r.messages)!.message).toMatch(/TIMEZONE_MISMATCH|does not match config 'timezone' UTC/);
      expect(records(r.messages, 'prospects')).toHaveLength(0);
    });
  });

  it("'auto' with evidence from one season only: a config error naming the zones that fit", async () => {
    // Every row created and updated in one northern summer: Phoenix (no DST) and Los Angeles both read -07:00.
    const y = new Date().getUTCFullYear() - 1;
    const data = generateData({ seed: 24, start: new Date(Date.UTC(y, 5, 5)), end: new Date(Date.UTC(y, 7, 20)), counts: { prospect: 30 } });
    await withFake(data, { userTimezone: 'America/Phoenix' }, async (fake) => {
      const { timezone: _tz, ...cfg } = config(fake, new Date(Date.UTC(y, 5, 1)), { window_days: 364 });
      const r = await read(cfg, catalog(['prospects']));
      expect(r.code).toBe(1);
      const trace = errorTrace(r.messages)!;
      expect(trace.failure_type).toBe('config_error');
      expect(trace.message).toMatch(/fit \d+ timezones with different DST rules: .*America\/Los_Angeles.*America\/Phoenix|America\/Phoenix.*America\/Los_Angeles/);
    });
  });
});

describe('4. deletions', () => {
  it('visitors carry live visitors only, deleted_visitors the deleted ones, deleted_prospects every deleted prospect; isDeleted is always requested where deleted=all is sent', async () => {
    const { start, data } = mixedData(25);
    await withFake(data, {}, async (fake) => {
      const cat = catalog(['visitors', 'deleted_visitors', 'list_memberships'], 'incremental', ['id']);
      cat.streams.push(catalog(['deleted_prospects'], 'full_refresh').streams[0]!);
      const r = await read(config(fake, start, { window_days: 364 }), cat);
      expect(r.code, JSON.stringify(errorTrace(r.messages))).toBe(0);
      const deletedVisitors = data.visitor!.filter((v) => v['isDeleted'] === true).map((v) => v['id']);
      expect(deletedVisitors.length).toBeGreaterThan(0);
      const live = recordIds(r.messages, 'visitors');
      expect(live.filter((id) => deletedVisitors.includes(id))).toEqual([]);
      expect(recordIds(r.messages, 'deleted_visitors').sort()).toEqual([...deletedVisitors].sort());
      const deletedProspects = data.prospect!.filter((p) => p['isDeleted'] === true).map((p) => p['id']);
      const dp = records(r.messages, 'deleted_prospects');
      expect(dp.map((x) => x.id).sort()).toEqual([...deletedProspects].sort());
      expect(dp.every((x) => x.isDeleted === true && typeof x.updatedAt === 'string')).toBe(true);
      // list_memberships selected only id: isDeleted still requested (deleted=all) and emitted.
      const lm = fake.exports.filter((e) => e.object === 'listMembership');
      expect(lm.every((e) => e.fields!.includes('isDeleted') && e.procedure.arguments['deleted'] === 'all')).toBe(true);
      expect(records(r.messages, 'list_memberships').some((x) => x.isDeleted === true)).toBe(true);
      const vis = fake.exports.filter((e) => e.object === 'visitor');
      expect(vis.filter((e) => e.procedure.arguments['deleted'] === 'true').length).toBeGreaterThan(0);
      expect(vis.some((e) => e.procedure.arguments['deleted'] === 'all')).toBe(false);
      const dpx = fake.exports.filter((e) => e.object === 'prospect');
      expect(dpx.every((e) => e.procedure.name === 'filter_by_created_at' && e.procedure.arguments['deleted'] === 'true')).toBe(true);
    });
  });
});

describe('5. visitor activities with and without a prospect', () => {
  it('sends prospectOnly explicitly (false by default: anonymous activity kept), and the type filter when set', async () => {
    const { start, data } = mixedData(26);
    await withFake(data, {}, async (fake) => {
      const r1 = await read(config(fake, start, { window_days: 364 }), catalog(['visitor_activities']));
      expect(r1.code, JSON.stringify(errorTrace(r1.messages))).toBe(0);
      expect(fake.exports.every((e) => e.procedure.arguments['prospectOnly'] === 'false')).toBe(true);
      expect(records(r1.messages, 'visitor_activities').some((x) => x.prospectId === null)).toBe(true);
      const before = fake.exports.length;
      const r2 = await read(
        config(fake, start, { window_days: 364, visitor_activities_prospect_only: true, visitor_activity_types: [2, 4] }),
        catalog(['visitor_activities']),
      );
      expect(r2.code, JSON.stringify(errorTrace(r2.messages))).toBe(0);
      const later = fake.exports.slice(before);
      expect(later.every((e) => e.procedure.arguments['prospectOnly'] === 'true' && JSON.stringify(e.procedure.arguments['type']) === '[2,4]')).toBe(true);
      const rows = records(r2.messages, 'visitor_activities');
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.every((x) => x.prospectId !== null && [2, 4].includes(x.type))).toBe(true);
    });
  });
});

describe('6. resumed exports must match the request and the user', () => {
  it('a changed field selection, or another API user (code 49 on reading the export), means a new export for that window, with a WARN', async () => {
    const { start, data } = smallData({ days: 100 });
    await withFake(data, { pollsUntilComplete: 12 }, async (fake) => {
      const cfg = config(fake, start);
      let child: ChildProcess | undefined;
      // Killed once the STATE recording its first export is out. Its first poll would come only
      // after 10 minutes and one export exists at a time: the kill races nothing (no read, no
      // second export).
      const slow = config(fake, start, { poll_interval_seconds: 600, poll_max_interval_seconds: 600, export_timeout_minutes: 60, export_queue_depth: 1 });
      const r1 = await read(slow, catalog(['prospects'], 'incremental', ['email']), undefined, {
        onSpawn: (c) => (child = c),
        onLine: (l) => {
          if (l.includes('"in_flight"')) child!.kill('SIGKILL');
        },
      });
      const saved = lastStates(parseLines(r1.stdout));
      const inFlight = saved[0]!.stream.stream_state.in_flight as Array<{ id: string; fingerprint: string }>;
      expect(inFlight[0]!.fingerprint).toMatch(/^[0-9a-f]{16}$/);
      const first = fake.exports.find((e) => String(e.id) === inFlight[0]!.id)!;

      // Another field selected since: not resumed.
      const r2 = await read(cfg, catalog(['prospects'], 'incremental', ['email', 'company']), saved);
      expect(r2.code, JSON.stringify(errorTrace(r2.messages))).toBe(0);
      expect(logs(r2.messages, 'WARN').join('\n')).toMatch(new RegExp(`saved export ${first.id} .*another request.*creating a new export`));
      expect(first.reads).toBe(0);
      // Replaced, it is canceled so that it does not hold Pardot's one-at-a-time queue.
      expect(first.state).toBe('Canceled');
      expect(records(r2.messages, 'prospects').every((x) => 'company' in x)).toBe(true);
      const all = expectedIds(data, Math.floor(start.getTime() / 1000) * 1000);
      expect(tally(all, recordIds(r2.messages))).toMatchObject({ lost: 0, duplicated: 0, unexpected: 0 });

      // The same request, read by another API user: Pardot answers 49; a new export, not a failed run.
      fake.setApiUser('someone-else');
      const r3 = await read(cfg, catalog(['prospects'], 'incremental', ['email']), saved);
      expect(r3.code, JSON.stringify(errorTrace(r3.messages))).toBe(0);
      expect(logs(r3.messages, 'WARN').join('\n')).toMatch(new RegExp(`saved export ${first.id} cannot be read by this API user`));
      expect(tally(all, recordIds(r3.messages))).toMatchObject({ lost: 0, duplicated: 0, unexpected: 0 });
    });
  });
});

describe('8. a field Pardot refuses by name', () => {
  it('is dropped with a WARN naming it and the window retried; the sync completes', async () => {
    const { start, data } = smallData({ days: 100 });
    await withFake(data, { refusedFields: { prospect: ['jobTitle'] } }, async (fake) => {
      const r = await read(config(fake, start), catalog(['prospects']));
      expect(r.code, JSON.stringify(errorTrace(r.messages))).toBe(0);
      expect(logs(r.messages, 'WARN').join('\n')).toMatch(/Pardot refused field 'jobTitle'/);
      const rows = records(r.messages, 'prospects');
      expect(tally(expectedIds(data, Math.floor(start.getTime() / 1000) * 1000), recordIds(r.messages))).toMatchObject({ lost: 0, duplicated: 0, unexpected: 0 });
      expect(rows.some((x) => 'jobTitle' in x)).toBe(false);
      expect(rows.every((x) => 'email' in x)).toBe(true);
    });
  });
});

describe('9. smaller points', () => {
  it('windows span at most 364 days even with window_days 365', async () => {
    const { start, data } = smallData({ days: 800 });
    await withFake(data, {}, async (fake) => {
      const r = await read(config(fake, start, { window_days: 365 }), catalog(['prospects'], 'incremental', ['email']));
      expect(r.code, JSON.stringify(errorTrace(r.messages))).toBe(0);
      const spans = fake.exports.map((e) => Date.parse(String(e.procedure.arguments['updated_before'])) - Date.parse(String(e.procedure.arguments['updated_after'])));
      expect(spans.length).toBeGreaterThanOrEqual(3);
      expect(Math.max(...spans)).toBeLessThanOrEqual(364 * DAY + 1000);
    });
  });

  it('the per-window call estimate follows the poll schedule up to export_timeout_minutes; the first poll defaults to 30 s', async () => {
    const { start, data } = smallData({ days: 100 });
    await withFake(data, {}, async (fake) => {
      // Polls at 1, 3, 5, 7 s within a 6 s deadline: 4 reads + create + download = 6 calls.
      const r = await read(
        config(fake, start, { poll_interval_seconds: 1, poll_max_interval_seconds: 2, export_timeout_minutes: 0.1, max_api_calls: 5 }),
        catalog(['prospects']),
      );
      expect(r.code).toBe(1);
      expect(errorTrace(r.messages)!.message).toMatch(/it may need 6 API calls/);
      expect(fake.stats.calls.create).toBe(0);
    });
    const spec = await runCli(['spec']);
    const props = spec.messages[0]!.spec.connectionSpecification.properties;
    expect(props.poll_interval_seconds.default).toBe(30);
  });

  it('an expired export answering a download with a plain 404 is read again, found expired, and re-created', async () => {
    const { start, data } = smallData({ days: 100 });
    await withFake(data, { faults: [{ on: 'download', kind: 'expire', status: 404 }] }, async (fake) => {
      const r = await read(config(fake, start), catalog(['prospects'], 'incremental', ['email']));
      expect(r.code, JSON.stringify(errorTrace(r.messages))).toBe(0);
      expect(logs(r.messages, 'WARN').join('\n')).toMatch(/expired before it was downloaded; re-creating it/);
      // Rows of the window's other file already out when the 404 came are emitted again, as many as the WARN says.
      const repeats = logs(r.messages, 'WARN').reduce((n, l) => n + Number(/(\d+) row\(s\) of this window already emitted will be emitted again/.exec(l)?.[1] ?? 0), 0);
      expect(tally(expectedIds(data, Math.floor(start.getTime() / 1000) * 1000), recordIds(r.messages))).toMatchObject({ lost: 0, duplicated: repeats, unexpected: 0 });
    });
  });
});

describe('9. activityDate is a date-time', () => {
  it("external activities' activityDate comes out as an RFC 3339 date-time (format: date-time), as the field table types it", async () => {
    const { start, data } = mixedData(27);
    await withFake(data, {}, async (fake) => {
      const r = await read(config(fake, start, { window_days: 364 }), catalog(['external_activities']));
      expect(r.code, JSON.stringify(errorTrace(r.messages))).toBe(0);
      const rows = records(r.messages, 'external_activities').filter((x) => x.activityDate !== null);
      expect(rows.length).toBeGreaterThan(0);
      for (const x of rows) expect(x.activityDate).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$/);
      const dir = tempDir();
      const d = await runCli(['discover', '--config', writeJson(dir, 'c.json', config(fake, start))]);
      const ea = d.messages.find((m) => m.type === 'CATALOG')!.catalog.streams.find((s: Msg) => s.name === 'external_activities');
      expect(ea.json_schema.properties.activityDate.format).toBe('date-time');
    });
  });
});
