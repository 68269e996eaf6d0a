/**
 * v5 object queries: `GET /api/v5/objects/{object}?fields=...` one page at a time, through the
 * same PardotHttp as the exports (token, business unit, limiter, retries, call counters).
 * A page says whether Pardot ended its nextPageToken sequence at the record cap (warning 203):
 * the caller then continues with a new query from the last record it saw.
 */
import { ConnectorError } from '../errors.js';
import type { Redactor } from '../redact.js';
import type { PardotHttp } from './http.js';
import type { ObjectQueryPage as QueryPage, ObjectRead, QueryNext, QueryRequest } from './types.js';
import { QUERY_CAP_WARNING_CODES, QUERY_CAP_WARNING_TEXT, QUERY_MAX_LIMIT, QUERY_PATH, QUERY_WARNING_HEADER } from './wire.js';

// The request and page shapes live in types.ts (the port's types, which import nothing of this
// file or of http.ts: no import circle); re-exported under their names here.
export type { ObjectRead, QueryNext, ObjectQueryPage as QueryPage, QueryRequest } from './types.js';

/** The page size a first request sends: 1..QUERY_MAX_LIMIT, or none (Pardot's default). */
function sentLimit(limit: number | undefined): number | undefined {
  return limit === undefined ? undefined : Math.min(QUERY_MAX_LIMIT, Math.max(1, Math.floor(limit)));
}

/** The query string of a first request, in a fixed order (fields, limit, orderBy, deleted, filters). */
export function queryString(req: QueryRequest): string {
  const parts: [string, string][] = [['fields', req.fields.join(',')]];
  const limit = sentLimit(req.limit);
  if (limit !== undefined) parts.push(['limit', String(limit)]);
  if (req.orderBy !== undefined) parts.push(['orderBy', req.orderBy]);
  if (req.deleted !== undefined) parts.push(['deleted', req.deleted]);
  for (const [k, v] of Object.entries(req.filters ?? {})) parts.push([k, v]);
  // encodeURIComponent: a `+` in a date offset must arrive as `+`, not as a space.
  return parts.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}

/** Characters of one Pardot-Warning kept (the code and its sentence fit). */
const WARNING_MAX = 300;

function warningsOf(headers: Record<string, string | string[] | undefined>): string[] {
  const h = headers[QUERY_WARNING_HEADER];
  if (h === undefined) return [];
  return (Array.isArray(h) ? h : [h]).flatMap((v) => v.split(/,(?=\s*\d{3};)/)).map((v) => v.trim()).filter(Boolean);
}

/** The cap warning, by either of its codes (203, or 101 in Pardot's warning list) or by its text. */
export function isCapWarning(w: string): boolean {
  const code = /^\s*(\d+)\s*(;|$)/.exec(w);
  return (code !== null && QUERY_CAP_WARNING_CODES.includes(Number(code[1]))) || QUERY_CAP_WARNING_TEXT.test(w);
}

export function createQuery(http: PardotHttp, redactor: Redactor) {
  return async function query(req: QueryRequest | QueryNext, signal?: AbortSignal): Promise<QueryPage> {
    const qs =
      'token' in req
        ? `nextPageToken=${encodeURIComponent(req.token)}&fields=${encodeURIComponent(req.fields.join(','))}`
        : queryString(req);
    const path = `${QUERY_PATH(req.object)}?${qs}`;
    let warnings: string[] = [];
    const body = await http.json('query', 'GET', path, {
      signal,
      // The token is Pardot's, not a secret of ours; the query string still goes into errors unredacted of it.
      info: {
        object: req.object,
        fields: req.fields,
        query: 'token' in req ? 'nextPageToken=…' : qs,
        ability: req.ability,
        page: true,
        limit: 'token' in req ? undefined : sentLimit(req.limit),
      },
      // Header texts from outside: clipped (redacted, then cut) before anyone may quote them.
      onHeaders: (h) => (warnings = warningsOf(h).map((w) => redactor.clip(w, WARNING_MAX))),
    });
    const values = body?.['values'];
    if (!Array.isArray(values) || !values.every((v) => typeof v === 'object' && v !== null && !Array.isArray(v))) {
      throw new ConnectorError(
        'PARDOT_BAD_RESPONSE',
        redactor.redact(`Pardot answered the ${req.object} query with a body that has no list of records under 'values'; report it.`),
        { failureType: 'system_error', context: { url: QUERY_PATH(req.object) } },
      );
    }
    const tok = body?.['nextPageToken'];
    return {
      values: values as Record<string, unknown>[],
      nextPageToken: typeof tok === 'string' && tok !== '' ? tok : null,
      capped: warnings.some(isCapWarning),
      warnings,
    };
  };
}

export function createReadObject(http: PardotHttp, redactor: Redactor) {
  return async function readObject(req: ObjectRead, signal?: AbortSignal): Promise<Record<string, unknown>> {
    const qs = `fields=${encodeURIComponent(req.fields.join(','))}`;
    const body = await http.json('query', 'GET', `${QUERY_PATH(req.object)}?${qs}`, {
      signal,
      info: { object: req.object, fields: req.fields, query: qs, ability: req.ability },
    });
    if (body === null) {
      throw new ConnectorError('PARDOT_BAD_RESPONSE', redactor.redact(`Pardot answered the ${req.object} read with an empty body; report it.`), {
        failureType: 'system_error',
        context: { url: QUERY_PATH(req.object) },
      });
    }
    return body;
  };
}
