/**
 * Progress a person can follow, on stderr (Singer mode: stdout carries messages only).
 * Plain lines always; when stderr is a terminal, also one live line for the stream being read
 * (windows done / planned, rows, rate), redrawn in place and finished when the stream ends.
 */
import type { Redactor } from '../redact.js';
import { recordCount, type StreamStatus, type SyncEvent } from '../sync/events.js';

export interface TextSink {
  write(text: string): void;
  /** A terminal: the live line is drawn. */
  readonly isTTY: boolean;
}

const NAME = 'source-pardot-export';
const REDRAW_MS = 250;

interface Live {
  stream: string;
  windowsDone: number;
  windowsPlanned: number | null;
  rows: number;
  startedAt: number;
}

export function formatSummary(ev: Extract<SyncEvent, { type: 'summary' }>): string[] {
  const lines = [`Sync summary: ${ev.seconds.toFixed(1)} s`];
  for (const s of ev.streams) {
    lines.push(
      `  ${s.stream}: ${s.status}, ${s.rows} rows, ${s.windows} ${s.exports === 0 && s.windows > 0 ? 'pages' : 'windows'}, ${s.exports} exports, ` +
        `${s.apiCalls !== undefined ? `${s.apiCalls} API calls, ` : ''}${s.seconds.toFixed(1)} s`,
    );
  }
  const calls = Object.entries(ev.apiCalls);
  const total = calls.reduce((n, [, v]) => n + v, 0);
  lines.push(`  API calls: ${total} (${calls.map(([k, v]) => `${k} ${v}`).join(', ')})`);
  if (ev.peakRssBytes !== undefined) lines.push(`  Peak RSS: ${(ev.peakRssBytes / 1048576).toFixed(1)} MB`);
  return lines;
}

export class ProgressReporter {
  private live: Live | null = null;
  private drawn = false;
  private lastDraw = 0;

  constructor(
    private readonly err: TextSink,
    private readonly redactor: Redactor,
    private readonly now: () => number,
  ) {}

  /** A plain diagnostic line (the live line, if any, is cleared and redrawn below it). */
  line(level: string, message: string): void {
    if (level === 'DEBUG') return;
    this.clear();
    this.err.write(this.redactor.redact(`${NAME}: ${level} ${message}`) + '\n');
    this.draw(true);
  }

  event(ev: SyncEvent): void {
    switch (ev.type) {
      case 'records':
        if (this.live && this.live.stream === ev.stream) {
          this.live.rows += recordCount(ev);
          this.draw(false);
        }
        return;
      case 'status':
        return this.status(ev.stream, ev.status);
      case 'log':
        return this.line(ev.level, ev.message);
      case 'estimate':
        return this.line('INFO', `${ev.stream}: about ${ev.rows} rows to read.`);
      case 'progress':
        if (this.live && this.live.stream === ev.stream) {
          this.live.windowsDone = ev.windowsDone;
          this.live.windowsPlanned = ev.windowsPlanned;
          this.live.rows = ev.rows;
        }
        return this.line(
          'INFO',
          ev.unit === 'page'
            ? `${ev.stream}: ${ev.windowsDone} page(s) read, ${ev.rows} rows, ${Math.round(ev.rowsPerSecond)} rows/s, ${ev.apiCalls} API calls so far.`
            : `${ev.stream}: window ${ev.windowsDone}/${ev.windowsPlanned} done, ${ev.rows} rows, ${Math.round(ev.rowsPerSecond)} rows/s, ${ev.apiCalls} API calls so far.`,
        );
      case 'summary':
        this.clear();
        for (const l of formatSummary(ev)) this.err.write(this.redactor.redact(`${NAME}: ${l}`) + '\n');
        return;
      case 'state':
        return;
    }
  }

  private status(stream: string, status: StreamStatus): void {
    if (status === 'STARTED') {
      this.line('INFO', `${stream}: started.`);
      this.live = { stream, windowsDone: 0, windowsPlanned: null, rows: 0, startedAt: this.now() };
      this.draw(true);
    } else if (status === 'COMPLETE' || status === 'INCOMPLETE') {
      this.draw(true);
      if (this.drawn) this.err.write('\n'); // keep the stream's final live line on screen
      this.drawn = false;
      this.live = null;
      this.line(status === 'COMPLETE' ? 'INFO' : 'WARN', `${stream}: ${status === 'COMPLETE' ? 'complete' : 'incomplete'}.`);
    }
  }

  private clear(): void {
    if (this.drawn) this.err.write('\r\x1b[2K');
    this.drawn = false;
  }

  private draw(force: boolean): void {
    if (!this.err.isTTY || !this.live) return;
    const t = this.now();
    if (!force && t - this.lastDraw < REDRAW_MS) return;
    this.lastDraw = t;
    const l = this.live;
    const secs = Math.max((t - l.startedAt) / 1000, 1e-3);
    const text = `  ${l.stream}: windows ${l.windowsDone}/${l.windowsPlanned ?? '?'}, ${l.rows} rows, ${Math.round(l.rows / secs)} rows/s`;
    this.err.write(`\r\x1b[2K${text}`);
    this.drawn = true;
  }
}
