/**
 * Virtual time for the job queue's tests: a Clock whose sleeps end when the test's driver moves
 * time on, and a FIFO service (one job at a time, oldest first, each taking a given time) behind a
 * JobPort, so that the queue's polling can be measured exactly and repeatably: the service's busy
 * time, reads per job, and when each result became known.
 */
import { abortError, type Clock } from '../../src/clock.js';
import type { JobPort, JobSnapshot } from '../../src/jobs/types.js';

interface Timer {
  at: number;
  seq: number;
  resolve(): void;
}

export class VirtualClock implements Clock {
  t = 0;
  private timers: Timer[] = [];
  private seq = 0;
  now = (): number => this.t;
  sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(abortError());
      const timer: Timer = { at: this.t + Math.max(0, ms), seq: this.seq++, resolve: () => undefined };
      const onAbort = () => {
        this.timers = this.timers.filter((x) => x !== timer);
        reject(abortError());
      };
      timer.resolve = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.timers.push(timer);
    });

  /** Lets every pending promise reaction run (several macrotask turns). */
  static async settle(): Promise<void> {
    for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
  }

  /** Runs until `done` settles: whenever nothing else can happen, time jumps to the next timer. */
  async runUntil<T>(done: Promise<T>, limitMs = 1e9): Promise<T> {
    let over = false;
    done.then(
      () => (over = true),
      () => (over = true),
    );
    for (;;) {
      await VirtualClock.settle();
      if (over) return done;
      if (this.timers.length === 0) throw new Error(`virtual time: nothing left to wait for at t=${this.t}, and the run has not ended`);
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers.shift()!;
      if (next.at > limitMs) throw new Error(`virtual time: past ${limitMs} ms`);
      this.t = Math.max(this.t, next.at);
      next.resolve();
    }
  }
}

interface ServiceJob {
  id: string;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  duration: number;
  reads: number;
  canceled: boolean;
  knownAt: number | null;
}

/**
 * A service that runs its jobs one at a time, oldest first; job k (0-based, in creation order)
 * takes `duration(k)` ms. State is computed from the virtual clock on every call.
 */
export class FifoService implements JobPort<{ n: number }> {
  readonly jobs: ServiceJob[] = [];
  constructor(
    private readonly clock: VirtualClock,
    private readonly duration: (k: number) => number,
  ) {}

  private advance(): void {
    let free = 0;
    for (const j of this.jobs) {
      if (j.canceled && j.startedAt === null) continue;
      const start = Math.max(j.createdAt, free);
      if (start > this.clock.t) break;
      j.startedAt = start;
      j.finishedAt = start + j.duration;
      free = j.finishedAt;
    }
  }

  private snap(j: ServiceJob): JobSnapshot {
    this.advance();
    const t = this.clock.t;
    const status = j.canceled ? 'canceled' : j.finishedAt !== null && j.finishedAt <= t ? 'complete' : j.startedAt !== null ? 'running' : 'pending';
    if (status === 'complete' && j.knownAt === null) j.knownAt = t;
    return { id: j.id, status, expired: false, files: status === 'complete' ? [`${j.id}.csv`] : [], createdAt: null };
  }

  async create(): Promise<JobSnapshot> {
    const k = this.jobs.length;
    const j: ServiceJob = { id: `job${k + 1}`, createdAt: this.clock.t, startedAt: null, finishedAt: null, duration: this.duration(k), reads: 0, canceled: false, knownAt: null };
    this.jobs.push(j);
    return this.snap(j);
  }

  async read(id: string): Promise<JobSnapshot> {
    const j = this.jobs.find((x) => x.id === id)!;
    j.reads++;
    return this.snap(j);
  }

  async cancel(id: string): Promise<void> {
    const j = this.jobs.find((x) => x.id === id);
    if (j && (j.finishedAt === null || j.finishedAt > this.clock.t)) j.canceled = true;
  }

  /** Sum of the jobs' durations (the service's busy time). */
  busyMs(): number {
    return this.jobs.reduce((s, j) => s + (j.canceled ? 0 : j.duration), 0);
  }

  readsPerJob(): number {
    return this.jobs.reduce((s, j) => s + j.reads, 0) / Math.max(1, this.jobs.length);
  }
}
