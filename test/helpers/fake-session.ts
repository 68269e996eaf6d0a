/**
 * A minimal hand-written HTTP client of the fake Pardot's export routes, for the fake's own tests
 * (no product code: what the fake serves is checked against values the tests write themselves).
 */
import { parse } from 'csv-parse/sync';

import { DEFAULTS, type FakeExport, type FakePardot } from '../fake-pardot/index.js';

export type Json = Record<string, unknown>;

export interface FakeSession {
  create(body: Json): Promise<{ status: number; body: Json }>;
  read(id: number): Promise<Json>;
  /** Every file of a Complete export, parsed: the header and the data rows of all files. */
  download(id: number): Promise<{ header: string[]; rows: string[][] }>;
  /** Creates, reads until Complete (the default mode: a read is a unit of work), downloads. */
  exportAll(body: Json): Promise<{ header: string[]; rows: string[][]; e: FakeExport }>;
}

/** The headers of an authorised request to the fake: an access token from its token endpoint, and the business unit. */
export async function authHeaders(fake: FakePardot): Promise<Record<string, string>> {
  const form = new URLSearchParams({
    grant_type: 'refresh_token',
    client_id: DEFAULTS.clientId,
    client_secret: DEFAULTS.clientSecret,
    refresh_token: DEFAULTS.refreshToken,
  });
  const tokenRes = await fetch(`${fake.url}/services/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  });
  const { access_token } = (await tokenRes.json()) as { access_token: string };
  return { authorization: `Bearer ${access_token}`, 'pardot-business-unit-id': DEFAULTS.businessUnitId };
}

export async function openSession(fake: FakePardot): Promise<FakeSession> {
  const headers = await authHeaders(fake);
  const get = (url: string): Promise<Response> => fetch(url.startsWith('http') ? url : fake.url + url, { headers });

  const session: FakeSession = {
    async create(body) {
      const res = await fetch(`${fake.url}/api/v5/exports`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Json };
    },
    async read(id) {
      return (await (await get(`/api/v5/exports/${id}`)).json()) as Json;
    },
    async download(id) {
      const r = await session.read(id);
      if (r.state !== 'Complete') throw new Error(`export ${id} is ${String(r.state)}`);
      const refs = r.resultRefs === undefined ? [] : Array.isArray(r.resultRefs) ? (r.resultRefs as string[]) : [r.resultRefs as string];
      let header: string[] = [];
      const rows: string[][] = [];
      for (const url of refs) {
        const parsed = parse(await (await get(url)).text()) as string[][];
        header = parsed[0]!;
        rows.push(...parsed.slice(1));
      }
      return { header, rows };
    },
    async exportAll(body) {
      const made = await session.create(body);
      if (made.status !== 200) throw new Error(`create answered ${made.status}: ${JSON.stringify(made.body)}`);
      const id = made.body.id as number;
      for (let i = 0; i < 50 && (await session.read(id)).state !== 'Complete'; i++);
      const { header, rows } = await session.download(id);
      return { header, rows, e: fake.exports.find((x) => x.id === id)! };
    },
  };
  return session;
}

/** A promise of the next `n` events a fake reports through `on` (resolved with the exports, in order). */
export function nextEvents(fake: FakePardot, event: Parameters<FakePardot['on']>[0], n: number): Promise<FakeExport[]> {
  return new Promise((resolve) => {
    const seen: FakeExport[] = [];
    const off = fake.on(event, (e) => {
      seen.push(e);
      if (seen.length === n) {
        off();
        resolve(seen);
      }
    });
  });
}
