/**
 * Line output with backpressure: writers await `write` only when the stream's buffer is full,
 * so a slow consumer (a destination, a pipe) slows the whole read down instead of growing memory.
 */
import type { Writable } from 'node:stream';

export interface LineSink {
  /** Writes text that already ends in '\n'. Resolves when it is safe to write more. */
  write(text: string): Promise<void> | void;
}

export function writableSink(stream: Writable): LineSink {
  let error: Error | null = null;
  stream.on('error', (e) => {
    error = e;
  });
  return {
    write(text: string) {
      if (error) throw error;
      if (stream.write(text)) return;
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
    write(text: string) {
      buf += text;
    },
    lines: () => buf.split('\n').filter((l) => l.length > 0),
  };
}
