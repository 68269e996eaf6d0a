/**
 * When to read the oldest unfinished job of a service that runs jobs one at a time, oldest first.
 *
 * Reading a job before it can be finished wastes a call; reading it long after it finished leaves
 * its results waiting and, at the end of a run, the run itself. The service's order tells when a
 * job starts: when the one before it finishes. So the schedule learns how long a job takes from
 * how far apart the finishes were seen, and reads the next job about that long after the previous
 * one was seen finished:
 *
 * - A job's first read is never before `initialMs` after its creation (the configured first poll).
 * - Until a duration is known (the first job of a run): `initialMs` after it became the oldest
 *   unfinished job, as the configured schedule says.
 * - Then: the estimated duration after the previous job was seen finished (or after its own creation
 *   when the service was idle then), a little early (EARLY_FRACTION): when the previous finish was
 *   seen late, this catches up; when it was seen on time, the read comes too early and the next
 *   one follows the configured backoff. So the delay between a finish and its discovery stays
 *   within one `initialMs`, and it never grows from job to job. Reading early costs nothing while
 *   other jobs wait behind the head (the service stays busy); the last job of all, whose discovery
 *   the whole run waits for, is read a little after its estimated finish instead (LATE_FRACTION).
 * - A read that finds the job unfinished is followed by reads `initialMs` later, then doubling up
 *   to `maxMs` (the configured backoff, from the first miss on).
 *
 * The estimate comes from jobs read both before and after they finished (a point early in that
 * bracket, BRACKET_POINT, from the previous job's estimated finish); a job found finished on its
 * first read only bounds it from above (a late read must not inflate it). Pure bookkeeping on local
 * timestamps (ms).
 */

/** How much earlier than the estimated duration a first read comes (a fraction of it). */
export const EARLY_FRACTION = 0.05;
/** How much later than the estimated duration the first read of the last job comes (a fraction of it). */
export const LATE_FRACTION = 0.03;
/** Weight of a new interval in the estimate. */
const SAMPLE_WEIGHT = 0.3;
/**
 * Where in (last miss, first hit] a finish is taken to lie: early in it. An estimate that errs short
 * is corrected by the next read, which misses; one that errs long only by jobs found finished on
 * their first read, slowly. Chosen with EARLY_FRACTION by measurement (bench/README.md, queue): on
 * the fake's one-at-a-time queue, 0.35 and 0.05 kept it busiest with fewer reads per export than
 * the old schedule (0.5 left the last export waiting longer; 0.25, or 0.1 early, read more).
 */
const BRACKET_POINT = 0.35;

interface JobTimes {
  createdAt: number;
  /** When the poll loop first asked for this job as the oldest unfinished one. */
  headSince: number | null;
  /** When the job it queued behind was seen finished (null: the service was idle when it was created). */
  anchor: number | null;
  lastMiss: number | null;
  delay: number;
}

export class PollSchedule {
  private readonly jobs = new Map<string, JobTimes>();
  /** Estimated duration of one job (ms); null until one was seen. */
  private estimate: number | null = null;
  /** When the latest finish was seen. */
  private lastSeen: number | null = null;
  /**
   * When the job finished last is estimated to have finished: the middle of its last miss and the
   * read that saw it done, or (found on its first read) that read. The next job started then.
   */
  private lastFinish: number | null = null;

  constructor(private readonly o: { initialMs: number; maxMs: number }) {}

  get estimateMs(): number | null {
    return this.estimate;
  }

  /** A job entered the service's queue at `createdAt` (created, or resumed: when it was seen). */
  entered(id: string, createdAt: number): void {
    this.jobs.set(id, { createdAt, headSince: null, anchor: null, lastMiss: null, delay: Math.max(1, this.o.initialMs) });
  }

  /** When to read job `id`, the oldest unfinished one, as of `now` (`last`: no other job waits behind it). */
  due(id: string, now: number, last = false): number {
    const j = this.jobs.get(id);
    if (!j) return now;
    if (j.headSince === null) {
      j.headSince = now;
      // It waited behind the job seen finished last if it existed before that was seen: it started when that one finished.
      j.anchor = this.lastSeen !== null && j.createdAt < this.lastSeen ? Math.max(j.createdAt, this.lastFinish ?? this.lastSeen) : null;
    }
    const earliest = j.createdAt + this.o.initialMs;
    if (j.lastMiss !== null) return Math.max(earliest, j.lastMiss + j.delay);
    if (this.estimate === null) return Math.max(earliest, j.headSince + this.o.initialMs);
    const from = j.anchor ?? j.createdAt;
    return Math.max(earliest, from + this.estimate * (last ? 1 + LATE_FRACTION : 1 - EARLY_FRACTION));
  }

  /** A read at `now` found the job not finished yet. */
  notYet(id: string, now: number): void {
    const j = this.jobs.get(id);
    if (!j) return;
    if (j.lastMiss !== null) j.delay = Math.min(Math.max(1, j.delay * 2), Math.max(1, this.o.maxMs));
    j.lastMiss = now;
  }

  /** A read at `now` found the job finished (complete, failed, canceled), or it was given up. */
  finished(id: string, now: number): void {
    const j = this.jobs.get(id);
    this.jobs.delete(id);
    let finish = now;
    if (j && j.headSince !== null) {
      // Back to back, it started when the previous one finished; else at its creation.
      const start = j.anchor ?? j.createdAt;
      if (j.lastMiss !== null) {
        // Finished between its last miss and now: a two-sided sample of the duration.
        finish = Math.max(j.lastMiss, start) + (now - Math.max(j.lastMiss, start)) * BRACKET_POINT;
        const sample = Math.max(0, finish - start);
        this.estimate = this.estimate === null ? sample : this.estimate * (1 - SAMPLE_WEIGHT) + sample * SAMPLE_WEIGHT;
      } else {
        // Found on its first read: it took at most this long (a late read says nothing more).
        const upper = now - start;
        this.estimate = this.estimate === null ? upper : Math.min(this.estimate, upper);
      }
    }
    this.lastSeen = now;
    this.lastFinish = finish;
  }
}
