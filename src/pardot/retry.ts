/** Retry policy as data, and the pure pieces of the retry decision (backoff, Retry-After, network errors). */
export interface RetryPolicy {
  /** Attempts in all, the first one included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for: the call fails (transient) instead. */
  maxRetryAfterMs: number;
  /** Full jitter (AWS architecture blog): delay = random(0, min(cap, base * 2^n)). */
  jitter: boolean;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 6,
  baseDelayMs: 1000,
  maxDelayMs: 60_000,
  maxRetryAfterMs: 300_000,
  jitter: true,
};

export function retryPolicy(partial?: Partial<RetryPolicy>): RetryPolicy {
  const p = { ...DEFAULT_RETRY_POLICY, ...(partial ?? {}) };
  p.maxAttempts = Math.max(1, Math.floor(p.maxAttempts));
  return p;
}

/** Delay before retry number `retry` (1 = the first retry). */
export function backoffDelay(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.round(policy.jitter ? random() * ceiling : ceiling);
}

/** Retry-After as seconds or an HTTP-date (RFC 9110 10.2.3); null when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | null {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined) return null;
  const s = v.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  const at = Date.parse(s);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now);
}

/** Error codes of Node sockets and undici that mean "the network failed; the same call may succeed". */
const RETRIABLE_NET_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
]);
/** undici codes that are programming errors or deliberate aborts, never retried. */
const NON_RETRIABLE_UNDICI = new Set([
  'UND_ERR_ABORTED',
  'UND_ERR_INVALID_ARG',
  'UND_ERR_INVALID_RETURN_VALUE',
  'UND_ERR_NOT_SUPPORTED',
  'UND_ERR_DESTROYED',
]);

/** The network error code of e (or of its cause), or null when e is not a network error. */
export function networkErrorCode(e: unknown): string | null {
  for (let cur: unknown = e, depth = 0; cur && depth < 4; cur = (cur as { cause?: unknown }).cause, depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code !== 'string') continue;
    if (RETRIABLE_NET_CODES.has(code)) return code;
    if (code.startsWith('UND_ERR_') && !NON_RETRIABLE_UNDICI.has(code)) return code;
  }
  return null;
}

/** Codes that, before any answer ever came from the host, point at a wrong host rather than an outage. */
export function isUnreachableCode(code: string): boolean {
  return code === 'ECONNREFUSED' || code === 'ENOTFOUND';
}

export function isAbortError(e: unknown): boolean {
  return e instanceof Error && (e.name === 'AbortError' || (e as { code?: unknown }).code === 'UND_ERR_ABORTED' || (e as { code?: unknown }).code === 'ABORT_ERR');
}
