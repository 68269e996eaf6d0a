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
      // `written` runs from the write callback: once the stream is done with the bytes.
      const ok = stream.write(text, written);
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
      else buf += Buffer.from(text.buffer, text.byteOffset, text.byteLength).toString('utf8');
      done?.();
    },
    lines: () => buf.split('\n').filter((l) => l.length > 0),
  };
}
