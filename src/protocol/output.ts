/**
 * Line output with backpressure: writers await `write` only when the stream's buffer is full,
 * so a slow consumer (a destination, a pipe) slows the whole read down instead of growing memory.
 */
import type { Writable } from 'node:stream';

export interface LineSink {
  /**
   * Writes text (or its UTF-8 bytes) that already ends in '\n'. Resolves when it is safe to write
   * more. `done`, when given, is called once the bytes are no longer needed (written out).
   */
  write(text: string | Uint8Array, done?: () => void): Promise<void> | void;
}

/**
 * Frame buffers written to a writableSink come back here once the stream is done with them (its
 * write callback), and are reused: records then cost no allocation per batch, so the main thread's
 * GC does not chase megabytes of short-lived buffers. A frame written elsewhere is just dropped.
 */
const spareFrames: Buffer[] = [];
const frameParent = new WeakMap<Uint8Array, Buffer>();
const MAX_SPARE_FRAMES = 4;

function takeFrame(size: number): Buffer {
  let buf: Buffer | undefined;
  for (let i = 0; i < spareFrames.length; i++) {
    if ((spareFrames[i] as Buffer).length >= size) {
      buf = spareFrames.splice(i, 1)[0];
      break;
    }
  }
  buf ??= Buffer.allocUnsafeSlow(Math.max(size, 1 << 21));
  const view = buf.subarray(0, size);
  frameParent.set(view, buf);
  return view;
}

function recycleFrame(view: Uint8Array): void {
  const parent = frameParent.get(view);
  if (parent === undefined) return;
  frameParent.delete(view);
  if (spareFrames.length < MAX_SPARE_FRAMES) spareFrames.push(parent);
}

/**
 * The records fast path shared by both adapters: each row's data bytes (row k =
 * data[k ? ends[k-1] : 0, ends[k])) between `head` and `tail`, after `first`, in ONE buffer, so
 * a batch is one write and no string is made per row.
 */
export function frameRows(first: Uint8Array | null, head: Uint8Array, rows: { data: Uint8Array; ends: Uint32Array }, tail: Uint8Array): Buffer {
  const { data, ends } = rows;
  const n = ends.length;
  const f = first === null ? 0 : first.length;
  const out = takeFrame(f + n * (head.length + tail.length) + (n > 0 ? (ends[n - 1] as number) : 0));
  if (first !== null) out.set(first, 0);
  const src = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const hl = head.length;
  const tl = tail.length;
  let o = f;
  let s = 0;
  for (let k = 0; k < n; k++) {
    const e = ends[k] as number;
    for (let i = 0; i < hl; i++) out[o++] = head[i] as number;
    o += src.copy(out, o, s, e);
    for (let i = 0; i < tl; i++) out[o++] = tail[i] as number;
    s = e;
  }
  return out;
}

export function writableSink(stream: Writable): LineSink {
  let error: Error | null = null;
  stream.on('error', (e) => {
    error = e;
  });
  return {
    write(text: string | Uint8Array, written?: () => void) {
      if (error) {
        written?.();
        throw error;
      }
      const ok =
        typeof text === 'string'
          ? stream.write(text, written)
          : stream.write(text, () => {
              recycleFrame(text);
              written?.();
            });
      if (ok) return;
      return new Promise<void>((resolve, reject) => {
        const done = (e?: Error) => {
          stream.off('drain', onDrain);
          stream.off('error', onErr);
          stream.off('close', onClose);
          if (e) reject(e);
          else resolve();
        };
        const onDrain = () => done();
        const onErr = (e: Error) => done(e);
        const onClose = () => done(new Error('output closed'));
        stream.on('drain', onDrain);
        stream.on('error', onErr);
        stream.on('close', onClose);
      });
    },
  };
}

/** A sink that keeps lines in memory (tests). */
export function memorySink(): LineSink & { lines(): string[] } {
  let buf = '';
  return {
    write(text: string | Uint8Array, done?: () => void) {
      if (typeof text === 'string') buf += text;
      else {
        buf += Buffer.from(text.buffer, text.byteOffset, text.byteLength).toString('utf8');
        recycleFrame(text);
      }
      done?.();
    },
    lines: () => buf.split('\n').filter((l) => l.length > 0),
  };
}
