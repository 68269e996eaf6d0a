/**
 * undici's Agent and request(), loaded from the files that define them rather than from undici's
 * index, which loads ~110 more files (fetch, web streams, WebSocket, caches, mocks, proxy agents,
 * interceptors) that the connector never uses: start-up time (bench/README.md, start-up).
 *
 * request() is undici's own (lib/api/api-request.js) run on the given dispatcher, after the same
 * URL handling as undici's top-level request() (index.js makeDispatcher): the URL parsed and
 * checked by undici's parseURL, then origin, path with its query, and the method (GET unless given).
 * Without a dispatcher, undici's global one (as undici's request()).
 */
import type { Dispatcher } from 'undici';
import AgentImpl from 'undici/lib/dispatcher/agent.js';
import apiRequest from 'undici/lib/api/api-request.js';
import undiciUtil from 'undici/lib/core/util.js';
import undiciGlobal from 'undici/lib/global.js';

export type { Dispatcher };
export const Agent = AgentImpl;
export type Agent = InstanceType<typeof AgentImpl>;

export type RequestOptions = Omit<Dispatcher.RequestOptions, 'origin' | 'path' | 'method'> & {
  method?: Dispatcher.HttpMethod;
  dispatcher?: Dispatcher;
};

export function request(url: string | URL, opts: RequestOptions): Promise<Dispatcher.ResponseData> {
  const u = undiciUtil.parseURL(url);
  const { dispatcher = undiciGlobal.getGlobalDispatcher(), ...rest } = opts;
  return apiRequest.call(dispatcher, {
    ...rest,
    origin: u.origin,
    path: u.search ? `${u.pathname}${u.search}` : u.pathname,
    method: opts.method ?? 'GET',
  });
}
