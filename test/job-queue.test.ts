/**
 * The job queue (src/jobs/job-queue.ts) on virtual time: a scripted port for its single-job rules
 * (retries, deadline, resume, cancel), and a FIFO service (one job at a time, oldest first) for what
 * the queue is for: keeping the service busy with as few reads as the configured schedule would make.
 */
import { describe, expect, it } from 'vitest';
import { ConnectorError } from '../src/errors.js';
import { JobQueue, type JobQueueOptions, type JobRequest } from '../src/jobs/job-queue.js';
import type { JobPort, JobSnapshot, JobStatus } from '../src/jobs/types.js';
import { FifoService, VirtualClock } from './helpers/virtual-time.js';

type Step = JobStatus | { status: JobStatus; expired?: boolean } | Error | ((id: string) => JobSnapshot | Error);

/** A port whose n-th created job follows scripts[n]; reads step through it (the last step repeats). */
class ScriptPort implements JobPort<{ n: number }> {
  created: string[] = [];
  reads: Array<{ id: string; at: number }> = [];
  canceled: string[] = [];
  private seq = 0;
  private jobs = new Map<string, { script: Step[]; i: number }>();
  constructor(
    private clock: VirtualClock,
    private scripts: Step[][],
    preset: Record<string, Step[]> = {},
  ) {
    for (const [id, script] of Object.entries(preset)) this.jobs.set(id, { script, i: 0 });
  }
  private snap(id: string, step: Step): JobSnapshot {
    if (step instanceof Error) throw step;
    if (typeof step === 'function') {
      const r = step(id);
      if (r instanceof Error) throw r;
      return r;
    }
    const s = typeof step === 'string' ? { status: step } : step;
    return { id, status: s.status, expired: s.expired ?? false, files: s.status === 'complete' ? [`file-${id}`] : [], createdAt: null };
  }
  async create(): Promise<JobSnapshot> {
    const id = `job${++this.seq}`;
    const script = this.scripts.shift();
    if (!script) throw new Error('no more scripts');
    this.created.push(id);
    this.jobs.set(id, { script, i: 0 });
    return this.snap(id, 'pending');
  }
  async read(id: string): Promise<JobSnapshot> {
    this.reads.push({ id, at: this.clock.t });
    const j = this.jobs.get(id);
    if (!j) throw new ConnectorError('PARDOT_HTTP_404', 'not found', { failureType: 'system_error', context: { httpStatus: 404 } });
    const step = j.script[Math.min(j.i, j.script.length - 1)]!;
    j.i++;
    return this.snap(id, step);
  }
  async cancel(id: string): Promise<void> {
    this.canceled.push(id);
  }
}

function queue(port: JobPort<{ n: number }>, clock: VirtualClock, extra: Partial<JobQueueOptions<{ n: number }>> = {}) {
  return new JobQueue<{ n: number }>({ port, clock, pollInitialMs: 1000, pollMaxMs: 8000, deadlineMs: 3_600_000, depth: 4, ...extra });
}
const req = (label = 'w', extra: Partial<JobRequest<{ n: number }>> = {}): JobRequest<{ n: number }> => ({ spec: () => ({ n: 1 }), label, ...extra });

describe('JobQueue: one job', () => {
  it('reads it 1 s after its creation, then (without an estimate yet) after 1, 2, 4, 8, 8 s', async () => {
    const clock = new VirtualClock();
    const port = new ScriptPort(clock, [['pending', 'running', 'running', 'running', 'running', 'running', 'complete']]);
    const created: string[] = [];
    const t = queue(port, clock).submit(req('w', { onCreated: (s) => void created.push(s.id) }));
    const job = await clock.runUntil(t.done);
    expect(job).toMatchObject({ id: 'job1', status: 'complete', files: ['file-job1'] });
    // first read at 1 s (the first poll), then the misses back off: 1 s, 2 s, 4 s, 8 s (capped), 8 s.
    expect(port.reads.map((r) => r.at)).toEqual([1000, 2000, 4000, 8000, 16000, 24000, 32000]);
    expect(created).toEqual(['job1']);
  });

  it('creates a failed job again (bounded), then throws JOB_FAILED', async () => {
    const clock = new VirtualClock();
    const port = new ScriptPort(clock, [['running', 'failed'], ['complete']]);
    const logs: string[] = [];
    const t = queue(port, clock, { log: (l, m) => logs.push(`${l} ${m}`) }).submit(req());
    expect((await clock.runUntil(t.done)).id).toBe('job2');
    expect(logs.some((l) => l.startsWith('WARN') && l.includes('failed; creating it again (1/2)'))).toBe(true);

    const port2 = new ScriptPort(clock, [['failed'], ['failed'], ['failed'], ['complete']]);
    const err = await clock.runUntil(queue(port2, clock, { maxFailedRetries: 2 }).submit(req()).done).catch((e: unknown) => e);
    expect((err as ConnectorError).code).toBe('JOB_FAILED');
    expect((err as ConnectorError).failureType).toBe('system_error');
    expect(port2.created).toEqual(['job1', 'job2', 'job3']);
  });

  it('creates a job that completes already expired again (bounded), then JOB_EXPIRED', async () => {
    const clock = new VirtualClock();
    const port = new ScriptPort(clock, [[{ status: 'complete', expired: true }], ['complete']]);
    const job = await clock.runUntil(queue(port, clock).submit(req()).done);
    expect(job).toMatchObject({ id: 'job2', expired: false });
    const ex = { status: 'complete' as const, expired: true };
    const port2 = new ScriptPort(clock, [[ex], [ex], [ex], [ex]]);
    const err = await clock.runUntil(queue(port2, clock, { maxExpiredRecreates: 2 }).submit(req()).done).catch((e: unknown) => e);
    expect((err as ConnectorError).code).toBe('JOB_EXPIRED');
    expect(port2.created).toHaveLength(3);
  });

  it('cancels a job past its deadline (from when it became the oldest unfinished one) with JOB_DEADLINE', async () => {
    const clock = new VirtualClock();
    const port = new ScriptPort(clock, [['running']]);
    const err = await clock.runUntil(queue(port, clock, { deadlineMs: 20_000 }).submit(req()).done).catch((e: unknown) => e);
    expect((err as ConnectorError).code).toBe('JOB_DEADLINE');
    expect((err as ConnectorError).failureType).toBe('transient_error');
    expect((err as ConnectorError).context.exportId).toBe('job1');
    expect(clock.t).toBe(20_000);
    expect(port.canceled).toEqual(['job1']);
  });

  it('throws JOB_CANCELED when a job it created is canceled elsewhere; an error of the port passes unchanged', async () => {
    const clock = new VirtualClock();
    const err = await clock.runUntil(queue(new ScriptPort(clock, [['running', 'canceled']]), clock).submit(req()).done).catch((e: unknown) => e);
    expect((err as ConnectorError).code).toBe('JOB_CANCELED');
    const unknown = new ConnectorError('PARDOT_UNKNOWN_STATE', "Pardot answered export state 'Paused'");
    const port = new ScriptPort(clock, [['running', unknown]]);
    expect(await clock.runUntil(queue(port, clock).submit(req()).done).catch((e: unknown) => e)).toBe(unknown);
    expect(port.canceled).toEqual([]);
  });

  it('resumes a saved job: running is polled, complete is taken at once, anything else or unreadable is replaced', async () => {
    const clock = new VirtualClock();
    const port = new ScriptPort(clock, [], { saved: ['running', 'running', 'complete'] });
    const seen: string[] = [];
    const job = await clock.runUntil(queue(port, clock).submit(req('w', { resumeId: 'saved', onCreated: (s) => void seen.push(s.id) })).done);
    expect(job.id).toBe('saved');
    expect(port.created).toEqual([]);
    expect(seen).toEqual(['saved']); // recorded again by the run that resumed it
    for (const preset of [['canceled'], [{ status: 'complete', expired: true }], ['failed']] as Step[][]) {
      const p = new ScriptPort(clock, [['complete']], { saved: preset });
      expect((await clock.runUntil(queue(p, clock).submit(req('w', { resumeId: 'saved' })).done)).id).toBe('job1');
    }
    const logs: string[] = [];
    const p = new ScriptPort(clock, [['complete']]);
    expect((await clock.runUntil(queue(p, clock, { log: (_l, m) => logs.push(m) }).submit(req('w', { resumeId: 'missing' })).done)).id).toBe('job1');
    expect(logs.join('\n')).toMatch(/Saved job missing .* cannot be resumed/);
  });
});

describe('JobQueue: many jobs', () => {
  it('creates up to depth jobs, one create at a time, and the next one when a consumer releases one', async () => {
    const clock = new VirtualClock();
    const port = new ScriptPort(clock, Array.from({ length: 6 }, () => ['complete']));
    const q = queue(port, clock, { depth: 3 });
    const tickets = Array.from({ length: 6 }, (_, i) => q.submit(req(`w${i}`)));
    await VirtualClock.settle();
    expect(port.created).toEqual(['job1', 'job2', 'job3']);
    expect(q.stats.maxLive).toBe(3);
    await clock.runUntil(tickets[0]!.done);
    tickets[0]!.release();
    await VirtualClock.settle();
    expect(port.created).toHaveLength(4);
    for (const t of tickets.slice(1)) {
      await clock.runUntil(t.done);
      t.release();
    }
    expect(port.created).toHaveLength(6);
    expect(q.stats.maxLive).toBe(3);
  });

  it('reads only the oldest unfinished job: a later one is not read before the earlier is seen complete', async () => {
    const clock = new VirtualClock();
    const port = new ScriptPort(clock, [['running', 'running', 'complete'], ['running', 'complete'], ['complete']]);
    const q = queue(port, clock);
    const ts = [0, 1, 2].map((i) => q.submit(req(`w${i}`)));
    for (const t of ts) await clock.runUntil(t.done);
    const order = port.reads.map((r) => r.id);
    expect(order.indexOf('job2')).toBeGreaterThan(order.lastIndexOf('job1'));
    expect(order.indexOf('job3')).toBeGreaterThan(order.lastIndexOf('job2'));
  });

  it('a job made again for the window its consumer is on (front) is created even when later jobs fill the queue', async () => {
    const clock = new VirtualClock();
    const port = new ScriptPort(clock, [['complete'], ['complete'], ['complete']]);
    const refused = new ConnectorError('PARDOT_INVALID_FIELD', 'no such field', { context: { field: 'x' } });
    let first = true;
    const q = queue(port, clock, { depth: 2 });
    const a = q.submit(req('a', { admit: () => { if (first) { first = false; throw refused; } } }));
    const b = q.submit(req('b'));
    const c = q.submit(req('c'));
    await expect(clock.runUntil(a.done)).rejects.toBe(refused);
    await clock.runUntil(Promise.all([b.done]));
    // The queue is full with b and c (later windows, complete); a's consumer asks for a again.
    a.release();
    const again = q.submit(req('a again'), { front: true });
    expect((await clock.runUntil(again.done)).status).toBe('complete');
    await clock.runUntil(c.done);
    expect(q.stats.maxLive).toBe(3);
  });

  it('a gated job is created only after its gate settles, and nothing submitted after it before', async () => {
    const clock = new VirtualClock();
    const port = new ScriptPort(clock, [['complete'], ['complete'], ['complete']]);
    const q = queue(port, clock);
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const a = q.submit(req('a'));
    const b = q.submit(req('b', { gate }));
    const c = q.submit(req('c'));
    await clock.runUntil(a.done);
    expect(port.created).toEqual(['job1']);
    open();
    await clock.runUntil(Promise.all([b.done, c.done]));
    expect(port.created).toEqual(['job1', 'job2', 'job3']);
  });

  it('releasing a job still queued in the service cancels it; releasing one not created yet means it is never created', async () => {
    const clock = new VirtualClock();
    const port = new ScriptPort(clock, [['running'], ['running'], ['complete']]);
    const q = queue(port, clock, { depth: 2 });
    const [a, b, c] = ['a', 'b', 'c'].map((l) => q.submit(req(l)));
    await VirtualClock.settle();
    c!.release();
    b!.release();
    a!.release();
    await VirtualClock.settle();
    expect(port.canceled.sort()).toEqual(['job1', 'job2']);
    expect(port.created).toEqual(['job1', 'job2']);
    await expect(c!.done).rejects.toThrow(/aborted/);
  });

  it('a stop while a create is on its way waits for it and cancels the job it made (none is left unknown in the service)', async () => {
    const clock = new VirtualClock();
    const port = new ScriptPort(clock, [['running']]);
    let answer!: () => void;
    const slow: JobPort<{ n: number }> = {
      create: async (spec, signal) => {
        await new Promise<void>((r) => (answer = r));
        expect(signal?.aborted).toBe(false); // the stop did not cut the create off
        return port.create();
      },
      read: (id) => port.read(id),
      cancel: (id) => port.cancel(id),
    };
    const ac = new AbortController();
    const q = queue(slow, clock, { signal: ac.signal });
    const t = q.submit(req('a'));
    await VirtualClock.settle();
    ac.abort();
    const closing = q.close();
    await VirtualClock.settle();
    answer();
    await closing;
    await expect(t.done).rejects.toThrow(/aborted/);
    expect(port.created).toEqual(['job1']);
    expect(port.canceled).toEqual(['job1']);
  });

  it('close (a stop) rejects every ticket and cancels each job still waiting or running, once', async () => {
    const clock = new VirtualClock();
    const port = new ScriptPort(clock, [['complete'], ['running'], ['running'], ['running']]);
    const ac = new AbortController();
    const q = queue(port, clock, { signal: ac.signal, depth: 3 });
    const ts = ['a', 'b', 'c', 'd'].map((l) => q.submit(req(l)));
    await clock.runUntil(ts[0]!.done);
    ac.abort();
    await VirtualClock.settle();
    for (const t of ts.slice(1)) await expect(t.done).rejects.toThrow(/aborted/);
    for (const t of ts) t.release(); // a consumer giving up afterwards cancels nothing twice
    await VirtualClock.settle();
    expect(port.canceled.sort()).toEqual(['job2', 'job3']);
    expect(port.created).toHaveLength(3);
  });
});

/**
 * Today's schedule, written out independently of the queue: each job read on its own schedule from
 * its creation (first read after `initial`, doubling up to `max`), the next window's job created
 * when the current one is seen complete (two in flight at most, as a stream's pipeline did).
 */
async function baseline(durations: number[], initial: number, max: number, downloadMs: number) {
  const clock = new VirtualClock();
  const svc = new FifoService(clock, (k) => durations[k]!);
  const wait = async (): Promise<void> => {
    const { id } = await svc.create();
    let delay = initial;
    for (;;) {
      await clock.sleep(delay);
      if ((await svc.read(id)).status === 'complete') return;
      delay = Math.min(delay * 2, max);
    }
  };
  const run = (async () => {
    const pending = [wait()];
    let next = 1;
    while (pending.length > 0) {
      await pending[0];
      while (next < durations.length && pending.length < 2) {
        pending.push(wait());
        next++;
      }
      await clock.sleep(downloadMs);
      pending.shift();
    }
  })();
  await clock.runUntil(run);
  return { utilization: svc.busyMs() / clock.t, readsPerJob: svc.readsPerJob() };
}

async function withQueue(durations: number[], initial: number, max: number, downloadMs: number, depth = 4) {
  const clock = new VirtualClock();
  const svc = new FifoService(clock, (k) => durations[k]!);
  const q = new JobQueue({ port: svc, clock, pollInitialMs: initial, pollMaxMs: max, deadlineMs: 1e9, depth });
  const tickets = durations.map((_, i) => q.submit({ spec: () => ({ n: i }), label: `w${i}` }));
  const run = (async () => {
    for (const t of tickets) {
      await t.done;
      await clock.sleep(downloadMs);
      t.release();
    }
  })();
  await clock.runUntil(run);
  return { utilization: svc.busyMs() / clock.t, readsPerJob: svc.readsPerJob() };
}

/** Durations around `mean`, +-jitter, from a fixed seed. */
function durations(n: number, mean: number, jitter: number, seed: number): number[] {
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return Math.round(mean * (1 + jitter * (2 * (s / 2147483648) - 1)));
  });
}

describe('JobQueue against a service that runs one job at a time, oldest first', () => {
  it.each([
    ['20 jobs of 1 s, +-30 %', 20, 0.3],
    ['8 jobs of 1 s, +-30 %', 8, 0.3],
    ['20 jobs of 1 s exactly', 20, 0],
    ['8 jobs of 1 s exactly', 8, 0],
  ])('%s, first poll 0.5 s, at most 2 s: the service busy >= 90 %% of the time, no more reads per job than the old schedule', async (_n, n, jitter) => {
    const ds = durations(n, 1000, jitter, 7);
    const old = await baseline(ds, 500, 2000, 50);
    const now = await withQueue(ds, 500, 2000, 50);
    expect(now.utilization).toBeGreaterThanOrEqual(0.9);
    expect(now.readsPerJob).toBeLessThanOrEqual(old.readsPerJob);
    expect(old.utilization).toBeLessThan(0.8); // what the queue is for: the old schedule left the service idle
  });
});
