/**
 * The job runner's port. It knows nothing of Pardot: a job is created from a spec, read until
 * its status is final, and its result files are handed to a consumer.
 */
export type JobStatus = 'pending' | 'running' | 'complete' | 'failed' | 'canceled';

export interface JobSnapshot {
  id: string;
  status: JobStatus;
  expired: boolean;
  files: string[];
  /** When the service says the job was created, as it wrote it (Pardot: ISO 8601 with the user's offset). */
  createdAt: string | null;
}

export interface JobPort<Spec> {
  create(spec: Spec, signal?: AbortSignal): Promise<JobSnapshot>;
  read(id: string, signal?: AbortSignal): Promise<JobSnapshot>;
  cancel(id: string, signal?: AbortSignal): Promise<void>;
}
