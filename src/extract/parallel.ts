/**
 * The parallel extract path: CSV parsing and encoding (the connector's main cost, ~6 µs per
 * 70-column row) run in worker threads, one file per worker, while the main thread only moves
 * bytes: download in, framed records out. Same contract as extractCsvBytes, which it replaces
 * where more than one core is available; the same EncodedRowsFeeder does the work in the worker,
 * and tests pin byte-identical output and identical errors.
 *
 * No buffer is allocated per chunk or per batch (that garbage, freed late by another thread's GC
 * and by malloc, measured as ~45 MB of RSS per worker), and batch bytes are never copied between
 * the worker's encoder and the pipe:
 *   - input: a ring of IN_SLOTS slots of shared memory; body chunks are copied in (several
 *     consecutive ones per slot while the worker is busy, split when larger) and handed over by
 *     slot number; a slot is free again once the worker acknowledges it;
 *   - output: the encoder writes rows (already in the protocol's record envelope) into an output
 *     buffer that is moved to this thread whole (transferred); the batch given to the consumer
 *     has `release`, which the protocol output calls once the bytes are written to stdout, and
 *     which moves the buffer back over the recycle port. At most OUT_BUFFERS (+1 being written)
 *     exist per worker. (Copying batches into shared memory instead was measured 40 % slower:
 *     V8 copies into a SharedArrayBuffer byte by byte.)
 *   - a control array: a counter bumped on every recycle (a worker with no buffer left waits on
 *     it) and the job number being cancelled (a waiting worker gives up on it).
 * Memory stays bounded and backpressure runs from stdout to the socket: the worker blocks when
 * every output buffer is still being written, at most IN_SLOTS chunks wait for it, and the next
 * chunk is read from the network only when every batch already converted has been taken.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { MessagePort, Worker } from 'node:worker_threads';
import { ConnectorError, type ErrorContext, type FailureType } from '../errors.js';
import { BATCH_BYTES, MAX_REUSED_BUFFER_BYTES, OUT_BUFFER_BYTES, OUT_BUFFERS } from './csv.js';
import type { CellNotes, EncodedRows, ExtractOptions } from './types.js';

export { BATCH_BYTES, MAX_REUSED_BUFFER_BYTES, OUT_BUFFER_BYTES, OUT_BUFFERS };

export type ToWorker =
  | { t: 'start'; job: number; opts: ExtractOptions }
  /** A chunk copied into slot `slot` of the input ring, `length` bytes. */
  | { t: 'slot'; job: number; slot: number; length: number }
  | { t: 'end'; job: number }
  | { t: 'abort'; job: number };

export type ToMain =
  /** A batch: an output buffer moved here (`length` bytes from `offset` are rows), with the batch's notes if it has any. */
  | { t: 'batch'; job: number; data: ArrayBuffer; offset: number; length: number; ends: Uint32Array; notes?: CellNotes }
  | { t: 'ack'; job: number }
  | { t: 'done'; job: number }
  | {
      t: 'error';
      job: number;
      error: { code: string; message: string; failureType: FailureType; retriable: boolean; context: ErrorContext };
    };

/** An output buffer sent back to its worker over the recycle port, with the job it served. */
export interface Recycled {
  job: number;
  buf: ArrayBuffer;
}

/** What a worker gets (workerData): the input ring, the control array, the recycle port. */
export interface WorkerShared {
  input: SharedArrayBuffer;
  ctl: SharedArrayBuffer;
  recycle: MessagePort;
}

/**
 * Slots of the input ring. A slot holds consecutive body bytes (pieces of one or more chunks): it
 * is handed over full, or as it is while fewer than EAGER_SLOTS are waiting for the worker.
 */
export const IN_SLOTS = 4;
export const IN_SLOT_BYTES = 256 * 1024;
export const EAGER_SLOTS = 2;
/** ctl[CTL_RECYCLED]: bumped on every buffer sent back; ctl[CTL_CANCEL]: the job being cancelled (-1: all). */
export const CTL_RECYCLED = 0;
export const CTL_CANCEL = 1;

export type Extractor = (body: AsyncIterable<Buffer | string>, opts: ExtractOptions) => AsyncGenerator<EncodedRows>;

export interface ExtractPool {
  extract: Extractor;
  /** Stops the workers (idle ones are unref'd and never keep the process alive anyway). */
  close(): Promise<void>;
}

interface Slot {
  worker: Worker;
  input: Buffer;
  ctl: Int32Array;
  recycle: MessagePort;
  onMessage: ((m: ToMain) => void) | null;
  onError: ((e: Error) => void) | null;
}

/** Worker heap limits: the worker holds no data on its heap (its buffers are off-heap), so a small young generation is enough. */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 64 };

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
    // node:worker_threads is loaded when the first worker starts, not at start-up (bench/README.md).
    const { MessageChannel, Worker } = process.getBuiltinModule('node:worker_threads');
    const { port1, port2 } = new MessageChannel();
    const shared: WorkerShared = {
      input: new SharedArrayBuffer(IN_SLOTS * IN_SLOT_BYTES),
      ctl: new SharedArrayBuffer(2 * 4),
      recycle: port2,
    };
    const slot: Slot = {
      worker: new Worker(url, { workerData: shared, transferList: [port2], resourceLimits: WORKER_LIMITS }),
      input: Buffer.from(shared.input),
      ctl: new Int32Array(shared.ctl),
      recycle: port1,
      onMessage: null,
      onError: null,
    };
    port1.unref();
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
      // Some of its output buffers may be out in batches that are never released: a new worker
      // starts with its own (memory still pointed to by a batch lives on until that is dropped).
      void s.worker.terminate();
      s.recycle.close();
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
    const { ctl, recycle } = slot;
    const batch = (ab: ArrayBuffer, offset: number, length: number, ends: Uint32Array, notes: CellNotes | undefined): EncodedRows => {
      let out = true;
      return {
        ...notes,
        data: Buffer.from(ab, offset, length),
        ends,
        // Back to the worker once written (the view above is then detached; nobody holds it).
        release: () => {
          if (!out) return;
          out = false;
          recycle.postMessage({ job, buf: ab } satisfies Recycled, [ab]);
          Atomics.add(ctl, CTL_RECYCLED, 1);
          Atomics.notify(ctl, CTL_RECYCLED);
        },
      };
    };
    slot.onMessage = (m) => {
      if (m.job !== job) return;
      if (m.t === 'batch') queue.push(batch(m.data, m.offset, m.length, m.ends, m.notes));
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
    const { stream, exportId, file, fields, timezone, multiValue, invalidValues, window, constants, skipRows, batchSize, frame } = opts;
    post({ t: 'start', job, opts: { stream, exportId, file, fields, timezone, multiValue, invalidValues, window, constants, skipRows, batchSize, batchBytes: BATCH_BYTES, frame } });

    const it = body[Symbol.asyncIterator]();
    let bodyDone = false;
    let bodyThrew = false;
    let healthy = true;
    /** The body chunk being copied into the input ring, and how much of it is in. */
    let cur: Buffer | null = null;
    let curAt = 0;
    /** Bytes in the open slot (number sent % IN_SLOTS), not handed over yet. */
    let filled = 0;
    const postSlot = (): void => {
      post({ t: 'slot', job, slot: sent++ % IN_SLOTS, length: filled });
      inFlight++;
      filled = 0;
    };
    try {
      for (;;) {
        while (queue.length > 0) yield queue.shift()!;
        if (failure) throw failure;
        if (done) return;
        if (inFlight < IN_SLOTS && cur !== null) {
          // Into the open slot (free: the piece that used it last was acknowledged), after what
          // earlier chunks put there.
          const k = sent % IN_SLOTS;
          const n = Math.min(IN_SLOT_BYTES - filled, cur.length - curAt);
          cur.copy(slot.input, k * IN_SLOT_BYTES + filled, curAt, curAt + n);
          filled += n;
          curAt += n;
          if (curAt >= cur.length) cur = null;
          // Handed over when full, or at once while the worker has little else queued: a busy
          // worker gets fewer, fuller slots (a message and an acknowledgement per slot), an idle
          // one never waits for a slot to fill.
          if (filled === IN_SLOT_BYTES || inFlight < EAGER_SLOTS) postSlot();
          continue;
        }
        if (filled > 0 && (bodyDone || inFlight < EAGER_SLOTS)) {
          postSlot();
          continue;
        }
        if (inFlight < IN_SLOTS && !bodyDone) {
          let r: IteratorResult<Buffer | string>;
          try {
            r = await it.next();
          } catch (e) {
            bodyThrew = true;
            if (filled > 0) postSlot(); // the open slot is free (inFlight < IN_SLOTS)
            // The bytes received before the body failed hold good rows: hand over the batches the
            // worker completes from them (as the inline path does) so that the re-fetch skips them.
            // Keep handing batches out meanwhile: the worker may be waiting for their buffers.
            while (inFlight > 0 && failure === null) {
              if (queue.length > 0) yield queue.shift()!;
              else await message();
            }
            while (queue.length > 0) yield queue.shift()!;
            // A conversion error found meanwhile wins: fetching the file again would not help.
            throw failure ?? e;
          }
          if (r.done === true) {
            bodyDone = true;
            if (filled > 0) postSlot();
            post({ t: 'end', job });
          } else {
            const v = r.value;
            const buf = typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
            if (buf.length > 0) {
              cur = buf;
              curAt = 0;
            }
          }
          continue;
        }
        await message();
      }
    } catch (e) {
      if (failure !== null && (failure as ConnectorError).code === 'INTERNAL') healthy = false;
      throw e;
    } finally {
      // Batches converted but never handed out are free again.
      for (const b of queue.splice(0)) b.release?.();
      if (!bodyDone && !bodyThrew) await it.return?.();
      if (!done && failure === null) {
        // Stopped early: a worker blocked waiting for an output buffer gives up on this job.
        Atomics.store(ctl, CTL_CANCEL, job);
        Atomics.notify(ctl, CTL_RECYCLED);
        post({ t: 'abort', job });
        // Batches already handed out may never be released (their consumer stopped too).
        healthy = false;
      }
      release(slot, healthy);
    }
  }

  return {
    extract,
    async close() {
      closed = true;
      const ws = all.splice(0);
      idle.length = 0;
      for (const s of ws) {
        Atomics.store(s.ctl, CTL_CANCEL, -1);
        Atomics.notify(s.ctl, CTL_RECYCLED);
        s.recycle.close();
      }
      await Promise.all(ws.map((s) => s.worker.terminate()));
    },
  };
}

/**
 * The CPUs this process may use: os.availableParallelism() (the cores it may run on), lowered to a
 * cgroup CPU quota when one is set (a container run with --cpus or a Kubernetes CPU limit: Node
 * 20 does not see those, and a worker per visible core would then only cost memory). cgroup v2
 * `cpu.max` ("max 100000" or "<quota> <period>"), else v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us`;
 * the quota is rounded to the nearest whole CPU, at least 1.
 */
export function usableCpus(read: (path: string) => string | null = readOrNull, cores = availableParallelism()): number {
  let quota: number | null = null;
  const v2 = read('/sys/fs/cgroup/cpu.max');
  if (v2 !== null) {
    const [q, p] = v2.trim().split(/\s+/);
    if (q !== undefined && q !== 'max' && Number(q) > 0 && Number(p) > 0) quota = Number(q) / Number(p);
  } else {
    const q = Number(read('/sys/fs/cgroup/cpu/cpu.cfs_quota_us')?.trim());
    const p = Number(read('/sys/fs/cgroup/cpu/cpu.cfs_period_us')?.trim());
    if (q > 0 && p > 0) quota = q / p;
  }
  return quota === null ? cores : Math.max(1, Math.min(cores, Math.round(quota)));
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/**
 * The pool the commands use: one worker per usable CPU, but no more than the files downloaded at
 * once (max_concurrent_requests - 1, as in read.ts); none with a single CPU, where the inline
 * path is as fast and costs no thread.
 */
export function createParsePool(maxConcurrentRequests: number, cpus = usableCpus()): ExtractPool | null {
  const size = Math.min(cpus, Math.max(1, maxConcurrentRequests - 1));
  return size < 2 ? null : createExtractPool({ size });
}
