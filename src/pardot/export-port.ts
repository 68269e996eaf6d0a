/** The job runner's port over Pardot exports: Pardot's states mapped onto the runner's statuses. */
import type { JobPort, JobSnapshot, JobStatus } from '../jobs/types.js';
import type { CreateExportRequest, ExportResource, PardotApi } from './types.js';
import type { ExportState } from './wire.js';

const STATUS: Record<ExportState, JobStatus> = {
  Waiting: 'pending',
  Processing: 'running',
  Complete: 'complete',
  Failed: 'failed',
  Canceled: 'canceled',
};

export function toJobSnapshot(e: ExportResource): JobSnapshot {
  return { id: e.id, status: STATUS[e.state], expired: e.isExpired, files: [...e.resultRefs], createdAt: e.createdAt };
}

export function createExportPort(api: PardotApi): JobPort<CreateExportRequest> {
  return {
    create: async (spec, signal) => toJobSnapshot(await api.createExport(spec, signal)),
    read: async (id, signal) => toJobSnapshot(await api.readExport(id, signal)),
    cancel: async (id, signal) => {
      await api.cancelExport(id, signal);
    },
  };
}
