/**
 * Closing a full refresh of an export stream whose rows move (cursor updatedAt).
 *
 * The main windows run from start_date to the run's start. A row of a later window updated before
 * that window's export was processed has left it (its updatedAt now lies past every main window):
 * without more, a full refresh would lose it. So, once a stream's main exports are processed, a
 * closing window from the run's start to Pardot's now brings the rows that moved; it is repeated,
 * from where the last one ended, while the last one still brought rows (changed during the run),
 * at most MAX_CLOSING_ROUNDS times. What remains: a row changed while the very last closing export
 * was processed (the next run has it). Rows come at least once, each with its values from some
 * moment of the run (de-duplicate on the primary key).
 *
 * Windows by creation date (filter_by_created_at) do not move, but would have to start at
 * Pardot's beginning (not start_date) to bring the rows created before start_date and updated
 * after it: more exports than one or two short closing windows (docs/reliability.md).
 */
import type { ExportStreamRun } from './export-run.js';
import type { EventQueue } from './event-queue.js';
import type { LogLevel, StreamSummary, SyncEvent } from './events.js';
import { readClosingWindow } from './export-read.js';
import type { ReaderContext } from './reader.js';
import { describeWindow } from './windows.js';

/** Most closing windows per stream and run. */
export const MAX_CLOSING_ROUNDS = 3;

/** The export streams a full refresh is closed for: rows that move (updatedAt), read in full refresh. */
export function closingStreams(runs: Iterable<ExportStreamRun>): ExportStreamRun[] {
  return [...runs].filter((r) => r.o.cs.syncMode === 'full_refresh' && r.stream.cursorField === 'updatedAt');
}

export interface ClosingContext {
  runs: ExportStreamRun[];
  log(level: LogLevel, message: string): void;
  pardotNow(): number;
  readerContext(stream: string): ReaderContext;
  guarded(stream: string, step: () => AsyncGenerator<SyncEvent>): AsyncGenerator<SyncEvent>;
  summary(stream: string): StreamSummary;
  events: EventQueue<SyncEvent>;
}

/** Reads the closing windows round by round, for every stream at once (their exports queue together). */
export async function* closeFullRefreshes(c: ClosingContext): AsyncGenerator<SyncEvent> {
  let open = closingStreams(c.runs).filter((r) => r.closes && c.summary(r.name).status === 'RUNNING');
  for (let round = 1; round <= MAX_CLOSING_ROUNDS && open.length > 0; round++) {
    for (const run of open) {
      yield* c.guarded(run.name, async function* () {
        const wj = run.windows.find((x) => x.closing?.round === round)!;
        yield* readClosingWindow(run, wj, c.readerContext(run.name));
        const s = c.summary(run.name);
        s.closingWindows = (s.closingWindows ?? 0) + 1;
        s.closingRows = (s.closingRows ?? 0) + (run.closingRows[round - 1] ?? 0);
        c.log('INFO', `${run.name}: closing window ${round} (${describeWindow(wj.w)}) brought ${run.closingRows[round - 1] ?? 0} row(s) changed during the run.`);
      });
    }
    // Again for the streams whose last closing window brought rows: more may have moved meanwhile.
    const more = open.filter((r) => c.summary(r.name).status === 'RUNNING' && (r.closingRows[round - 1] ?? 0) > 0);
    for (const r of open) if (!more.includes(r) || round === MAX_CLOSING_ROUNDS) r.reportCells(c.log);
    open = more;
    if (round === MAX_CLOSING_ROUNDS) {
      for (const r of open) c.log('WARN', `${r.name}: rows still changed during the last of ${MAX_CLOSING_ROUNDS} closing windows; a row changed during that one's export is read by the next run.`);
      break;
    }
    for (const run of open) {
      const last = run.windows.find((x) => x.closing?.round === round)!;
      run.submitClosing(round + 1, last.w.end, c.pardotNow, Promise.resolve());
    }
  }
}
