/**
 * A queue of asynchronous jobs kept busy ahead of its consumers, for a service that runs one
 * account's jobs one at a time, oldest first (Pardot's exports: wire-contract.md, "Exports of one
 * business unit are processed one at a time"). Knows nothing of the service behind the port.
 *
 * - Jobs are submitted in the order they will be consumed (every window of every stream, up front;
 *   a spec is computed only when its job is created). Up to `depth` jobs exist at once, created and
 *   not yet released by their consumer, so the service always has the next one waiting while the
 *   current one's results download.
 * - One poll loop reads only the oldest job not known to be finished (the service finishes them in
 *   order: a newer one cannot be done first), on a schedule predicted from how long jobs have taken
 *   (poll-schedule.ts), within the configured bounds. A job that completes while an earlier one is
 *   being consumed is ready when its consumer asks.
 * - A failed job, or one that completed already expired, is created again (bounded); a job past its
 *   deadline is canceled; on close (a stop, an error) every job still waiting or running is canceled
 *   (best effort, bounded), since one left queued would delay every later job of the account.
 */
import { abortError, type Clock } from '../clock.js';
import { ConnectorError, isConnectorError } from '../errors.js';
import { PollSchedule } from './poll-schedule.js';
import type { JobPort, JobSnapshot } from './types.js';

export type JobLog = (level: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR', message: string) => void;

export interface JobRequest<Spec> {
  /** The job's spec, computed when the job is created (so it takes what is known then). */
  spec(): Spec;
  /** For messages, e.g. "prospects 2024-01-01..2024-07-01". */
  label: string;
  /** A job from saved state: read first, kept when waiting, running or complete; else a new one is made. */
  resumeId?: string;
  /**
   * Called just before a job is created, with how many other jobs exist and are not released;
   * throws to refuse it (e.g. the run's call budget, which those jobs still draw on).
   */
  admit?(othersLive: number): void;
  /** Called once a job exists (created, resumed, or a new one replacing a failed one): record it. */
  onCreated?(snapshot: JobSnapshot): void;
  /** Not created before this settles (nor is anything submitted after it): e.g. until earlier jobs are processed. */
  gate?: Promise<unknown>;
  /** A read of the saved job (resumeId) failing with this error means "create a new one" (WARN given by the caller). */
  resumeRefused?(error: unknown): boolean;
}

export interface JobTicket {
  /** The complete, unexpired job; rejects with what stopped it. */
  readonly done: Promise<JobSnapshot>;
  /** The consumer has finished with the job (or gave up on it): its place goes to the next job. */
  release(): void;
}

export interface JobQueueOptions<Spec> {
  port: JobPort<Spec>;
  clock: Clock;
  /** Reads of one job are at least this far apart, and a job is first read this long after it is created. */
  pollInitialMs: number;
  /** ... and at most this far apart while it is the oldest unfinished job. */
  pollMaxMs: number;
  /**
   * From when a job became the oldest unfinished one (the service started it, or would have: the
   * time it waited behind earlier jobs does not count): past it the job is canceled (JOB_DEADLINE).
   */
  deadlineMs: number;
  /** Most jobs created and not yet released at once. */
  depth: number;
  log?: JobLog;
  signal?: AbortSignal;
  /** A failed job is created again at most this often (default 2), then JOB_FAILED. */
  maxFailedRetries?: number;
  /** A job complete but already expired is created again at most this often (default 2), then JOB_EXPIRED. */
  maxExpiredRecreates?: number;
}

export const DEFAULT_MAX_FAILED_RETRIES = 2;
export const DEFAULT_MAX_EXPIRED_RECREATES = 2;
/** Wall-clock bound of a best-effort cancel: shutting down must not hang on it. */
export const CANCEL_TIMEOUT_MS = 3000;

type Phase = 'waiting' | 'creating' | 'active' | 'done' | 'failed' | 'released';

interface Entry<Spec> {
  req: JobRequest<Spec>;
  phase: Phase;
  /** Submitted with `front` (a job made again for the window its consumer is on): created even when the queue is full. */
  urgent: boolean;
  snap: JobSnapshot | null;
  /** Local time the current job was created (or resumed). */
  createdAt: number;
  /** Local time it became the oldest unfinished job (null: not yet). */
  headSince: number | null;
  /** Whether the current job was created by this run (a canceled one is then an error). */
  createdHere: boolean;
  failures: number;
  expiries: number;
  resolve(s: JobSnapshot): void;
  reject(e: unknown): void;
}

export interface JobQueueStats {
  created: number;
  resumed: number;
  reads: number;
  canceled: number;
  /** Most jobs that existed at once (created, not released; a failed create holds no place). */
  maxLive: number;
}

export class JobQueue<Spec> {
  private readonly waiting: Entry<Spec>[] = [];
  /** Created (or being created) and not released, in the order the service received them. */
  private readonly live: Entry<Spec>[] = [];
  private readonly schedule: PollSchedule;
  private readonly log: JobLog;
  private polling = false;
  private creating = false;
  /** The create (or resume) on its way, if any: a stop waits for it, so the job it makes is canceled. */
  private started: Promise<void> = Promise.resolve();
  /** Jobs a cancel was sent for. */
  private readonly canceling = new Set<string>();
  /** Aborts creates still on their way CANCEL_TIMEOUT_MS after a stop. */
  private readonly creates = new AbortController();
  private closed = false;
  private closing: Promise<void> | null = null;
  /** Gates seen settled, and gates already being waited for. */
  private readonly opened = new WeakSet<Promise<unknown>>();
  private readonly watched = new WeakSet<Promise<unknown>>();
  /** Wakes the poll loop early (a job became active, or the queue closed). */
  private nudge: AbortController = new AbortController();
  readonly stats: JobQueueStats = { created: 0, resumed: 0, reads: 0, canceled: 0, maxLive: 0 };

  constructor(private readonly o: JobQueueOptions<Spec>) {
    this.log = o.log ?? (() => {});
    this.schedule = new PollSchedule({ initialMs: o.pollInitialMs, maxMs: o.pollMaxMs });
    o.signal?.addEventListener('abort', () => void this.close(), { once: true });
  }

  /** Adds a job after those submitted so far (`front`: before them, e.g. a window created again). */
  submit(req: JobRequest<Spec>, opts: { front?: boolean } = {}): JobTicket {
    let resolve!: (s: JobSnapshot) => void;
    let reject!: (e: unknown) => void;
    const done = new Promise<JobSnapshot>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    done.catch(() => undefined); // awaited by its consumer in order; never an unhandled rejection meanwhile
    const e: Entry<Spec> = { req, phase: 'waiting', urgent: opts.front === true, snap: null, createdAt: 0, headSince: null, createdHere: false, failures: 0, expiries: 0, resolve, reject };
    if (this.closed) {
      e.phase = 'released';
      reject(this.closedError());
    } else {
      if (opts.front) this.waiting.unshift(e);
      else this.waiting.push(e);
      this.pump();
    }
    return { done, release: () => this.release(e) };
  }

  /** Jobs that exist in the service (or are being created) and are not released: what `depth` bounds. */
  get liveCount(): number {
    return this.occupied();
  }

  private occupied(except?: Entry<Spec>): number {
    let n = 0;
    for (const e of this.live) if (e !== except && (e.phase === 'creating' || e.phase === 'active' || e.phase === 'done')) n++;
    return n;
  }

  /** Stops: waiting tickets are rejected, and jobs still waiting or running in the service are canceled (bounded). */
  close(): Promise<void> {
    // Every caller (the signal's listener, the run's finally) waits for the same cancels.
    return (this.closing ??= this.shutDown());
  }

  private async shutDown(): Promise<void> {
    this.closed = true;
    this.nudge.abort();
    setTimeout(() => this.creates.abort(), CANCEL_TIMEOUT_MS).unref?.();
    for (const e of this.waiting.splice(0)) {
      e.phase = 'released';
      e.reject(this.closedError());
    }
    const active = this.live.filter((e) => e.phase === 'active' || e.phase === 'creating');
    const toCancel = active.filter((e) => e.snap !== null && e.phase === 'active');
    for (const e of active) this.fail(e, this.closedError());
    await Promise.allSettled([...toCancel.map((e) => this.cancel(e)), this.started]);
  }

  private closedError(): Error {
    const r: unknown = this.o.signal?.reason;
    return this.o.signal?.aborted && r instanceof Error && r.name === 'AbortError' ? r : abortError();
  }

  private release(e: Entry<Spec>): void {
    if (e.phase === 'released') return;
    const wasActive = e.phase === 'active';
    if (e.phase === 'waiting') {
      const w = this.waiting.indexOf(e);
      if (w >= 0) this.waiting.splice(w, 1);
      e.reject(this.closedError());
    }
    e.phase = 'released';
    const i = this.live.indexOf(e);
    if (i >= 0) this.live.splice(i, 1);
    // A consumer that gives up on a job still queued in the service: cancel it so it does not hold the queue.
    if (wasActive && e.snap !== null) void this.cancel(e);
    this.pump();
  }

  /**
   * Creates waiting jobs, in order, one at a time, while there is room and the next one's gate is
   * open. One create at a time: the service queues them anyway, and a stop then finds at most one
   * job created and not yet recorded by its consumer (a SIGKILL between the service's answer and
   * that record is the one window nothing can close).
   */
  private pump(): void {
    if (this.creating || this.closed || this.waiting.length === 0) return;
    const next = this.waiting[0]!;
    // A job made again for the window its consumer waits on takes a place even in a full queue:
    // the places may all be held by jobs of later windows, whose consumers come after it.
    if (!next.urgent && this.occupied() >= Math.max(1, this.o.depth)) return;
    if (next.req.gate && !this.opened.has(next.req.gate)) {
      if (!this.watched.has(next.req.gate)) {
        const gate = next.req.gate;
        this.watched.add(gate);
        const open = () => {
          this.opened.add(gate);
          this.pump();
        };
        gate.then(open, open);
      }
      return;
    }
    const e = this.waiting.shift()!;
    e.phase = 'creating';
    this.live.push(e);
    this.stats.maxLive = Math.max(this.stats.maxLive, this.occupied());
    this.creating = true;
    this.started = this.start(e).finally(() => {
      this.creating = false;
      this.pump();
    });
  }

  /** Creates (or resumes) an entry's job; then the poll loop watches it. */
  private async start(e: Entry<Spec>): Promise<void> {
    try {
      const resumed = e.req.resumeId !== undefined ? await this.resume(e) : null;
      if (resumed === 'complete') return;
      if (resumed === null) await this.create(e);
      this.watch(e);
    } catch (err) {
      this.fail(e, err);
    }
  }

  private async resume(e: Entry<Spec>): Promise<'complete' | 'active' | null> {
    const id = e.req.resumeId!;
    let snap: JobSnapshot;
    try {
      this.stats.reads++;
      snap = await this.o.port.read(id, this.o.signal);
    } catch (err) {
      if (this.o.signal?.aborted || !(e.req.resumeRefused?.(err) || unusableSaved(err))) throw err;
      this.log('INFO', `Saved job ${id} for ${e.req.label} cannot be resumed (${(err as Error).message}); creating a new one`);
      return null;
    }
    this.stats.resumed++;
    e.snap = snap;
    e.createdAt = this.o.clock.now();
    if (snap.status === 'complete' && !snap.expired) {
      this.log('INFO', `Resuming ${e.req.label}: job ${snap.id} is already complete`);
      e.req.onCreated?.(snap);
      this.finish(e, snap);
      return 'complete';
    }
    if (snap.status === 'pending' || snap.status === 'running') {
      this.log('INFO', `Resuming ${e.req.label}: job ${snap.id} is ${snap.status}`);
      e.req.onCreated?.(snap);
      return 'active';
    }
    this.log('INFO', `Saved job ${snap.id} for ${e.req.label} is ${snap.expired ? 'expired' : snap.status}; creating a new one`);
    return null;
  }

  private async create(e: Entry<Spec>): Promise<void> {
    if (this.closed) throw this.closedError();
    e.req.admit?.(this.occupied(e));
    // Not aborted with the run: a create on its way when the run stops would otherwise leave a job
    // the service made and nobody knows of. It ends (bounded after a stop), and is canceled below.
    const snap = await this.o.port.create(e.req.spec(), this.creates.signal);
    if (e.phase === 'released' || this.closed) {
      // Released or stopped while the create was on its way: the job exists, so cancel it.
      e.snap = snap;
      e.phase = 'active';
      await this.cancel(e);
      throw this.closedError();
    }
    this.stats.created++;
    e.snap = snap;
    e.createdAt = this.o.clock.now();
    e.headSince = null;
    e.createdHere = true;
    this.log('INFO', `Created job ${snap.id} for ${e.req.label}`);
    e.req.onCreated?.(snap);
  }

  /** The job exists and is not final: the poll loop reads it when it is the oldest unfinished one. */
  private watch(e: Entry<Spec>): void {
    if (e.phase === 'released') return;
    e.phase = 'active';
    // A job created again (failed, expired) joins the end of the service's queue.
    const i = this.live.indexOf(e);
    if (i >= 0) this.live.splice(i, 1);
    this.live.push(e);
    this.schedule.entered(e.snap!.id, e.createdAt);
    this.nudge.abort();
    if (!this.polling) void this.pollLoop();
  }

  private finish(e: Entry<Spec>, snap: JobSnapshot): void {
    e.snap = snap;
    if (e.phase !== 'released') e.phase = 'done';
    e.resolve(snap);
  }

  private fail(e: Entry<Spec>, err: unknown): void {
    if (e.phase !== 'released') e.phase = 'failed';
    e.reject(this.o.signal?.aborted ? this.closedError() : err);
  }

  /** The oldest job not known to be finished. */
  private head(): Entry<Spec> | undefined {
    return this.live.find((e) => e.phase === 'active');
  }

  private async pollLoop(): Promise<void> {
    this.polling = true;
    try {
      for (;;) {
        if (this.closed) return;
        this.expireDeadlines();
        const head = this.head();
        if (!head) return;
        const id = head.snap!.id;
        const now = this.o.clock.now();
        head.headSince ??= now;
        const last = this.waiting.length === 0 && !this.live.some((e) => e !== head && (e.phase === 'active' || e.phase === 'creating'));
        const due = Math.min(this.schedule.due(id, now, last), this.nextDeadline());
        if (due > now) {
          this.nudge = new AbortController();
          const wake = AbortSignal.any([this.nudge.signal, ...(this.o.signal ? [this.o.signal] : [])]);
          await this.o.clock.sleep(due - now, wake).catch(() => undefined);
          continue; // re-evaluate: the head, a deadline or the queue may have changed
        }
        await this.readHead(head);
      }
    } finally {
      this.polling = false;
    }
  }

  private async readHead(e: Entry<Spec>): Promise<void> {
    const id = e.snap!.id;
    let snap: JobSnapshot;
    try {
      this.stats.reads++;
      snap = await this.o.port.read(id, this.o.signal);
    } catch (err) {
      this.fail(e, err);
      return;
    }
    if (e.phase !== 'active') return; // released or closed meanwhile
    e.snap = snap;
    const now = this.o.clock.now();
    if (snap.status === 'pending' || snap.status === 'running') {
      this.schedule.notYet(id, now);
      return;
    }
    this.schedule.finished(id, now);
    if (snap.status === 'complete' && !snap.expired) return this.finish(e, snap);
    try {
      await this.again(e, snap);
    } catch (err) {
      this.fail(e, err);
    }
  }

  /** A job that ended without usable results: failed, complete but expired, or canceled. */
  private async again(e: Entry<Spec>, snap: JobSnapshot): Promise<void> {
    const label = e.req.label;
    const maxFailed = this.o.maxFailedRetries ?? DEFAULT_MAX_FAILED_RETRIES;
    const maxExpired = this.o.maxExpiredRecreates ?? DEFAULT_MAX_EXPIRED_RECREATES;
    if (snap.status === 'failed') {
      if (++e.failures > maxFailed) {
        throw new ConnectorError(
          'JOB_FAILED',
          `Job ${snap.id} for ${label} failed ${e.failures} times in a row (the service gives no reason). Run again later; if it keeps failing, use a smaller window or fewer fields.`,
          { failureType: 'system_error', context: { exportId: snap.id, label, failures: e.failures } },
        );
      }
      this.log('WARN', `Job ${snap.id} for ${label} failed; creating it again (${e.failures}/${maxFailed})`);
    } else if (snap.status === 'complete') {
      if (++e.expiries > maxExpired) {
        throw new ConnectorError('JOB_EXPIRED', `Job ${snap.id} for ${label} completed already expired, ${e.expiries} times in a row; report it.`, {
          failureType: 'system_error',
          context: { exportId: snap.id, label },
        });
      }
      this.log('WARN', `Job ${snap.id} for ${label} completed already expired; creating it again (${e.expiries}/${maxExpired})`);
    } else if (snap.status === 'canceled') {
      if (e.createdHere) {
        throw new ConnectorError(
          'JOB_CANCELED',
          `Job ${snap.id} for ${label} was canceled before it finished, by someone else or by the service's own auto-cancel of jobs that run too long; ` +
            `nothing of it was emitted. Run again.`,
          { failureType: 'system_error', context: { exportId: snap.id, label } },
        );
      }
      this.log('INFO', `Resumed job ${snap.id} for ${label} was canceled; creating a new one`);
    } else {
      const s: string = snap.status;
      throw new ConnectorError('JOB_UNKNOWN_STATUS', `Job ${snap.id} for ${label} has status '${s}', which the job runner does not know; report it.`, {
        failureType: 'system_error',
        context: { exportId: snap.id, label },
      });
    }
    e.phase = 'creating';
    await this.create(e);
    this.watch(e);
  }

  /** Jobs past their deadline are canceled and fail (JOB_DEADLINE). */
  private expireDeadlines(): void {
    const now = this.o.clock.now();
    for (const e of this.live) {
      if (e.phase !== 'active' || e.headSince === null || now - e.headSince < this.o.deadlineMs) continue;
      const id = e.snap!.id;
      e.phase = 'failed';
      this.schedule.finished(id, now);
      void this.cancel(e);
      e.reject(
        new ConnectorError(
          'JOB_DEADLINE',
          `Job ${id} for ${e.req.label} did not finish within ${formatMs(this.o.deadlineMs)}; it was canceled. Run again later (state up to the last finished window is kept), or allow more time.`,
          { failureType: 'transient_error', context: { exportId: id, label: e.req.label, deadlineMs: this.o.deadlineMs } },
        ),
      );
    }
  }

  private nextDeadline(): number {
    let t = Infinity;
    for (const e of this.live) if (e.phase === 'active' && e.headSince !== null) t = Math.min(t, e.headSince + this.o.deadlineMs);
    return t;
  }

  /** Best-effort cancel (once per job), never throwing and never taking more than CANCEL_TIMEOUT_MS of wall time. */
  private async cancel(e: Entry<Spec>): Promise<void> {
    const id = e.snap?.id;
    if (id === undefined || this.canceling.has(id)) return;
    this.canceling.add(id);
    const ac = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => {
        ac.abort();
        resolve('timeout');
      }, CANCEL_TIMEOUT_MS);
      timer.unref?.();
    });
    try {
      const r = await Promise.race([this.o.port.cancel(id, ac.signal).then(() => 'ok' as const), timeout]);
      if (r === 'ok') this.stats.canceled++;
      this.log(r === 'ok' ? 'INFO' : 'WARN', r === 'ok' ? `Canceled job ${id} for ${e.req.label}` : `Canceling job ${id} for ${e.req.label} took too long; left it`);
    } catch (err) {
      this.log('WARN', `Could not cancel job ${id} for ${e.req.label}: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * A saved job whose read answers that it cannot be used (gone: a 4xx; malformed: an unknown status)
 * is replaced by a new one, because failing on it would fail every later run from the same state.
 * Transient and config errors (network, budget, credentials) and aborts are thrown: a new job would
 * fail the same way.
 */
function unusableSaved(e: unknown): boolean {
  return isConnectorError(e) && e.failureType === 'system_error';
}

function formatMs(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Math.round(ms / 1000)} s`;
}
