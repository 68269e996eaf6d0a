/**
 * The read loop both adapters' commands share: starts the CSV parse pool where more than one core
 * is there, runs the sync core with the adapter's record envelope (so records come out of the
 * extractors ready to write), and writes every event in order, awaiting backpressure.
 */
import type { Clock } from '../clock.js';
import { createParsePool } from '../extract/parallel.js';
import type { RowFrame } from '../extract/types.js';
import type { Runtime } from '../runtime.js';
import type { SyncEvent } from '../sync/events.js';
import type { CursorState } from '../sync/state.js';
import { runRead } from '../sync/read.js';
import type { ConfiguredStream } from './catalog.js';

export interface EventWriter {
  event(ev: SyncEvent): Promise<void> | void;
  recordFrame(stream: string, extractedAt: number): RowFrame;
}

export async function readInto(
  writer: EventWriter,
  o: { rt: Runtime; streams: ConfiguredStream[]; state: Map<string, CursorState>; clock: Clock; signal?: AbortSignal },
): Promise<void> {
  const pool = createParsePool(o.rt.config.maxConcurrentRequests);
  try {
    for await (const ev of runRead({
      config: o.rt.config,
      streams: o.streams,
      state: o.state,
      api: o.rt.api,
      port: o.rt.port,
      clock: o.clock,
      signal: o.signal,
      // Peak resident memory for the end-of-run summary (maxRSS is in KiB).
      memory: () => process.resourceUsage().maxRSS * 1024,
      extract: pool === null ? undefined : pool.extract,
      recordFrame: (stream, at) => writer.recordFrame(stream, at),
    })) {
      const p = writer.event(ev);
      if (p) await p;
    }
  } finally {
    await pool?.close();
  }
}
