/**
 * The parallel extract path: CSV parsing and encoding (the connector's main cost, ~8 µs per
 * 70-column row) run in worker threads, one file per worker, while the main thread only moves
 * bytes (download in, framed records out). Same contract as extractCsvBytes, which it replaces
 * where more than one core is available; the same EncodedRowsFeeder does the work in the worker,
 * and tests pin byte-identical output and identical errors.
 *
 * Memory stays bounded: at most MAX_CHUNKS_IN_FLIGHT body chunks are with a worker unacknowledged,
 * and the next chunk is read from the network only when every batch already converted has been
 * taken by the consumer, so backpressure runs from stdout back to the socket as on the inline path.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ConnectorError, type ErrorContext, type FailureType } from '../errors.js';
import type { EncodedRows, ExtractOptions } from './types.js';

export type ToWorker =
  | { t: 'start'; job: number; opts: ExtractOptions }
  | { t: 'chunk'; job: number; buf: Uint8Array }
  /** A chunk copied into slot `slot` of the worker's shared ring (workerData.ring), `length` bytes. */
  | { t: 'slot'; job: number; slot: number; length: number }
  | { t: 'end'; job: number }
  | { t: 'abort'; job: number };

export type ToMain =
  | { t: 'batch'; job: number; data: ArrayBuffer; offset: number; length: number; ends: Uint32Array }
  | { t: 'ack'; job: number }
  | { t: 'done'; job: number }
  | {
      t: 'error';
      job: number;
      error: { code: string; message: string; failureType: FailureType; retriable: boolean; context: ErrorContext };
    };

/** Body chunks handed to a worker and not yet converted: lets it work while the next chunk downloads. */
const MAX_CHUNKS_IN_FLIGHT = 8;
/**
 * Chunks reach a worker through a ring of MAX_CHUNKS_IN_FLIGHT slots of shared memory, allocated
 * once per worker: no ArrayBuffer is made or moved per chunk (each one a worker's GC would only
 * free late: measured as tens of MB of RSS). A larger chunk is posted as it is.
 */
export const RING_SLOT_BYTES = 64 * 1024;

export type Extractor = (body: AsyncIterable<Buffer | string>, opts: ExtractOptions) => AsyncGenerator<EncodedRows>;

export interface ExtractPool {
  extract: Extractor;
  /** Stops the workers (idle ones are unref'd and never keep the process alive anyway). */
  close(): Promise<void>;
}

interface Slot {
  worker: Worker;
  ring: Buffer;
  onMessage: ((m: ToMain) => void) | null;
  onError: ((e: Error) => void) | null;
}

/**
 * A pool of `size` workers, started on first use. A file waits for a free worker (its body
 * stays unread meanwhile, so the socket's own flow control holds the server back).
 */
export function createExtractPool(o: { size: number; workerUrl?: URL }): ExtractPool {
  const url = o.workerUrl ?? new URL('./worker.js', import.meta.url);
  const size = Math.max(1, Math.floor(o.size));
  const idle: Slot[] = [];
  const all: Slot[] = [];
  const waiting: Array<(s: Slot) => void> = [];
  let jobSeq = 0;
  let closed = false;

  const spawn = (): Slot => {
    const sab = new SharedArrayBuffer(MAX_CHUNKS_IN_FLIGHT * RING_SLOT_BYTES);
    const slot: Slot = { worker: new Worker(url, { workerData: { ring: sab } }), ring: Buffer.from(sab), onMessage: null, onError: null };
    slot.worker.on('message', (m: ToMain) => slot.onMessage?.(m));
    slot.worker.on('error', (e: Error) => slot.onError?.(e));
    slot.worker.on('exit', () => {
      const i = all.indexOf(slot);
      if (i >= 0) all.splice(i, 1);
      const j = idle.indexOf(slot);
      if (j >= 0) idle.splice(j, 1);
      slot.onError?.(new Error('CSV worker exited'));
    });
    all.push(slot);
    return slot;
  };

  const acquire = async (): Promise<Slot> => {
    if (closed) throw new Error('extract pool closed');
    const s = idle.pop() ?? (all.length < size ? spawn() : await new Promise<Slot>((resolve) => waiting.push(resolve)));
    s.worker.ref();
    return s;
  };

  const release = (s: Slot, healthy: boolean): void => {
    s.onMessage = null;
    s.onError = null;
    if (!healthy) {
      void s.worker.terminate();
      const i = all.indexOf(s);
      if (i >= 0) all.splice(i, 1);
      const next = waiting.shift();
      if (next && !closed) next(spawn());
      return;
    }
    const next = waiting.shift();
    if (next) return next(s);
    s.worker.unref();
    idle.push(s);
  };

  async function* extract(body: AsyncIterable<Buffer | string>, opts: ExtractOptions): AsyncGenerator<EncodedRows> {
    const slot = await acquire();
    const job = ++jobSeq;
    const queue: EncodedRows[] = [];
    let inFlight = 0;
    let sent = 0;
    let done = false;
    let failure: Error | null = null;
    let wake: (() => void) | null = null;
    const notify = (): void => {
      const w = wake;
      wake = null;
      w?.();
    };
    const message = (): Promise<void> => new Promise<void>((resolve) => (wake = resolve));
    slot.onMessage = (m) => {
      if (m.job !== job) return;
      if (m.t === 'batch') queue.push({ data: Buffer.from(m.data, m.offset, m.length), ends: m.ends });
      else if (m.t === 'ack') inFlight--;
      else if (m.t === 'done') done = true;
      else failure = new ConnectorError(m.error.code, m.error.message, m.error);
      notify();
    };
    slot.onError = (e) => {
      failure = new ConnectorError('INTERNAL', `Unexpected internal error in the CSV worker: ${e.message}`, { cause: e });
      notify();
    };
    const post = (m: ToWorker): void => slot.worker.postMessage(m);
    const { stream, exportId, file, fields, timezone, skipRows, batchSize, batchBytes } = opts;
    post({ t: 'start', job, opts: { stream, exportId, file, fields, timezone, skipRows, batchSize, batchBytes } });

    const it = body[Symbol.asyncIterator]();
    let bodyDone = false;
    let bodyThrew = false;
    let healthy = true;
    try {
      for (;;) {
        while (queue.length > 0) yield queue.shift()!;
        if (failure) throw failure;
        if (done) return;
        if (!bodyDone && inFlight < MAX_CHUNKS_IN_FLIGHT) {
          let r: IteratorResult<Buffer | string>;
          try {
            r = await it.next();
          } catch (e) {
            bodyThrew = true;
            // The bytes received before the body failed hold good rows: hand over the batches the
            // worker completes from them (as the inline path does) so that the re-fetch skips them.
            while (inFlight > 0 && failure === null) await message();
            while (queue.length > 0) yield queue.shift()!;
            throw e;
          }
          if (r.done === true) {
            bodyDone = true;
            post({ t: 'end', job });
          } else {
            const v = r.value;
            const buf = typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
            if (buf.length === 0) continue;
            if (buf.length <= RING_SLOT_BYTES) {
              const k = sent++ % MAX_CHUNKS_IN_FLIGHT; // free: the chunk that used it last was acknowledged
              buf.copy(slot.ring, k * RING_SLOT_BYTES);
              post({ t: 'slot', job, slot: k, length: buf.length });
            } else {
              sent++;
              post({ t: 'chunk', job, buf });
            }
            inFlight++;
          }
          continue;
        }
        await message();
      }
    } catch (e) {
      if (failure !== null && (failure as ConnectorError).code === 'INTERNAL') healthy = false;
      throw e;
    } finally {
      if (!bodyDone && !bodyThrew) await it.return?.();
      if (!done && failure === null) post({ t: 'abort', job });
      release(slot, healthy);
    }
  }

  return {
    extract,
    async close() {
      closed = true;
      const ws = all.splice(0);
      idle.length = 0;
      await Promise.all(ws.map((s) => s.worker.terminate()));
    },
  };
}

/**
 * The pool the commands use: one worker per core, but no more than the files downloaded at once
 * (max_concurrent_requests - 1, as in read.ts); none on a single core, where the inline path is
 * as fast and costs no thread.
 */
export function createParsePool(maxConcurrentRequests: number): ExtractPool | null {
  const size = Math.min(availableParallelism(), Math.max(1, maxConcurrentRequests - 1));
  return size < 2 ? null : createExtractPool({ size });
}
