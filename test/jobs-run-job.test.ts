import { describe, expect, it } from 'vitest';
import { abortError, type Clock } from '../src/clock.js';
import { ConnectorError } from '../src/errors.js';
import { runJob, waitForJob, type WaitOptions } from '../src/jobs/run-job.js';
import type { JobPort, JobSnapshot, JobStatus } from '../src/jobs/types.js';

class FakeClock implements Clock {
  t = 1_700_000_000_000;
  sleeps: number[] = [];
  now = () => this.t;
  sleep = async (ms: number, signal?: AbortSignal) => {
    if (signal?.aborted) throw abortError();
    this.sleeps.push(ms);
    this.t += ms;
  };
}

type Script = Array<JobStatus | { status: JobStatus; expired?: boolean } | Error | ((id: string) => JobSnapshot | Error)>;

/** A fake port: each created job follows the next script in `scripts`; reads step through it. */
class FakePort implements JobPort<{ n: number }> {
  created: string[] = [];
  reads: string[] = [];
  canceled: string[] = [];
  private seq = 0;
  private jobs = new Map<string, { script: Script; i: number }>();
  constructor(
    private scripts: Script[],
    preset: Record<string, Script> = {},
  ) {
    for (const [id, script] of Object.entries(preset)) this.jobs.set(id, { script, i: 0 });
  }
  private snap(id: string, step: Script[number]): JobSnapshot {
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
    this.reads.push(id);
    const j = this.jobs.get(id);
    if (!j) throw new ConnectorError('PARDOT_HTTP_404', 'not found', { context: { httpStatus: 404 } });
    const step = j.script[Math.min(j.i, j.script.length - 1)]!;
    j.i++;
    return this.snap(id, step);
  }
  async cancel(id: string): Promise<void> {
    this.canceled.push(id);
  }
}

function opts(port: FakePort, clock: FakeClock, extra: Partial<WaitOptions<{ n: number }>> = {}): WaitOptions<{ n: number }> {
  return { port, spec: { n: 1 }, clock, pollInitialMs: 1000, pollMaxMs: 8000, deadlineMs: 3_600_000, label: 'prospects test', ...extra };
}

describe('waitForJob', () => {
  it('polls until complete with doubling waits capped at pollMaxMs', async () => {
    const port = new FakePort([['pending', 'running', 'running', 'running', 'running', 'running', 'complete']]);
    const clock = new FakeClock();
    const created: string[] = [];
    const job = await waitForJob(opts(port, clock, { onCreated: (id) => void created.push(id) }));
    expect(job).toMatchObject({ id: 'job1', status: 'complete', files: ['file-job1'] });
    expect(clock.sleeps).toEqual([1000, 2000, 4000, 8000, 8000, 8000, 8000]);
    expect(created).toEqual(['job1']);
    expect(port.created).toEqual(['job1']);
  });

  it('re-creates a failed job, then returns the completed one', async () => {
    const port = new FakePort([['running', 'failed'], ['complete']]);
    const clock = new FakeClock();
    const logs: string[] = [];
    const created: string[] = [];
    const job = await waitForJob(opts(port, clock, { log: (l, m) => logs.push(`${l} ${m}`), onCreated: (id) => void created.push(id) }));
    expect(job.id).toBe('job2');
    expect(created).toEqual(['job1', 'job2']);
    expect(logs.some((l) => l.startsWith('WARN') && l.includes('failed'))).toBe(true);
  });

  it('throws JOB_FAILED when the job fails more often than maxFailedRetries', async () => {
    const port = new FakePort([['failed'], ['failed'], ['failed'], ['complete']]);
    const err = await waitForJob(opts(port, new FakeClock(), { maxFailedRetries: 2 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectorError);
    expect((err as ConnectorError).code).toBe('JOB_FAILED');
    expect((err as ConnectorError).failureType).toBe('system_error');
    expect(port.created).toEqual(['job1', 'job2', 'job3']);
  });

  it('re-creates a job that completes already expired', async () => {
    const port = new FakePort([[{ status: 'complete', expired: true }], ['complete']]);
    const job = await waitForJob(opts(port, new FakeClock()));
    expect(job.id).toBe('job2');
    expect(job.expired).toBe(false);
  });

  it('throws JOB_EXPIRED when every re-created job completes expired', async () => {
    const ex = { status: 'complete' as const, expired: true };
    const port = new FakePort([[ex], [ex], [ex], [ex]]);
    const err = await waitForJob(opts(port, new FakeClock(), { maxExpiredRecreates: 2 })).catch((e: unknown) => e);
    expect((err as ConnectorError).code).toBe('JOB_EXPIRED');
    expect(port.created).toHaveLength(3);
  });

  it('cancels the job and throws JOB_DEADLINE past the deadline', async () => {
    const port = new FakePort([['running']]);
    const clock = new FakeClock();
    const t0 = clock.now();
    const err = await waitForJob(opts(port, clock, { deadlineMs: 20_000 })).catch((e: unknown) => e);
    expect((err as ConnectorError).code).toBe('JOB_DEADLINE');
    expect((err as ConnectorError).failureType).toBe('transient_error');
    expect((err as ConnectorError).context.exportId).toBe('job1');
    expect(port.canceled).toEqual(['job1']);
    expect(clock.now() - t0).toBe(20_000);
    expect(clock.sleeps).toEqual([1000, 2000, 4000, 8000, 5000]);
  });

  it('throws JOB_CANCELED when a job it created is canceled elsewhere', async () => {
    const port = new FakePort([['running', 'canceled']]);
    const err = await waitForJob(opts(port, new FakeClock())).catch((e: unknown) => e);
    expect((err as ConnectorError).code).toBe('JOB_CANCELED');
    expect((err as ConnectorError).message).toMatch(/canceled/);
  });

  it('propagates an error of the port (e.g. an unknown state) unchanged', async () => {
    const unknown = new ConnectorError('PARDOT_UNKNOWN_STATE', "Pardot answered export state 'Paused'");
    const port = new FakePort([['running', unknown]]);
    const err = await waitForJob(opts(port, new FakeClock())).catch((e: unknown) => e);
    expect(err).toBe(unknown);
    expect(port.canceled).toEqual([]);
  });

  it('cancels the job and throws the AbortError when aborted mid-poll', async () => {
    const ac = new AbortController();
    const port = new FakePort([
      [
        'running',
        (id) => {
          ac.abort();
          return { id, status: 'running', expired: false, files: [], createdAt: null };
        },
        'running',
      ],
    ]);
    const err = await waitForJob(opts(port, new FakeClock(), { signal: ac.signal })).catch((e: unknown) => e);
    expect((err as Error).name).toBe('AbortError');
    expect(port.canceled).toEqual(['job1']);
  });

  it('does not create a job when aborted before starting', async () => {
    const ac = new AbortController();
    ac.abort();
    const port = new FakePort([['complete']]);
    const err = await waitForJob(opts(port, new FakeClock(), { signal: ac.signal })).catch((e: unknown) => e);
    expect((err as Error).name).toBe('AbortError');
    expect(port.created).toEqual([]);
  });

  it('keeps polling a resumed running job without creating one', async () => {
    const port = new FakePort([], { saved: ['running', 'running', 'complete'] });
    const created: string[] = [];
    const job = await waitForJob(opts(port, new FakeClock(), { resumeId: 'saved', onCreated: (id) => void created.push(id) }));
    expect(job.id).toBe('saved');
    expect(port.created).toEqual([]);
    expect(created).toEqual([]);
    expect(port.reads).toEqual(['saved', 'saved', 'saved']);
  });

  it('returns a resumed complete job at once, without creating or sleeping', async () => {
    const port = new FakePort([], { saved: ['complete'] });
    const clock = new FakeClock();
    const job = await waitForJob(opts(port, clock, { resumeId: 'saved' }));
    expect(job).toMatchObject({ id: 'saved', status: 'complete' });
    expect(port.created).toEqual([]);
    expect(clock.sleeps).toEqual([]);
  });

  it('creates a new job when the resumed one is canceled, expired, failed or gone', async () => {
    for (const preset of [['canceled'], [{ status: 'complete', expired: true }], ['failed']] as Script[]) {
      const port = new FakePort([['complete']], { saved: preset });
      const job = await waitForJob(opts(port, new FakeClock(), { resumeId: 'saved' }));
      expect(job.id).toBe('job1');
    }
    const port = new FakePort([['complete']]);
    const logs: string[] = [];
    const job = await waitForJob(opts(port, new FakeClock(), { resumeId: 'missing', log: (_l, m) => logs.push(m) }));
    expect(job.id).toBe('job1');
    expect(logs.join('\n')).toMatch(/missing.*could not be read/);
  });

  it('creates a new job when a resumed job gets canceled while polled', async () => {
    const port = new FakePort([['complete']], { saved: ['running', 'canceled'] });
    const job = await waitForJob(opts(port, new FakeClock(), { resumeId: 'saved' }));
    expect(job.id).toBe('job1');
  });
});

describe('runJob', () => {
  const expired = new ConnectorError('PARDOT_EXPORT_EXPIRED', 'expired');
  const isExpiredError = (e: unknown) => e instanceof ConnectorError && e.code === 'PARDOT_EXPORT_EXPIRED';

  it('re-creates the job and consumes again when consume reports expired results', async () => {
    const port = new FakePort([['complete'], ['complete']]);
    const consumed: string[] = [];
    const logs: string[] = [];
    const job = await runJob({
      ...opts(port, new FakeClock()),
      log: (l, m) => logs.push(`${l} ${m}`),
      isExpiredError,
      consume: async (j) => {
        consumed.push(j.id);
        if (consumed.length === 1) throw expired;
      },
    });
    expect(job.id).toBe('job2');
    expect(consumed).toEqual(['job1', 'job2']);
    expect(logs.some((l) => l.startsWith('WARN re-created expired export; rows of this window may repeat'))).toBe(true);
  });

  it('passes through other consume errors and bounds the re-creates', async () => {
    const boom = new Error('disk full');
    const port1 = new FakePort([['complete']]);
    await expect(runJob({ ...opts(port1, new FakeClock()), isExpiredError, consume: async () => Promise.reject(boom) })).rejects.toBe(boom);

    const port2 = new FakePort([['complete'], ['complete'], ['complete'], ['complete']]);
    const err = await runJob({
      ...opts(port2, new FakeClock()),
      maxExpiredRecreates: 2,
      isExpiredError,
      consume: async () => Promise.reject(expired),
    }).catch((e: unknown) => e);
    expect((err as ConnectorError).code).toBe('JOB_EXPIRED');
    expect(port2.created).toHaveLength(3);
  });

  it('does not re-create the resumed job after it expired: the new job is created fresh', async () => {
    const port = new FakePort([['complete']], { saved: ['complete'] });
    const consumed: string[] = [];
    await runJob({
      ...opts(port, new FakeClock()),
      resumeId: 'saved',
      isExpiredError,
      consume: async (j) => {
        consumed.push(j.id);
        if (j.id === 'saved') throw expired;
      },
    });
    expect(consumed).toEqual(['saved', 'job1']);
  });
});
