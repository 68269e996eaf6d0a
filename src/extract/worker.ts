/**
 * Worker-thread side of the parallel extract path (parallel.ts): converts one file at a time with
 * EncodedRowsFeeder, the same code as the inline path. Input chunks arrive in the shared input
 * ring. The encoder writes each batch straight into an output buffer that is then MOVED to the
 * main thread (transferred, not copied) and comes back over the recycle port once written to
 * stdout; at most OUT_BUFFERS are out at a time. When all are out, the worker blocks
 * (Atomics.wait) until one comes back: backpressure from stdout reaches the parser with no queue
 * in between, and no buffer is allocated per batch.
 * Messages carry the job number; anything for another job is ignored.
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { ConnectorError } from '../errors.js';
import { EncodedRowsFeeder } from './csv.js';
import type { CellNotes, EncodedRows } from './types.js';
import { CTL_CANCEL, CTL_RECYCLED, IN_SLOT_BYTES, MAX_REUSED_BUFFER_BYTES, OUT_BUFFER_BYTES, OUT_BUFFERS, type Recycled, type ToMain, type ToWorker, type WorkerShared } from './parallel.js';

const port = parentPort!;
const shared = workerData as WorkerShared;
const input = Buffer.from(shared.input);
const ctl = new Int32Array(shared.ctl);
const recycled = shared.recycle;
let job = 0;
let feeder: EncodedRowsFeeder | null = null;

/**
 * Output buffers back from the main thread, and how many count as existing (here, in use, or out
 * with the current job's batches). A job starts counting only what is here: a buffer of an earlier
 * job that is never released (its batch dropped by a consumer that stopped) cannot starve later
 * jobs; one that comes back late is kept if there is room, else left to the GC.
 */
const spare: ArrayBuffer[] = [];
let made = 0;

/** Thrown out of a blocked wait when the main thread cancelled the job. */
class Cancelled extends Error {}

const post = (m: ToMain, transfer?: ArrayBuffer[]): void => port.postMessage(m, transfer);

function putBack(ab: ArrayBuffer): void {
  // A buffer grown for a giant row is let go (a standard one is made again when needed).
  if (ab.byteLength > MAX_REUSED_BUFFER_BYTES) made--;
  else spare.push(ab);
}

function takeRecycled(): void {
  for (let m = receiveMessageOnPort(recycled); m !== undefined; m = receiveMessageOnPort(recycled)) {
    const r = m.message as Recycled;
    if (r.job === job) putBack(r.buf);
    else if (r.buf.byteLength <= MAX_REUSED_BUFFER_BYTES && made < OUT_BUFFERS + 1) {
      made++; // an earlier job's buffer, no longer counted: adopted
      spare.push(r.buf);
    }
  }
}

/** The job is over (done, failed or aborted): its encoder's output buffer is free again. */
function finish(): void {
  if (feeder === null) return;
  const b = feeder.detachOutput();
  feeder = null;
  if (b.byteLength > 0 && b.byteOffset === 0 && b.byteLength === b.buffer.byteLength) putBack(b.buffer as ArrayBuffer);
}

/** The next output buffer: a recycled one, a new one while fewer than OUT_BUFFERS exist, or wait. */
function nextOut(): Buffer {
  for (;;) {
    const seen = Atomics.load(ctl, CTL_RECYCLED);
    takeRecycled();
    const ab = spare.pop();
    if (ab !== undefined) return Buffer.from(ab);
    if (made < OUT_BUFFERS + 1) {
      made++;
      return Buffer.allocUnsafeSlow(OUT_BUFFER_BYTES);
    }
    const c = Atomics.load(ctl, CTL_CANCEL);
    if (c === job || c === -1) throw new Cancelled();
    Atomics.wait(ctl, CTL_RECYCLED, seen, 200);
  }
}

function emit(b: EncodedRows): void {
  // The batch is a whole output buffer from offset 0 (takeBatch with nextOut), moved, not copied.
  // Its notes (rare) are cloned along with it.
  const ab = b.data.buffer as ArrayBuffer;
  const m: ToMain = { t: 'batch', job, data: ab, offset: b.data.byteOffset, length: b.data.byteLength, ends: b.ends };
  if (b.invalid !== undefined || b.zeroDates !== undefined || b.ambiguous !== undefined) m.notes = notesOf(b);
  post(m, [ab, b.ends.buffer as ArrayBuffer]);
}

function notesOf(b: CellNotes): CellNotes {
  const n: CellNotes = {};
  if (b.invalid !== undefined) n.invalid = b.invalid;
  if (b.zeroDates !== undefined) n.zeroDates = b.zeroDates;
  if (b.ambiguous !== undefined) n.ambiguous = b.ambiguous;
  return n;
}

function fail(e: unknown): void {
  finish();
  if (e instanceof Cancelled) return;
  const ce =
    e instanceof ConnectorError
      ? e
      : new ConnectorError('INTERNAL', `Unexpected internal error in the CSV worker: ${e instanceof Error ? e.message : String(e)}`);
  post({ t: 'error', job, error: { code: ce.code, message: ce.message, failureType: ce.failureType, retriable: ce.retriable, context: ce.context } });
}

port.on('message', (m: ToWorker) => {
  if (m.t === 'start') {
    finish(); // a job left unfinished (its end or abort never came)
    takeRecycled();
    made = spare.length;
    job = m.job;
    try {
      feeder = new EncodedRowsFeeder(m.opts, nextOut);
    } catch (e) {
      fail(e);
    }
    return;
  }
  if (m.job !== job || feeder === null) return;
  try {
    if (m.t === 'slot') {
      // The input slot is reused once acknowledged: the feeder copies what it keeps.
      feeder.push(input.subarray(m.slot * IN_SLOT_BYTES, m.slot * IN_SLOT_BYTES + m.length), emit, true);
      post({ t: 'ack', job });
    } else if (m.t === 'end') {
      feeder.end(emit);
      finish();
      post({ t: 'done', job });
    } else {
      finish(); // abort
    }
  } catch (e) {
    fail(e);
  }
});
