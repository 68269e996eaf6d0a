/**
 * Raw HTTP access to the fake's v5 query endpoint for the fake's own tests: a started fake (closed
 * by `closeAll`) and a `get` that sends the access token and business unit header.
 */
import { startFakePardot, type FakePardot, type FakePardotOptions } from '../fake-pardot/index.js';
import { authHeaders } from './fake-session.js';

export interface QueryFake {
  fake: FakePardot;
  get(path: string): Promise<Response>;
}

export interface Page {
  values: Record<string, unknown>[];
  nextPageToken: string | null;
  nextPageUrl: string | null;
}

const started: FakePardot[] = [];

/** Starts a fake (user zone Los Angeles unless given) and takes an access token from it. */
export async function startQueryFake(opts: FakePardotOptions = {}): Promise<QueryFake> {
  const fake = await startFakePardot({ userTimezone: 'America/Los_Angeles', ...opts });
  started.push(fake);
  const headers = await authHeaders(fake);
  const get = (path: string): Promise<Response> => fetch(path.startsWith('http') ? path : fake.url + path, { headers });
  return { fake, get };
}

/** Closes every fake started here (call from afterEach). */
export async function closeAll(): Promise<void> {
  await Promise.all(started.splice(0).map((f) => f.close()));
}

/** The body of an error answer. */
export async function errorOf(res: Response): Promise<{ status: number; code: number; message: string }> {
  const body = (await res.json()) as { code: number; message: string };
  return { status: res.status, code: body.code, message: body.message };
}
