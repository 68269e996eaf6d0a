/**
 * The pure pieces of the retry decision (src/pardot/retry.ts): the policy docs/reliability.md
 * states (6 attempts, full jitter, base 1 s, cap 60 s, Retry-After up to 5 minutes), the backoff,
 * Retry-After in both forms RFC 9110 allows, and which errors are the network's. Expected values
 * are written out by hand.
 */
import { describe, expect, it } from 'vitest';
import { backoffDelay, isAbortError, isUnreachableCode, networkErrorCode, parseRetryAfter, retryPolicy } from '../src/pardot/retry.js';

const NOW = Date.parse('2024-05-06T07:08:09Z');
const withCode = (code: unknown, cause?: unknown): Error => Object.assign(new Error('x'), { code, ...(cause !== undefined ? { cause } : {}) });

describe('retryPolicy', () => {
  it('defaults to the documented policy: 6 attempts, full jitter from a 1 s base, 60 s cap, Retry-After up to 5 minutes', () => {
    expect(retryPolicy()).toEqual({ maxAttempts: 6, baseDelayMs: 1000, maxDelayMs: 60_000, maxRetryAfterMs: 300_000, jitter: true });
    expect(retryPolicy({ baseDelayMs: 5 })).toMatchObject({ baseDelayMs: 5, maxAttempts: 6, jitter: true });
  });

  it('counts attempts in whole numbers, at least one', () => {
    expect(retryPolicy({ maxAttempts: 0 }).maxAttempts).toBe(1);
    expect(retryPolicy({ maxAttempts: -3 }).maxAttempts).toBe(1);
    expect(retryPolicy({ maxAttempts: 2.7 }).maxAttempts).toBe(2);
  });
});

describe('backoffDelay', () => {
  const fixed = retryPolicy({ jitter: false, baseDelayMs: 1000, maxDelayMs: 5000 });
  it('doubles from the base for each retry up to the cap (retry 1 waits the base)', () => {
    expect([0, 1, 2, 3, 4, 5].map((r) => backoffDelay(fixed, r))).toEqual([1000, 1000, 2000, 4000, 5000, 5000]);
  });

  it('with full jitter waits random() times that ceiling, rounded to a millisecond', () => {
    const p = retryPolicy({ baseDelayMs: 1000, maxDelayMs: 60_000 });
    expect(backoffDelay(p, 3, () => 0.5)).toBe(2000);
    expect(backoffDelay(p, 1, () => 0.0004)).toBe(0);
    expect(backoffDelay(p, 1, () => 0.9996)).toBe(1000);
    expect(backoffDelay(p, 10, () => 0.25)).toBe(15_000);
  });
});

describe('parseRetryAfter', () => {
  it.each<[string | string[] | undefined, number | null]>([
    [undefined, null],
    ['7', 7000],
    ['120', 120_000],
    [' 7 ', 7000],
    ['0', 0],
    ['1.5', 1500],
    ['1.25', 1250],
    [['3', '9'], 3000],
    ['5s', null],
    ['x5', null],
    ['soon', null],
    ['', null],
    ['Mon, 06 May 2024 07:08:39 GMT', 30_000],
    ['Mon, 06 May 2024 07:00:00 GMT', 0],
  ])('%j: %j ms', (value, ms) => {
    expect(parseRetryAfter(value, NOW)).toBe(ms);
  });
});

describe('networkErrorCode', () => {
  it.each(['ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'ENETUNREACH', 'ENETDOWN', 'EHOSTUNREACH', 'EHOSTDOWN'])(
    '%s is a network error',
    (code) => {
      expect(networkErrorCode(withCode(code))).toBe(code);
    },
  );

  it('any other undici error code is one too, but not an abort or a programming error', () => {
    expect(networkErrorCode(withCode('UND_ERR_SOCKET'))).toBe('UND_ERR_SOCKET');
    expect(networkErrorCode(withCode('UND_ERR_CONNECT_TIMEOUT'))).toBe('UND_ERR_CONNECT_TIMEOUT');
    for (const code of ['UND_ERR_ABORTED', 'UND_ERR_INVALID_ARG', 'UND_ERR_INVALID_RETURN_VALUE', 'UND_ERR_NOT_SUPPORTED', 'UND_ERR_DESTROYED']) {
      expect(networkErrorCode(withCode(code)), code).toBeNull();
    }
  });

  it('other codes, codes that are not text, and errors without a code are not', () => {
    expect(networkErrorCode(withCode('EACCES'))).toBeNull();
    expect(networkErrorCode(withCode('ERR_INVALID_URL'))).toBeNull();
    expect(networkErrorCode(withCode(42))).toBeNull();
    expect(networkErrorCode(new Error('plain'))).toBeNull();
    expect(networkErrorCode(null)).toBeNull();
    expect(networkErrorCode('ECONNRESET')).toBeNull();
  });

  it('looks through causes, three deep at most (fetch wraps the socket error in a TypeError)', () => {
    expect(networkErrorCode(new TypeError('fetch failed', { cause: withCode('ECONNRESET') }))).toBe('ECONNRESET');
    expect(networkErrorCode(withCode('EACCES', withCode('ETIMEDOUT')))).toBe('ETIMEDOUT');
    const deep = (n: number): unknown => (n === 0 ? withCode('EPIPE') : new Error(`level ${n}`, { cause: deep(n - 1) }));
    expect(networkErrorCode(deep(3))).toBe('EPIPE');
    expect(networkErrorCode(deep(4))).toBeNull();
  });
});

describe('isUnreachableCode', () => {
  it('a refused connection or an unknown host points at a wrong host; other network errors do not', () => {
    expect(isUnreachableCode('ECONNREFUSED')).toBe(true);
    expect(isUnreachableCode('ENOTFOUND')).toBe(true);
    expect(isUnreachableCode('ECONNRESET')).toBe(false);
    expect(isUnreachableCode('EAI_AGAIN')).toBe(false);
    expect(isUnreachableCode('')).toBe(false);
  });
});

describe('isAbortError', () => {
  it('knows an abort by its name or by the codes undici and Node give it', () => {
    expect(isAbortError(Object.assign(new Error('stop'), { name: 'AbortError' }))).toBe(true);
    expect(isAbortError(withCode('UND_ERR_ABORTED'))).toBe(true);
    expect(isAbortError(withCode('ABORT_ERR'))).toBe(true);
    expect(isAbortError(new DOMException('stop', 'AbortError'))).toBe(true);
  });

  it('anything else, and an object that only looks like an abort, is not one', () => {
    expect(isAbortError(new Error('AbortError'))).toBe(false);
    expect(isAbortError(withCode('ECONNRESET'))).toBe(false);
    expect(isAbortError({ name: 'AbortError', code: 'ABORT_ERR' })).toBe(false);
    expect(isAbortError(null)).toBe(false);
  });
});
