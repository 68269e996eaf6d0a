import { describe, expect, it } from 'vitest';
import { createExportPort, toJobSnapshot } from '../src/pardot/export-port.js';
import type { CreateExportRequest, ExportResource, PardotApi } from '../src/pardot/types.js';

const res = (over: Partial<ExportResource> = {}): ExportResource => ({
  id: '42',
  state: 'Waiting',
  isExpired: false,
  resultRefs: [],
  createdAt: '2024-05-04T13:45:10-07:00',
  updatedAt: null,
  ...over,
});

describe('export port', () => {
  it('maps every Pardot export state onto a job status', () => {
    expect(toJobSnapshot(res({ state: 'Waiting' })).status).toBe('pending');
    expect(toJobSnapshot(res({ state: 'Processing' })).status).toBe('running');
    expect(toJobSnapshot(res({ state: 'Complete' })).status).toBe('complete');
    expect(toJobSnapshot(res({ state: 'Failed' })).status).toBe('failed');
    expect(toJobSnapshot(res({ state: 'Canceled' })).status).toBe('canceled');
  });

  it('carries isExpired, resultRefs and createdAt over', () => {
    expect(toJobSnapshot(res({ state: 'Complete', isExpired: true, resultRefs: ['a', 'b'] }))).toEqual({
      id: '42',
      status: 'complete',
      expired: true,
      files: ['a', 'b'],
      createdAt: '2024-05-04T13:45:10-07:00',
    });
  });

  it('calls create, read and cancel on the API with the signal', async () => {
    const seen: string[] = [];
    const ac = new AbortController();
    const api = {
      createExport: async (req: CreateExportRequest, signal?: AbortSignal) => {
        seen.push(`create ${req.object} ${signal === ac.signal}`);
        return res();
      },
      readExport: async (id: string, signal?: AbortSignal) => {
        seen.push(`read ${id} ${signal === ac.signal}`);
        return res({ state: 'Processing' });
      },
      cancelExport: async (id: string) => {
        seen.push(`cancel ${id}`);
        return res({ state: 'Canceled' });
      },
    } as unknown as PardotApi;
    const port = createExportPort(api);
    const spec: CreateExportRequest = { object: 'prospect', fields: ['id'], procedure: { name: 'filter_by_updated_at', arguments: {} } };
    expect((await port.create(spec, ac.signal)).status).toBe('pending');
    expect((await port.read('42', ac.signal)).status).toBe('running');
    await port.cancel('42');
    expect(seen).toEqual(['create prospect true', 'read 42 true', 'cancel 42']);
  });
});
