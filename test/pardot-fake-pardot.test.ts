// The client, the export port and the job queue together against the shared fake Pardot.
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectorError } from '../src/errors.js';
import { JobQueue } from '../src/jobs/job-queue.js';
import type { JobSnapshot } from '../src/jobs/types.js';
import type { PardotClient } from '../src/pardot/client.js';
import { createExportPort } from '../src/pardot/export-port.js';
import type { CreateExportRequest } from '../src/pardot/types.js';
import { generateData, startFakePardot, type FakePardot, type FakePardotOptions } from './fake-pardot/index.js';
import { clientFor, fastClock } from './helpers/fake-api.js';

const clock = fastClock;

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((x) => x.close()));
});

async function setup(o: FakePardotOptions = {}): Promise<{ fake: FakePardot; api: PardotClient }> {
  const data = generateData({ seed: 1, start: new Date('2024-01-01T00:00:00Z'), end: new Date('2024-06-01T00:00:00Z') });
  const fake = await startFakePardot({ data, now: new Date('2024-07-01T00:00:00Z'), ...o });
  open.push(fake);
  const api = clientFor(fake, 5);
  open.push(api);
  return { fake, api };
}

const spec: CreateExportRequest = {
  object: 'prospect',
  fields: ['id', 'email', 'updatedAt'],
  procedure: { name: 'filter_by_updated_at', arguments: { updated_after: '2024-01-01T00:00:00+00:00', updated_before: '2024-06-30T00:00:00+00:00' } },
};

/** One export through a job queue of depth 1 (the sync's job runner), released and closed after. */
async function waitForJob(api: PardotClient): Promise<JobSnapshot> {
  const queue = new JobQueue({ port: createExportPort(api), clock, pollInitialMs: 1, pollMaxMs: 4, deadlineMs: 60_000, depth: 1 });
  const ticket = queue.submit({ spec: () => spec, label: 'prospects' });
  try {
    return await ticket.done;
  } finally {
    ticket.release();
    await queue.close();
  }
}

async function text(s: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

describe('client against the fake Pardot', () => {
  it('creates an export, waits for it and downloads every file', async () => {
    const { fake, api } = await setup({ pollsUntilComplete: 2, rowsPerFile: 5 });
    const acct = await api.account();
    expect(acct.id).not.toBeNull();
    const job = await waitForJob(api);
    expect(job.status).toBe('complete');
    expect(job.files.length).toBeGreaterThan(0);
    for (const url of job.files) {
      const csv = await text(await api.download(url));
      expect(csv.split('\n')[0]).toBe('id,email,updatedAt');
    }
    expect(fake.stats.maxInFlight).toBeLessThanOrEqual(5);
    expect(api.calls.token).toBe(1);
    expect(api.apiCallsTotal()).toBe(fake.stats.totalApiCalls);
  });

  it('survives token expiry, code 66 and a reset', async () => {
    const { fake, api } = await setup({
      faults: [
        { on: 'read', kind: 'tokenExpired' },
        { on: 'create', kind: 'status', status: 429, code: 66 },
        { on: 'read', nth: 2, kind: 'reset' },
      ],
    });
    const job = await waitForJob(api);
    expect(job.status).toBe('complete');
    expect(api.calls.token).toBe(2);
    // Each fault fired once, and each failed call was made again.
    expect(fake.stats.faultsInjected).toEqual({ tokenExpired: 1, status: 1, reset: 1 });
    expect(fake.log.filter((l) => l.route === 'create').map((l) => l.status)).toEqual([429, 200]);
    expect(fake.exports).toHaveLength(1);
  });

  it('fails fast on the daily limit', async () => {
    const { api } = await setup({ faults: [{ on: 'create', kind: 'dailyLimit' }] });
    const e = await api.createExport(spec).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ConnectorError);
    expect((e as ConnectorError).code).toBe('PARDOT_DAILY_LIMIT');
  });
});
