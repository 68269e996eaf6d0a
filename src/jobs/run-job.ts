/**
 * Runs one asynchronous job to completion through a JobPort: create (or resume), poll with a
 * doubling capped wait, re-create a failed or expired job (bounded), cancel on deadline or abort.
 * Knows nothing of the service behind the port (Airbyte CDK async-job style).
 */
import { abortError, type Clock } from '../clock.js';
import { ConnectorError, isConnectorError } from '../errors.js';
import type { JobPort, JobSnapshot } from './types.js';

export type JobLog = (level: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR', message: string) => void;

export interface WaitOptions<Spec> {
  port: JobPort<Spec>;
  spec: Spec;
  clock: Clock;
  /** First wait before the first read; then doubling, capped at pollMaxMs. */
  pollInitialMs: number;
  pollMaxMs: number;
  /** From the job's creation (or from resuming it); past it the job is canceled: JOB_DEADLINE. */
  deadlineMs: number;
  /** A 'failed' job is re-created at most this often (default 2), then JOB_FAILED. */
  maxFailedRetries?: number;
  /** A job that completes already expired is re-created at most this often (default 2), then JOB_EXPIRED. */
  maxExpiredRecreates?: number;
  /** A job from saved state: read first; kept when pending/running/complete, else a new one is created. */
  resumeId?: string;
  /** Abort: cancel the job if still pending/running (best effort, bounded 3 s), then throw the AbortError. */
  signal?: AbortSignal;
  onCreated?: (id: string, snapshot: JobSnapshot) => void | Promise<void>;
  log?: JobLog;
  /** For messages, e.g. "prospects 2024-01-01..2024-07-01". */
  label?: string;
}

export interface RunJobOptions<Spec> extends WaitOptions<Spec> {
  consume(job: JobSnapshot): Promise<void>;
  /** Whether an error thrown by consume means the job's results expired (re-create and consume again). */
  isExpiredError(e: unknown): boolean;
}

export const DEFAULT_MAX_FAILED_RETRIES = 2;
export const DEFAULT_MAX_EXPIRED_RECREATES = 2;
/** Wall-clock bound of a best-effort cancel: shutting down must not hang on it. */
export const CANCEL_TIMEOUT_MS = 3000;

const isActive = (s: JobSnapshot) => s.status === 'pending' || s.status === 'running';

/** Waits until a job of `spec` is complete and not expired, and returns its snapshot. */
export async function waitForJob<Spec>(o: WaitOptions<Spec>): Promise<JobSnapshot> {
  const log: JobLog = o.log ?? (() => {});
  const label = o.label ?? 'job';
  const maxFailed = o.maxFailedRetries ?? DEFAULT_MAX_FAILED_RETRIES;
  const maxExpired = o.maxExpiredRecreates ?? DEFAULT_MAX_EXPIRED_RECREATES;
  const { port, clock, signal } = o;
  let failures = 0;
  let expiries = 0;
  // The job being watched, and whether the caller may still want it canceled on abort.
  let current: JobSnapshot | null = null;

  try {
    throwIfAborted(signal);
    let createdHere = false;
    let startedAt = clock.now();

    if (o.resumeId !== undefined) {
      const snap = await readResumed(port, o.resumeId, signal, log, label);
      if (snap) {
        if (isActive(snap)) {
          current = snap;
          log('INFO', `Resuming ${label}: job ${snap.id} is ${snap.status}`);
        } else if (snap.status === 'complete' && !snap.expired) {
          log('INFO', `Resuming ${label}: job ${snap.id} is already complete`);
          return snap;
        } else {
          log('INFO', `Saved job ${snap.id} for ${label} is ${snap.expired ? 'expired' : snap.status}; creating a new one`);
        }
      }
    }

    for (;;) {
      if (!current) {
        throwIfAborted(signal);
        current = await port.create(o.spec, signal);
        createdHere = true;
        startedAt = clock.now();
        log('INFO', `Created job ${current.id} for ${label}`);
        await o.onCreated?.(current.id, current);
      }

      let delay = Math.max(0, o.pollInitialMs);
      while (isActive(current)) {
        const remaining = startedAt + o.deadlineMs - clock.now();
        if (remaining <= 0) {
          const id = current.id;
          await cancelBounded(port, id, log, label);
          current = null;
          throw new ConnectorError(
            'JOB_DEADLINE',
            `Job ${id} for ${label} did not finish within ${formatMs(o.deadlineMs)}; it was canceled. Run again later (state up to the last finished window is kept), or allow more time.`,
            { failureType: 'transient_error', context: { exportId: id, label, deadlineMs: o.deadlineMs } },
          );
        }
        await clock.sleep(Math.min(delay, remaining), signal);
        current = await port.read(current.id, signal);
        delay = Math.min(Math.max(1, delay * 2), o.pollMaxMs);
      }

      const done: JobSnapshot = current;
      switch (done.status) {
        case 'complete':
          if (!done.expired) return done;
          expiries++;
          if (expiries > maxExpired) {
            throw new ConnectorError('JOB_EXPIRED', `Job ${done.id} for ${label} completed already expired, ${expiries} times in a row; report it.`, {
              failureType: 'system_error',
              context: { exportId: done.id, label },
            });
          }
          log('WARN', `Job ${done.id} for ${label} completed already expired; creating it again (${expiries}/${maxExpired})`);
          break;
        case 'failed':
          failures++;
          if (failures > maxFailed) {
            throw new ConnectorError(
              'JOB_FAILED',
              `Job ${done.id} for ${label} failed ${failures} times in a row (the service gives no reason). Run again later; if it keeps failing, use a smaller window or fewer fields.`,
              { failureType: 'system_error', context: { exportId: done.id, label, failures } },
            );
          }
          log('WARN', `Job ${done.id} for ${label} failed; creating it again (${failures}/${maxFailed})`);
          break;
        case 'canceled':
          if (createdHere) {
            throw new ConnectorError(
              'JOB_CANCELED',
              `Job ${done.id} for ${label} was canceled before it finished, by someone else or by the service's own auto-cancel of jobs that run too long; ` +
                `nothing of it was emitted. Run again.`,
              { failureType: 'system_error', context: { exportId: done.id, label } },
            );
          }
          log('INFO', `Resumed job ${done.id} for ${label} was canceled; creating a new one`);
          break;
        default: {
          // The port throws on statuses it does not know; this guards a port that does not.
          const s: string = done.status;
          throw new ConnectorError('JOB_UNKNOWN_STATUS', `Job ${done.id} for ${label} has status '${s}', which the job runner does not know; report it.`, {
            failureType: 'system_error',
            context: { exportId: done.id, label },
          });
        }
      }
      current = null;
    }
  } catch (e) {
    if (signal?.aborted) {
      if (current && isActive(current)) await cancelBounded(port, current.id, log, label);
      throw e instanceof Error && e.name === 'AbortError' ? e : abortOf(signal);
    }
    throw e;
  }
}

/**
 * Waits for the job, hands it to consume, and when consume reports that the job's results
 * expired, creates the job again (bounded) and consumes the new one.
 */
export async function runJob<Spec>(o: RunJobOptions<Spec>): Promise<JobSnapshot> {
  const log: JobLog = o.log ?? (() => {});
  const max = o.maxExpiredRecreates ?? DEFAULT_MAX_EXPIRED_RECREATES;
  let resumeId = o.resumeId;
  for (let recreated = 0; ; recreated++) {
    const job = await waitForJob({ ...o, resumeId });
    try {
      await o.consume(job);
      return job;
    } catch (e) {
      if (o.signal?.aborted || !o.isExpiredError(e)) throw e;
      if (recreated >= max) {
        throw new ConnectorError(
          'JOB_EXPIRED',
          `The results of ${o.label ?? 'the job'} expired while being read, ${recreated + 1} times; run again (with a higher download concurrency if it keeps happening).`,
          { failureType: 'transient_error', context: { exportId: job.id, label: o.label }, cause: e },
        );
      }
      log('WARN', `re-created expired export; rows of this window may repeat (${o.label ?? 'job'} ${job.id}, ${recreated + 1}/${max})`);
      resumeId = undefined;
    }
  }
}

/**
 * Reads a saved job. An answer that says the job cannot be used is a system_error from the port
 * (gone: HTTP 404; or malformed: an unknown status): then null, and a new job is created, because
 * failing on it would fail every later run from the same state. Transient and config errors
 * (network, budget, credentials) and aborts are thrown: a new job would fail the same way.
 */
async function readResumed<Spec>(port: JobPort<Spec>, id: string, signal: AbortSignal | undefined, log: JobLog, label: string): Promise<JobSnapshot | null> {
  try {
    return await port.read(id, signal);
  } catch (e) {
    if (signal?.aborted || !isConnectorError(e) || e.failureType !== 'system_error') throw e;
    const status = e.context.httpStatus;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      log('INFO', `Saved job ${id} for ${label} could not be read (HTTP ${status}: ${e.message}); creating a new one`);
    } else {
      log('WARN', `Saved job ${id} for ${label} cannot be resumed (${e.message}); creating a new one`);
    }
    return null;
  }
}

/** Best-effort cancel, never throwing and never taking more than CANCEL_TIMEOUT_MS of wall time. */
async function cancelBounded<Spec>(port: JobPort<Spec>, id: string, log: JobLog, label: string): Promise<void> {
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
    const r = await Promise.race([port.cancel(id, ac.signal).then(() => 'ok' as const), timeout]);
    log(r === 'ok' ? 'INFO' : 'WARN', r === 'ok' ? `Canceled job ${id} for ${label}` : `Canceling job ${id} for ${label} took too long; left it`);
  } catch (e) {
    log('WARN', `Could not cancel job ${id} for ${label}: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    clearTimeout(timer);
  }
}

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw abortOf(signal);
}

function abortOf(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  return r instanceof Error && r.name === 'AbortError' ? r : abortError();
}

function formatMs(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Math.round(ms / 1000)} s`;
}
