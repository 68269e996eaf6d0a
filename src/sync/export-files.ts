/**
 * A complete export window's result files, downloaded and converted into record events: one
 * export's files in parallel (mergeBounded), or a split window's parts joined by id through
 * temporary files (extract/join.ts). A body cut off mid-file is fetched again, skipping the rows
 * already taken; a 4xx that means the export expired becomes PARDOT_EXPORT_EXPIRED (the caller
 * creates the window's exports again).
 */
import type { Clock } from '../clock.js';
import { ConnectorError, isConnectorError } from '../errors.js';
import { SpillJoin, type JoinStats } from '../extract/join.js';
import type { Extractor } from '../extract/parallel.js';
import type { EncodedRows, ExtractOptions, RowFrame } from '../extract/types.js';
import type { JobSnapshot } from '../jobs/types.js';
import type { PardotApi } from '../pardot/types.js';
import type { ExportStreamDef, FieldDef } from '../streams.js';
import type { EventQueue } from './event-queue.js';
import type { LogLevel, RecordsEvent, SyncEvent } from './events.js';
import { mergeBounded } from './merge.js';
import { describeWindow, type Window } from './windows.js';

/** Re-opening a result file cut off mid-body: attempts before giving up. */
export const MAX_DOWNLOAD_ATTEMPTS = 5;

type EncodedEvent = Extract<RecordsEvent, { encoded: object }>;

/** A window's export, complete, with the fields it was created with (what its CSV columns are). */
export interface CompleteExport {
  snap: JobSnapshot;
  fields: readonly FieldDef[];
}

export interface FileDeps {
  api: PardotApi;
  clock: Clock;
  log(level: LogLevel, message: string): void;
  events: EventQueue<SyncEvent>;
  extract: Extractor;
  recordFrame: (stream: string, extractedAt: number) => RowFrame;
  /** Extraction options every file of a window shares (timezone, wire facts, invalid values, the window, constants). */
  extractOptions(w: Window): Pick<ExtractOptions, 'timezone' | 'multiValue'> & Partial<ExtractOptions>;
  /** Each batch's cell notes (values nulled, zero dates, repeated hours), summed for the stream's WARNs. */
  noteBatch(batch: EncodedRows): void;
  /** Files of one window downloaded at once (one request slot stays for polling). */
  downloadConcurrency: number;
  signal: AbortSignal;
}

/** A 4xx answer to a download that may mean the export expired (re-read the export to know). */
function mayMeanExpired(e: unknown): boolean {
  if (!isConnectorError(e) || e.code === 'PARDOT_EXPORT_EXPIRED') return false;
  const s = e.context.httpStatus;
  return typeof s === 'number' && s >= 400 && s < 500 && s !== 429 && !['PARDOT_AUTH_REJECTED', 'PARDOT_DAILY_LIMIT', 'PARDOT_BUSINESS_UNIT'].includes(e.code);
}

/**
 * Opens a result file. Pardot documents code 178 for an expired export, but any 4xx on a download
 * may mean the export expired: then the export is read again and, when isExpired, the window's
 * exports are created again (PARDOT_EXPORT_EXPIRED) instead of failing the stream.
 */
async function openResult(d: FileDeps, stream: string, exportId: string, url: string) {
  try {
    return await d.api.download(url, d.signal);
  } catch (e) {
    if (d.signal.aborted || !mayMeanExpired(e)) throw e;
    const again = await d.api.readExport(exportId, d.signal);
    if (!again.isExpired) throw e;
    throw new ConnectorError(
      'PARDOT_EXPORT_EXPIRED',
      `Pardot refused a result file of ${stream} export ${exportId} (${(e as ConnectorError).message}) and the export reads as expired; it has to be created again.`,
      { failureType: 'transient_error', context: { stream, exportId } },
    );
  }
}

/**
 * After a result file's body failed on attempt `attempt` with `done` rows taken: a connector error,
 * a stop, or the last attempt is thrown (DOWNLOAD_FAILED for a transport error); else a WARN and a
 * backoff before the file is fetched again, skipping those rows.
 */
async function againOrThrow(d: FileDeps, err: unknown, attempt: number, stream: string, exportId: string, url: string, done: number): Promise<void> {
  if (isConnectorError(err) || d.signal.aborted) throw err;
  if (attempt >= MAX_DOWNLOAD_ATTEMPTS) {
    throw new ConnectorError(
      'DOWNLOAD_FAILED',
      `Downloading ${stream} export ${exportId} file failed ${attempt} times (${(err as Error).message}); state up to the last finished window is saved.`,
      { failureType: 'transient_error', context: { stream, exportId, file: url }, cause: err },
    );
  }
  d.log('WARN', `${stream}: download of export ${exportId} was cut off after ${done} row(s) (${(err as Error).message}); fetching the file again and skipping them.`);
  await d.clock.sleep(Math.min(1000 * 2 ** (attempt - 1), 30_000), d.signal);
}

/** One result file as record events; a body cut off mid-file is fetched again, skipping the rows already emitted. */
async function* readFile(d: FileDeps, stream: string, w: Window, fields: readonly FieldDef[], exportId: string, url: string): AsyncGenerator<EncodedEvent> {
  let emitted = 0;
  for (let attempt = 1; ; attempt++) {
    const body = await openResult(d, stream, exportId, url);
    // Records carry the time their file's conversion began (Airbyte emitted_at, Singer time_extracted).
    const extractedAt = d.clock.now();
    const frame = d.recordFrame(stream, extractedAt);
    try {
      for await (const batch of d.extract(body, { ...d.extractOptions(w), stream, exportId, file: url, fields: [...fields], skipRows: emitted, frame })) {
        emitted += batch.ends.length;
        d.noteBatch(batch);
        yield { type: 'records', stream, encoded: batch, extractedAt };
      }
      return;
    } catch (err) {
      await againOrThrow(d, err, attempt, stream, exportId, url, emitted);
    } finally {
      body.destroy();
    }
  }
}

/** Yields a merge's events, counting rows; queued events also come out while a download stalls. */
async function* drain(d: FileDeps, merged: AsyncGenerator<EncodedEvent>, count: (rows: number) => void): AsyncGenerator<SyncEvent> {
  try {
    for (;;) {
      const r = yield* d.events.flushWhile(merged.next());
      if (r.done) break;
      count(r.value.encoded.ends.length);
      yield r.value;
    }
  } finally {
    await merged.return(undefined);
  }
}

/** One complete export's files, downloaded in parallel, as record events. */
export async function* emitFiles(d: FileDeps, stream: string, w: Window, job: CompleteExport, count: (rows: number) => void): AsyncGenerator<SyncEvent> {
  const files = job.snap.files.map((url) => () => readFile(d, stream, w, job.fields, job.snap.id, url));
  // Batches a stop leaves unseen give their buffers back (a parse worker's are reused).
  yield* drain(d, mergeBounded(files, d.downloadConcurrency, (ev) => ev.encoded.release?.()), count);
}

/** One result file of a split window's part into the join; a body cut off mid-file is fetched again. */
async function spillFile(d: FileDeps, joiner: SpillJoin, stream: string, part: number, exportId: string, url: string): Promise<void> {
  let taken = 0;
  for (let attempt = 1; ; attempt++) {
    const body = await openResult(d, stream, exportId, url);
    try {
      await joiner.addFile(part, body, { stream, exportId, file: url }, taken, () => taken++);
      return;
    } catch (err) {
      await againOrThrow(d, err, attempt, stream, exportId, url, taken);
    } finally {
      body.destroy();
    }
  }
}

/** Every part's files into the join, `downloadConcurrency` at a time; the first failure stops the others. */
async function spillAll(d: FileDeps, joiner: SpillJoin, stream: string, jobs: readonly CompleteExport[]): Promise<void> {
  const tasks = jobs.flatMap((j, part) => j.snap.files.map((url) => ({ part, exportId: j.snap.id, url })));
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < tasks.length) {
      const t = tasks[next++]!;
      try {
        await spillFile(d, joiner, stream, t.part, t.exportId, t.url);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  const settled = await Promise.allSettled(Array.from({ length: Math.min(d.downloadConcurrency, Math.max(1, tasks.length)) }, worker));
  const bad = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (bad) throw bad.reason;
}

/**
 * A split window: every part's files spilled into a hash join (temporary files, bounded memory,
 * removed at the end and on failure), then the joined rows converted like one export's file and
 * emitted. Returns the join's figures (stragglers).
 */
export async function* emitJoined(
  d: FileDeps,
  stream: ExportStreamDef,
  w: Window,
  jobs: readonly CompleteExport[],
  count: (rows: number) => void,
): AsyncGenerator<SyncEvent, JoinStats> {
  const joiner = await SpillJoin.create({ parts: jobs.length, key: 'id', cursor: stream.cursorField });
  try {
    yield* d.events.flushWhile(spillAll(d, joiner, stream.name, jobs));
    // The union of the parts' fields, in stream order: what the joined file's columns are.
    const names = new Set(jobs.flatMap((j) => j.fields.map((f) => f.name)));
    const fields = stream.fields.filter((f) => names.has(f.name)).map((f) => jobs.flatMap((j) => j.fields).find((x) => x.name === f.name) ?? f);
    const extractedAt = d.clock.now();
    const frame = d.recordFrame(stream.name, extractedAt);
    // The joined rows come as two bodies (even and odd hash partitions), converted at once: with
    // parse workers, both cores work on the join's output.
    const shards = Math.max(1, Math.min(2, d.downloadConcurrency));
    const exportId = jobs.map((j) => j.snap.id).join('+');
    const shard = async function* (i: number): AsyncGenerator<EncodedEvent> {
      const body = joiner.joined(i, shards);
      const first = await body.next();
      if (first.done) return; // no joined row in this shard (stragglers are still counted)
      const rest = (async function* () {
        yield first.value;
        yield* body;
      })();
      const opts = { ...d.extractOptions(w), stream: stream.name, exportId, file: `the join of ${describeWindow(w)}`, fields, frame };
      for await (const batch of d.extract(rest, opts)) {
        d.noteBatch(batch);
        yield { type: 'records', stream: stream.name, encoded: batch, extractedAt };
      }
    };
    yield* drain(d, mergeBounded(Array.from({ length: shards }, (_, i) => () => shard(i)), shards, (ev) => ev.encoded.release?.()), count);
    d.log(
      'INFO',
      `${stream.name} ${describeWindow(w)}: joined ${joiner.stats.joined} row(s) from ${jobs.length} exports (${joiner.stats.rowsPerPart.join(' + ')} rows; ` +
        `${Math.round(joiner.stats.spilledBytes / 1048576)} MB through temporary files).`,
    );
    return joiner.stats;
  } finally {
    await joiner.close();
  }
}
