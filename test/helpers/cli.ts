/** Runs the BUILT executable (bin/source-pardot-export) as a data engineer would, with files in a temp dir. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

export const BIN = join(import.meta.dirname, '..', '..', 'bin', 'source-pardot-export');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout parsed line by line (throws if a line is not JSON: stdout carries protocol messages only). */
  messages: Array<Record<string, any>>;
}

// Every temp dir a test file makes is removed when the file's tests end, pass or fail (each test
// file runs in its own worker, so this module and its list are per file). The 'exit' hook covers a
// worker that stops without running afterAll.
const created: string[] = [];
export function removeTempDirs(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}
afterAll(removeTempDirs);
process.once('exit', removeTempDirs);

/** A fresh temp dir, removed after the test file's last test. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'spe-test-'));
  created.push(dir);
  return dir;
}

export function writeJson(dir: string, name: string, value: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, typeof value === 'string' ? value : JSON.stringify(value));
  return p;
}

export interface RunOptions {
  env?: Record<string, string>;
  /** Working directory of the child (default: this process's). */
  cwd?: string;
  /** Called for each stderr line as it arrives. */
  onStderrLine?: (line: string) => void;
  stdin?: string;
  /** Called with the child once spawned (to send signals). */
  onSpawn?: (child: ReturnType<typeof spawn>) => void;
  /** Called for each stdout line as it arrives. */
  onLine?: (line: string) => void;
}

export function runCli(args: string[], opts: RunOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH ?? '', ...opts.env },
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let pending = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (opts.onLine) {
        pending += d;
        let i: number;
        while ((i = pending.indexOf('\n')) >= 0) {
          opts.onLine(pending.slice(0, i));
          pending = pending.slice(i + 1);
        }
      }
    });
    let pendingErr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (opts.onStderrLine) {
        pendingErr += d;
        let i: number;
        while ((i = pendingErr.indexOf('\n')) >= 0) {
          opts.onStderrLine(pendingErr.slice(0, i));
          pendingErr = pendingErr.slice(i + 1);
        }
      }
    });
    child.on('error', reject);
    child.stdin.end(opts.stdin ?? '');
    opts.onSpawn?.(child);
    child.on('close', (code, signal) => {
      // Parsed on first use: commands that print one pretty-printed document (catalog, auth) are
      // read from `stdout` instead.
      let parsed: CliResult['messages'] | undefined;
      resolve({
        code,
        signal,
        stdout,
        stderr,
        get messages() {
          parsed ??= stdout
            .split('\n')
            .filter((l) => l.length > 0)
            .map((l) => {
              try {
                return JSON.parse(l);
              } catch {
                throw new Error(`stdout line is not JSON: ${l.slice(0, 200)}`);
              }
            });
          return parsed;
        },
      });
    });
  });
}

export const ofType = (msgs: CliResult['messages'], type: string) => msgs.filter((m) => m.type === type);

/** RECORD data of one stream. */
export function records(msgs: CliResult['messages'], stream?: string): Array<Record<string, any>> {
  return msgs.filter((m) => m.type === 'RECORD' && (!stream || m.record.stream === stream)).map((m) => m.record.data);
}
