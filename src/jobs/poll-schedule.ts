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
 *   within one `initialMs`, and it never grows from job to job.
 * - A read that finds the job unfinished is followed by reads `initialMs` later, then doubling up
 *   to `maxMs` (the configured backoff, from the first miss on).
 *
 * The estimate comes from jobs read both before and after they finished (the middle of that
 * bracket, from the previous finish seen); a job found finished on its first read only bounds it
 * from above (a late read must not inflate it). Pure bookkeeping on local timestamps (ms).
 */

/** How much earlier than the estimated duration a first read comes (a fraction of it). */
export const EARLY_FRACTION = 0.1;
/** Weight of a new interval in the estimate. */
const SAMPLE_WEIGHT = 0.3;

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
  /** When the latest finish was seen, and whether a job was still unfinished behind it then. */
  private lastSeen: number | null = null;

  constructor(private readonly o: { initialMs: number; maxMs: number }) {}

  get estimateMs(): number | null {
    return this.estimate;
  }

  /** A job entered the service's queue at `createdAt` (created, or resumed: when it was seen). */
  entered(id: string, createdAt: number): void {
    this.jobs.set(id, { createdAt, headSince: null, anchor: null, lastMiss: null, delay: Math.max(1, this.o.initialMs) });
  }

  /** When to read job `id`, the oldest unfinished one, as of `now`. */
  due(id: string, now: number): number {
    const j = this.jobs.get(id);
    if (!j) return now;
    if (j.headSince === null) {
      j.headSince = now;
      // It waited behind the job seen finished last if it existed before that was seen.
      j.anchor = this.lastSeen !== null && j.createdAt < this.lastSeen ? this.lastSeen : null;
    }
    const earliest = j.createdAt + this.o.initialMs;
    if (j.lastMiss !== null) return Math.max(earliest, j.lastMiss + j.delay);
    if (this.estimate === null) return Math.max(earliest, j.headSince + this.o.initialMs);
    const from = j.anchor ?? j.createdAt;
    return Math.max(earliest, from + this.estimate * (1 - EARLY_FRACTION));
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
    if (j && j.headSince !== null) {
      // Back to back, it started when the previous finish was seen (or earlier); else at its creation.
      const start = j.anchor ?? j.createdAt;
      if (j.lastMiss !== null) {
        // Finished between its last miss and now: a two-sided sample of the duration.
        const sample = Math.max(0, (Math.max(j.lastMiss, start) + now) / 2 - start);
        this.estimate = this.estimate === null ? sample : this.estimate * (1 - SAMPLE_WEIGHT) + sample * SAMPLE_WEIGHT;
      } else {
        // Found on its first read: it took at most this long (a late read says nothing more).
        const upper = now - start;
        this.estimate = this.estimate === null ? upper : Math.min(this.estimate, upper);
      }
    }
    this.lastSeen = now;
  }
}
