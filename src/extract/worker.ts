/**
 * Worker-thread side of the parallel extract path (parallel.ts): converts one file at a time with
 * EncodedRowsFeeder, the same code as the inline path, and sends each batch back with its bytes
 * TRANSFERRED (not copied). Messages carry the job number; anything for another job is ignored.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ConnectorError } from '../errors.js';
import { EncodedRowsFeeder } from './csv.js';
import type { EncodedRows } from './types.js';
import { RING_SLOT_BYTES, type ToMain, type ToWorker } from './parallel.js';

const port = parentPort!;
const ring = Buffer.from((workerData as { ring: SharedArrayBuffer }).ring);
let job = 0;
let feeder: EncodedRowsFeeder | null = null;

const post = (m: ToMain, transfer?: ArrayBuffer[]): void => port.postMessage(m, transfer);

function emit(b: EncodedRows): void {
  // Moved to the main thread, not copied: takeBatch gives each batch its own exact-size buffer.
  const ab = b.data.buffer as ArrayBuffer;
  post({ t: 'batch', job, data: ab, offset: b.data.byteOffset, length: b.data.byteLength, ends: b.ends }, [ab, b.ends.buffer as ArrayBuffer]);
}

function fail(e: unknown): void {
  feeder = null;
  const ce =
    e instanceof ConnectorError
      ? e
      : new ConnectorError('INTERNAL', `Unexpected internal error in the CSV worker: ${e instanceof Error ? e.message : String(e)}`);
  post({ t: 'error', job, error: { code: ce.code, message: ce.message, failureType: ce.failureType, retriable: ce.retriable, context: ce.context } });
}

port.on('message', (m: ToWorker) => {
  if (m.t === 'start') {
    job = m.job;
    try {
      feeder = new EncodedRowsFeeder(m.opts);
    } catch (e) {
      fail(e);
    }
    return;
  }
  if (m.job !== job || feeder === null) return;
  try {
    if (m.t === 'slot') {
      // The slot is reused once acknowledged: the feeder copies what it keeps.
      feeder.push(ring.subarray(m.slot * RING_SLOT_BYTES, m.slot * RING_SLOT_BYTES + m.length), emit, true);
      post({ t: 'ack', job });
    } else if (m.t === 'chunk') {
      feeder.push(Buffer.from(m.buf.buffer, m.buf.byteOffset, m.buf.byteLength), emit);
      post({ t: 'ack', job });
    } else if (m.t === 'end') {
      feeder.end(emit);
      feeder = null;
      post({ t: 'done', job });
    } else {
      feeder = null; // abort
    }
  } catch (e) {
    fail(e);
  }
});
