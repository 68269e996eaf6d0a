/**
 * A Pardot client pointed at a loopback fake, for tests that drive the client or the sync core
 * in-process (not through the executable), and a clock whose sleeps yield at once.
 */
import { abortError, type Clock } from '../../src/clock.js';
import { createPardotApi, type PardotClient } from '../../src/pardot/client.js';
import { Redactor } from '../../src/redact.js';
import { DEFAULTS, type FakePardot } from '../fake-pardot/index.js';

/** Real time, but every sleep (poll waits, backoff) only yields to the event loop. */
export const fastClock: Clock = {
  now: () => Date.now(),
  sleep: async (_ms, signal) => {
    if (signal?.aborted) throw abortError();
    await new Promise((r) => setImmediate(r));
  },
};

/** A client with the fake's default credentials, no retry jitter, and the fast clock. */
export function clientFor(fake: FakePardot, maxConcurrent: number): PardotClient {
  return createPardotApi({
    apiBaseUrl: fake.url,
    authBaseUrl: fake.url,
    businessUnitId: DEFAULTS.businessUnitId,
    credentials: { authType: 'refresh_token', clientId: DEFAULTS.clientId, clientSecret: DEFAULTS.clientSecret, refreshToken: DEFAULTS.refreshToken },
    maxConcurrent,
    retry: { jitter: false },
    clock: fastClock,
    redactor: new Redactor(),
  });
}
